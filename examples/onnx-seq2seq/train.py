#!/usr/bin/python3
"""Trains one model of examples/onnx-seq2seq on examples/reverse's task and exports it as an
encoder/decoder ONNX pair (models.py describes both models).

usage: /usr/bin/python3 examples/onnx-seq2seq/train.py gru|transformer [--export-only]

Seeded and single-threaded, so a rerun gives the same weights on the same machine (about 1-3
minutes on one core). Writes into MODEL/ next to this file:
  weights.safetensors  the trained weights (decode_torch.py loads them)
  encoder.onnx         gru: input_ids, attention_mask -> memory, keys, hidden
                       transformer: input_ids, attention_mask -> last_hidden_state
  decoder.onnx         gru: input_ids [B, 1], hidden, memory, keys, attention_mask -> logits,
                       new_hidden, attention
  prefix_decoder.onnx  transformer: input_ids [B, T], encoder_hidden_states,
                       encoder_attention_mask -> logits [B, T, V]
  kv_decoder.onnx      transformer: input_ids [B, 1], encoder_hidden_states,
                       encoder_attention_mask, past_key_values.N.key/value -> logits [B, 1, V],
                       present.N.key/value
and prints PyTorch's greedy exact-match accuracy on examples/reverse/heldout.src.txt (sources
never drawn in training). --export-only loads weights.safetensors and only exports.
"""
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import models  # noqa: E402
import torch_beam  # noqa: E402
from safetensors_io import load_safetensors, save_safetensors  # noqa: E402

STEPS = {"gru": 2000, "transformer": 2500}
LR = {"gru": 3e-3, "transformer": 1e-3}
BATCH = 64
OPSET = 14


def heldout():
    with open(os.path.join(os.path.dirname(HERE), "reverse", "heldout.src.txt")) as f:
        return [[int(x) for x in line.split()] for line in f if line.strip()]


def make(name):
    return {"gru": models.Gru, "transformer": models.Transformer}[name]()


def train(name, model):
    unseen = {tuple(s) for s in heldout()}
    rng = random.Random(1)
    opt = torch.optim.Adam(model.parameters(), lr=LR[name])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, LR[name], total_steps=STEPS[name],
                                                pct_start=0.1)
    start = time.time()
    for step in range(1, STEPS[name] + 1):
        seqs = []
        while len(seqs) < BATCH:
            s = models.reverse.sample(rng)
            if tuple(s) not in unseen:
                seqs.append(s)
        src, src_len, tin, tout = models.reverse.batch(seqs)
        mask = (src != models.PAD).long()
        logits = model.teacher_forced(src, mask, tin)
        loss = F.cross_entropy(logits.reshape(-1, models.VOCAB), tout.reshape(-1),
                               ignore_index=models.PAD)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step}: loss {loss.item():.4f} ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)


def export(name, model, out):
    ids = torch.randint(models.FIRST, models.VOCAB, (2, 5))
    mask = torch.ones(2, 5, dtype=torch.int64)
    batch_src = lambda *names: {n: {0: "batch", 1: "src_len"} for n in names}
    path = lambda f: os.path.join(out, f)
    if name == "gru":
        torch.onnx.export(model.encoder, (ids, mask), path("encoder.onnx"), opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["memory", "keys", "hidden"],
                          dynamic_axes={**batch_src("input_ids", "attention_mask", "memory",
                                                    "keys"), "hidden": {0: "batch"}})
        memory, keys, hidden = model.encoder(ids, mask)
        torch.onnx.export(model.decoder, (torch.full((2, 1), models.BOS), hidden, memory, keys,
                                          mask), path("decoder.onnx"), opset_version=OPSET,
                          input_names=["input_ids", "hidden", "memory", "keys", "attention_mask"],
                          output_names=["logits", "new_hidden", "attention"],
                          dynamic_axes={**batch_src("memory", "keys", "attention_mask",
                                                    "attention"),
                                        **{n: {0: "batch"} for n in ("input_ids", "hidden",
                                                                     "logits", "new_hidden")}})
        return
    encoder = models.TransformerEncoder(model)
    torch.onnx.export(encoder, (ids, mask), path("encoder.onnx"), opset_version=OPSET,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"],
                      dynamic_axes=batch_src("input_ids", "attention_mask", "last_hidden_state"))
    memory = encoder(ids, mask)
    cross = batch_src("encoder_hidden_states", "encoder_attention_mask")
    torch.onnx.export(models.PrefixDecoder(model), (torch.tensor([[1, 4, 5], [1, 6, 7]]), memory,
                                                    mask),
                      path("prefix_decoder.onnx"), opset_version=OPSET,
                      input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask"],
                      output_names=["logits"],
                      dynamic_axes={**cross, "input_ids": {0: "batch", 1: "tgt_len"},
                                    "logits": {0: "batch", 1: "tgt_len"}})
    past_names, present_names = models.kv_names()
    past = [torch.zeros(2, models.HEADS, 3, models.DH) for _ in past_names]
    torch.onnx.export(models.KvDecoderStep(model), (torch.full((2, 1), models.BOS), memory, mask,
                                                    *past),
                      path("kv_decoder.onnx"), opset_version=OPSET,
                      input_names=["input_ids", "encoder_hidden_states",
                                   "encoder_attention_mask"] + past_names,
                      output_names=["logits"] + present_names,
                      dynamic_axes={**cross, "input_ids": {0: "batch"}, "logits": {0: "batch"},
                                    **{n: {0: "batch", 2: "past_len"} for n in past_names},
                                    **{n: {0: "batch", 2: "total_len"} for n in present_names}})


def accuracy(name, model):
    stepper = models.gru_stepper if name == "gru" else models.kv_stepper
    sources = heldout()
    with torch.no_grad():
        exact = sum(torch_beam.greedy(*stepper(model, s), len(s)) == s[::-1] for s in sources)
    return exact, len(sources)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit(__doc__)
    name = sys.argv[1]
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = make(name)
    weights = os.path.join(out, "weights.safetensors")
    if "--export-only" in sys.argv[2:]:
        model.load_state_dict(load_safetensors(weights))
    else:
        train(name, model)
        save_safetensors(weights, model.state_dict())
    model.eval()
    export(name, model, out)
    exact, total = accuracy(name, model)
    print(f"{name}: PyTorch greedy exact match on {total} held-out sequences: {exact}/{total} "
          f"= {100.0 * exact / total:.1f}%")


if __name__ == "__main__":
    main()
