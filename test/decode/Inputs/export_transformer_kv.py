#!/usr/bin/python3
"""A one-layer Transformer encoder-decoder in PyTorch with a KV-cache decoder step in Hugging Face's
names, exported as two ONNX graphs (random weights, seeded), plus PyTorch's own greedy loop and
log-likelihoods as the reference.

usage: export_transformer_kv.py OUT_DIR

encoder.onnx: input_ids [B, S], attention_mask [B, S] -> last_hidden_state [B, S, D]
decoder.onnx: input_ids [B, 1], encoder_hidden_states, encoder_attention_mask,
              past_key_values.0.key / .value [B, H, T, Dh] -> logits [B, 1, V],
              present.0.key / .value [B, H, T + 1, Dh]
Binds without flags: present.0.X feeds past_key_values.0.X (first value: empty, T = 0),
encoder_hidden_states is the encoder's last_hidden_state, encoder_attention_mask its
attention_mask. Writes src.txt, tgt.txt, torch_greedy.txt and torch_scores.txt as
export_gru_bahdanau.py does. The same weights without a cache: prefix_decoder.onnx (input_ids
[B, T], all tokens so far -> logits [B, T, V]) with torch_prefix_greedy.txt and
torch_prefix_scores.txt from PyTorch's loop over it.
"""
import math
import os
import sys

import torch
import torch.nn as nn

V, D, H, MAXLEN = 20, 32, 4, 64
DH = D // H
BOS, EOS = 1, 2


def heads(x):  # [B, T, D] -> [B, H, T, Dh]
    return x.reshape(x.size(0), x.size(1), H, DH).transpose(1, 2)


def merge(x):  # [B, H, T, Dh] -> [B, T, D]
    return x.transpose(1, 2).reshape(x.size(0), x.size(2), D)


def attend(q, k, v, visible):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    scores = scores.masked_fill(~visible, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.pos = nn.Embedding(MAXLEN, D)
        self.qkv = nn.Linear(D, 3 * D)
        self.out = nn.Linear(D, D)
        self.norm = nn.LayerNorm(D)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.size(1)).unsqueeze(0)
        x = self.embed(input_ids) + self.pos(positions)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        visible = attention_mask.bool()[:, None, None, :]
        return self.norm(x + self.out(merge(attend(heads(q), heads(k), heads(v), visible))))


class DecoderStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.pos = nn.Embedding(MAXLEN, D)
        self.qkv = nn.Linear(D, 3 * D)
        self.self_out = nn.Linear(D, D)
        self.cross_q = nn.Linear(D, D)
        self.cross_kv = nn.Linear(D, 2 * D)
        self.cross_out = nn.Linear(D, D)
        self.norm1 = nn.LayerNorm(D)
        self.norm2 = nn.LayerNorm(D)
        self.proj = nn.Linear(D, V)

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, past_key, past_value):
        position = torch.full_like(input_ids, past_key.size(2))
        x = self.embed(input_ids) + self.pos(position)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        key = torch.cat([past_key, heads(k)], dim=2)
        value = torch.cat([past_value, heads(v)], dim=2)
        everything = torch.ones(1, 1, 1, key.size(2), dtype=torch.bool)
        x = self.norm1(x + self.self_out(merge(attend(heads(q), key, value, everything))))
        ck, cv = self.cross_kv(encoder_hidden_states).chunk(2, dim=-1)
        visible = encoder_attention_mask.bool()[:, None, None, :]
        x = self.norm2(x + self.cross_out(merge(attend(heads(self.cross_q(x)), heads(ck), heads(cv), visible))))
        return self.proj(x), key, value


class PrefixDecoder(nn.Module):
    """The same layer without a cache: every step reads all tokens so far ([B, T]) and gives
    logits [B, T, V] (causal self-attention, a triu mask from the token count)."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        s = self.step
        T = input_ids.size(1)
        x = s.embed(input_ids) + s.pos(torch.arange(T).unsqueeze(0))
        q, k, v = s.qkv(x).chunk(3, dim=-1)
        causal = torch.ones(T, T, dtype=torch.bool).tril()[None, None]
        x = s.norm1(x + s.self_out(merge(attend(heads(q), heads(k), heads(v), causal))))
        ck, cv = s.cross_kv(encoder_hidden_states).chunk(2, dim=-1)
        visible = encoder_attention_mask.bool()[:, None, None, :]
        x = s.norm2(x + s.cross_out(merge(attend(heads(s.cross_q(x)), heads(ck), heads(cv), visible))))
        return s.proj(x)


def run_prefix(enc, dec, src, forced=None):
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    memory = enc(ids, mask)
    tokens, out, lps = [BOS], [], []
    steps = len(forced) + 1 if forced is not None else 2 * len(src) + 10
    for t in range(steps):
        logp = dec(torch.tensor([tokens]), memory, mask)[0, -1].log_softmax(-1)
        if forced is not None:
            token = forced[t] if t < len(forced) else EOS
            lps.append(float(logp[token]))
            tokens.append(token)
            continue
        token = int(logp.argmax())
        if token == EOS:
            break
        out.append(token)
        tokens.append(token)
    return lps if forced is not None else out


def run(enc, dec, src, forced=None):
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    memory = enc(ids, mask)
    pk = torch.zeros(1, H, 0, DH)
    pv = torch.zeros(1, H, 0, DH)
    prev, out, lps = BOS, [], []
    steps = len(forced) + 1 if forced is not None else 2 * len(src) + 10
    for t in range(steps):
        logits, pk, pv = dec(torch.tensor([[prev]]), memory, mask, pk, pv)
        logp = logits[0, 0].log_softmax(-1)
        if forced is not None:
            token = forced[t] if t < len(forced) else EOS
            lps.append(float(logp[token]))
            prev = token
            continue
        prev = int(logp.argmax())
        if prev == EOS:
            break
        out.append(prev)
    return lps if forced is not None else out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(11)
    enc, dec = Encoder().eval(), DecoderStep().eval()
    ids = torch.randint(3, V, (2, 5))
    mask = torch.ones(2, 5, dtype=torch.int64)
    torch.onnx.export(enc, (ids, mask), os.path.join(out, "encoder.onnx"), opset_version=14,
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "last_hidden_state": {0: "batch", 1: "src_len"}})
    memory = enc(ids, mask)
    past = torch.zeros(2, H, 3, DH)
    torch.onnx.export(dec, (torch.tensor([[BOS], [BOS]]), memory, mask, past, past),
                      os.path.join(out, "decoder.onnx"), opset_version=14,
                      input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask",
                                   "past_key_values.0.key", "past_key_values.0.value"],
                      output_names=["logits", "present.0.key", "present.0.value"],
                      dynamic_axes={"input_ids": {0: "batch"},
                                    "encoder_hidden_states": {0: "batch", 1: "src_len"},
                                    "encoder_attention_mask": {0: "batch", 1: "src_len"},
                                    "past_key_values.0.key": {0: "batch", 2: "past_len"},
                                    "past_key_values.0.value": {0: "batch", 2: "past_len"},
                                    "logits": {0: "batch"},
                                    "present.0.key": {0: "batch", 2: "total_len"},
                                    "present.0.value": {0: "batch", 2: "total_len"}})
    prefix = PrefixDecoder(dec).eval()
    torch.onnx.export(prefix, (torch.tensor([[BOS, 4, 5], [BOS, 6, 7]]), memory, mask),
                      os.path.join(out, "prefix_decoder.onnx"), opset_version=14,
                      input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask"],
                      output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tgt_len"},
                                    "encoder_hidden_states": {0: "batch", 1: "src_len"},
                                    "encoder_attention_mask": {0: "batch", 1: "src_len"},
                                    "logits": {0: "batch", 1: "tgt_len"}})
    g = torch.Generator().manual_seed(5)
    sources = [torch.randint(3, V, (int(n),), generator=g).tolist()
               for n in torch.randint(2, 9, (10,), generator=g)]
    targets = [list(reversed(s)) for s in sources]
    with torch.no_grad():
        hyps = [run(enc, dec, s) for s in sources]
        scores = [run(enc, dec, s, t) for s, t in zip(sources, targets)]
        prefix_hyps = [run_prefix(enc, prefix, s) for s in sources]
        prefix_scores = [run_prefix(enc, prefix, s, t) for s, t in zip(sources, targets)]
    write = lambda name, lines: open(os.path.join(out, name), "w").write("".join(l + "\n" for l in lines))
    write("src.txt", [" ".join(map(str, s)) for s in sources])
    write("tgt.txt", [" ".join(map(str, t)) for t in targets])
    write("torch_greedy.txt", [" ".join(map(str, h)) for h in hyps])
    write("torch_scores.txt", [" ".join(f"{v:.6f}" for v in [sum(s)] + s) for s in scores])
    write("torch_prefix_greedy.txt", [" ".join(map(str, h)) for h in prefix_hyps])
    write("torch_prefix_scores.txt", [" ".join(f"{v:.6f}" for v in [sum(s)] + s) for s in prefix_scores])


if __name__ == "__main__":
    main()
