"""export_kv_sequence_axes.py DIR: the fresh trials' Transformer (test/fresh-trials/transformer.py,
trained briefly, seeded) with its KV-cache decoder step exported the ways heed-compile --decoder
once refused: logits declared {0: batch} that torch's shape inference still makes [B, ?, V]
(kv-decoder.onnx), input_ids and logits with Optimum's sequence axes (kv-seq-decoder.onnx), and a
static [B, 2] token input with state (static-t2-decoder.onnx, an error). Writes src.txt, tgt.txt
and PyTorch's greedy outputs and scores as jsonl (torch_greedy.jsonl, torch_scores.jsonl)."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import common  # noqa: E402
import transformer  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    m = transformer.train(steps=120)
    enc, _, kv, kv_seq = transformer.export(m, out, 17)
    for src, dst in ((enc, "encoder.onnx"), (kv, "kv-decoder.onnx"),
                     (kv_seq, "kv-seq-decoder.onnx")):
        os.replace(src, os.path.join(out, dst))
    # A static T = 2 token input with a cache: neither a step nor the prefix mode.
    ids = torch.tensor([[5, 6, 7], [9, 10, 11]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        memory = m.encode(ids, mask)
    past = [torch.zeros(2, transformer.HEADS, 1, transformer.D // transformer.HEADS)
            for _ in range(2 * transformer.LAYERS)]
    names = ["past_key_values.%d.%s" % (i, kv) for i in range(transformer.LAYERS)
             for kv in ("key", "value")]
    torch.onnx.export(transformer.KVDecoderStep(m), (ids[:, :2], memory, mask, *past),
                      os.path.join(out, "static-t2-decoder.onnx"), opset_version=17,
                      input_names=["input_ids", "encoder_hidden_states",
                                   "encoder_attention_mask"] + names,
                      output_names=["logits"] + [n.replace("past_key_values", "present")
                                                 for n in names])
    sources = common.test_sources(count=10)
    targets = [list(reversed(s)) for s in sources]
    common.write_ids(os.path.join(out, "src.txt"), sources)
    common.write_ids(os.path.join(out, "tgt.txt"), targets)
    with open(os.path.join(out, "torch_greedy.jsonl"), "w") as g, \
            open(os.path.join(out, "torch_scores.jsonl"), "w") as s:
        for src, tgt in zip(sources, targets):
            step = transformer.torch_step(m, src)
            tokens, logp, ended = common.greedy(step, src)
            g.write(json.dumps({"ids": tokens, "log_prob": logp, "ended": ended}) + "\n")
            lps, total = common.score(step, tgt)
            s.write(json.dumps({"log_probs": lps, "score": total}) + "\n")


if __name__ == "__main__":
    main()
