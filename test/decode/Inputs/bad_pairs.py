#!/usr/bin/python3
"""Decoders that pair wrongly with export_gru_bahdanau.py's encoder, for the refusal tests.

usage: bad_pairs.py DIR   (reads DIR/decoder.onnx, writes DIR/two_scores.onnx and
DIR/float_token.onnx)
- two_scores.onnx: the attention output renamed log_probs, beside logits: two score candidates;
- float_token.onnx: input_ids renamed prev and moved after hidden, so the first input (the token
  input when none is called input_ids) is the float state.
"""
import os
import sys

import onnx

d = sys.argv[1]
m = onnx.load(os.path.join(d, "decoder.onnx"))
for node in m.graph.node:
    node.output[:] = ["log_probs" if o == "attention" else o for o in node.output]
    node.input[:] = ["log_probs" if i == "attention" else i for i in node.input]
for out in m.graph.output:
    if out.name == "attention":
        out.name = "log_probs"
onnx.save(m, os.path.join(d, "two_scores.onnx"))

m = onnx.load(os.path.join(d, "decoder.onnx"))
for node in m.graph.node:
    node.input[:] = ["prev" if i == "input_ids" else i for i in node.input]
inputs = list(m.graph.input)
inputs[0].name = "prev"
inputs[0], inputs[1] = inputs[1], inputs[0]
del m.graph.input[:]
m.graph.input.extend(inputs)
onnx.save(m, os.path.join(d, "float_token.onnx"))
