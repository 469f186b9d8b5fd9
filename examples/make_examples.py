#!/usr/bin/python3
"""Makes the weights and reference data of the seed-system examples.

For each example this writes examples/<name>/weights.safetensors (small random
weights from a fixed seed, named as the model.heed file binds them) and, per
entry function and for two source lengths, the inputs and PyTorch's outputs as
.npy files under examples/<name>/ref/<function>-len<S>/ (in.<i>.<name>.npy,
out.<i>.<name>.npy, in the function's order). The references are computed by
plain PyTorch code written from the papers, independently of Heed.

Run with Debian's interpreter: /usr/bin/python3 examples/make_examples.py
"""

import math
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_io import save_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 20
EMBED = 16
HIDDEN = 32
BATCH = 2
LENGTHS = (5, 9)





def save_case(example, function, length, inputs, outputs):
    folder = os.path.join(HERE, example, "ref", f"{function}-len{length}")
    os.makedirs(folder, exist_ok=True)
    for prefix, values in (("in", inputs), ("out", outputs)):
        for i, (name, value) in enumerate(values):
            array = value.detach().numpy() if torch.is_tensor(value) else np.asarray(value)
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            np.save(os.path.join(folder, f"{prefix}.{i}.{name}.npy"), np.ascontiguousarray(array))


def source(length, seed):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(1, VOCAB, (BATCH, length), generator=g)
    src_len = torch.tensor([length, length - 2])
    src[1, length - 2:] = 0  # padding
    return src, src_len


def run_rnn(rnn, x, lengths, init=None):
    """nn.LSTM/GRU over padded batch-first input: zeros past each length and
    the final state at each row's last valid step (what heed's lengths do)."""
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = rnn(packed, init) if init is not None else rnn(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state


def masked_softmax(scores, lengths):
    """Softmax over the last dim with keys at or past `lengths[b]` masked."""
    positions = torch.arange(scores.shape[-1])
    mask = positions[None, :] < lengths[:, None]  # [B, Lk]
    while mask.dim() < scores.dim():
        mask = mask.unsqueeze(1)
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def state_dict(modules):
    tensors = {}
    for prefix, module in modules.items():
        if isinstance(module, nn.Parameter):
            tensors[prefix] = module
            continue
        for name, value in module.state_dict().items():
            tensors[f"{prefix}.{name}"] = value
    return tensors


def fresh(example):
    folder = os.path.join(HERE, example)
    shutil.rmtree(os.path.join(folder, "ref"), ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    return folder


#===------------------------------------------------------------------------===#
# Sutskever et al. 2014: a deep LSTM encoder whose final state starts the decoder
#===------------------------------------------------------------------------===#

def sutskever():
    torch.manual_seed(1)
    m = {
        "enc.embed": nn.Embedding(VOCAB, EMBED),
        "enc.rnn": nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True),
        "dec.embed": nn.Embedding(VOCAB, EMBED),
        "dec.rnn": nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True),
        "dec.out": nn.Linear(HIDDEN, VOCAB),
    }
    folder = fresh("sutskever")
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))

    def encode(src, src_len):
        _, (h, c) = run_rnn(m["enc.rnn"], m["enc.embed"](src), src_len)
        return h, c

    def decode_step(prev, h, c):
        y = m["dec.embed"](prev)[:, None, :]
        out, (h, c) = m["dec.rnn"](y, (h, c))
        return F.log_softmax(m["dec.out"](out[:, 0]), dim=-1), h, c

    with torch.no_grad():
        for length in LENGTHS:
            src, src_len = source(length, length)
            h, c = encode(src, src_len)
            save_case("sutskever", "encode", length, [("src", src), ("src_len", src_len)],
                      [("h", h), ("c", c)])
            prev = torch.tensor([3, 7])
            logp, h2, c2 = decode_step(prev, h, c)
            save_case("sutskever", "decode_step", length,
                      [("prev", prev), ("h", h), ("c", c)],
                      [("log_probs", logp), ("h", h2), ("c", c2)])


#===------------------------------------------------------------------------===#
# Cho et al. 2014: GRU encoder-decoder, the summary c fed at every step
#===------------------------------------------------------------------------===#

def cho_gru():
    torch.manual_seed(2)
    m = {
        "enc.embed": nn.Embedding(VOCAB, EMBED),
        "enc.rnn": nn.GRU(EMBED, HIDDEN, batch_first=True),
        "dec.init": nn.Linear(HIDDEN, HIDDEN),
        "dec.embed": nn.Embedding(VOCAB, EMBED),
        "dec.cell": nn.GRUCell(EMBED + HIDDEN, HIDDEN),
        "dec.out": nn.Linear(2 * HIDDEN, VOCAB),
    }
    folder = fresh("cho_gru")
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))

    def encode(src, src_len):
        _, h = run_rnn(m["enc.rnn"], m["enc.embed"](src), src_len)
        context = h[0]
        return context, torch.tanh(m["dec.init"](context))

    def decode_step(prev, context, s):
        y = m["dec.embed"](prev)
        s = m["dec.cell"](torch.cat([y, context], -1), s)
        logits = m["dec.out"](torch.cat([s, context], -1))
        return F.log_softmax(logits, -1), s

    with torch.no_grad():
        for length in LENGTHS:
            src, src_len = source(length, length)
            context, s = encode(src, src_len)
            save_case("cho_gru", "encode", length, [("src", src), ("src_len", src_len)],
                      [("context", context), ("s", s)])
            prev = torch.tensor([4, 1])
            logp, s2 = decode_step(prev, context, s)
            save_case("cho_gru", "decode_step", length,
                      [("prev", prev), ("context", context), ("s", s)],
                      [("log_probs", logp), ("s", s2)])


#===------------------------------------------------------------------------===#
# Bahdanau et al. 2015: bidirectional GRU encoder, additive attention
#===------------------------------------------------------------------------===#

ATTN = 24


class Additive(nn.Module):
    """e = v^T tanh(W_q q + (W_k h + b)); the keys W_k h + b come from encode."""

    def __init__(self, query_size, key_size):
        super().__init__()
        self.query = nn.Linear(query_size, ATTN, bias=False)
        self.key = nn.Linear(key_size, ATTN)
        self.v = nn.Parameter(torch.randn(ATTN) * 0.3)

    def forward(self, q, keys, values, lengths):
        scores = torch.tanh(self.query(q)[:, None, :] + keys) @ self.v  # [B, S]
        alpha = masked_softmax(scores, lengths)
        return (alpha[:, :, None] * values).sum(1), alpha


def bahdanau():
    torch.manual_seed(3)
    m = {
        "enc.embed": nn.Embedding(VOCAB, EMBED),
        "enc.rnn": nn.GRU(EMBED, HIDDEN, batch_first=True, bidirectional=True),
        "attn": Additive(HIDDEN, 2 * HIDDEN),
        "dec.init": nn.Linear(2 * HIDDEN, HIDDEN),
        "dec.embed": nn.Embedding(VOCAB, EMBED),
        "dec.cell": nn.GRUCell(EMBED + 2 * HIDDEN, HIDDEN),
        "dec.out": nn.Linear(HIDDEN + 2 * HIDDEN + EMBED, VOCAB),
    }
    folder = fresh("bahdanau")
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))
    attn = m["attn"]

    def encode(src, src_len):
        memory, h = run_rnn(m["enc.rnn"], m["enc.embed"](src), src_len)
        keys = attn.key(memory)
        both = h.transpose(0, 1).reshape(h.shape[1], 2 * HIDDEN)
        return memory, keys, torch.tanh(m["dec.init"](both))

    def decode_step(prev, s, memory, keys, src_len):
        context, alpha = attn(s, keys, memory, src_len)
        y = m["dec.embed"](prev)
        s = m["dec.cell"](torch.cat([y, context], -1), s)
        logits = m["dec.out"](torch.cat([s, context, y], -1))
        return F.log_softmax(logits, -1), s, alpha

    with torch.no_grad():
        for length in LENGTHS:
            src, src_len = source(length, length)
            memory, keys, s = encode(src, src_len)
            save_case("bahdanau", "encode", length, [("src", src), ("src_len", src_len)],
                      [("memory", memory), ("keys", keys), ("s", s)])
            prev = torch.tensor([5, 2])
            logp, s2, alpha = decode_step(prev, s, memory, keys, src_len)
            save_case("bahdanau", "decode_step", length,
                      [("prev", prev), ("s", s), ("memory", memory), ("keys", keys),
                       ("src_len", src_len)],
                      [("log_probs", logp), ("s", s2), ("attention", alpha)])


#===------------------------------------------------------------------------===#
# Luong et al. 2015: global attention (dot, general, concat) with input feeding
#===------------------------------------------------------------------------===#

def luong(score):
    name = f"luong_{score}"
    torch.manual_seed(4)
    m = {
        "enc.embed": nn.Embedding(VOCAB, EMBED),
        "enc.rnn": nn.LSTM(EMBED, HIDDEN, batch_first=True),
        "dec.embed": nn.Embedding(VOCAB, EMBED),
        "dec.cell": nn.LSTMCell(EMBED + HIDDEN, HIDDEN),
        "dec.W_c": nn.Linear(2 * HIDDEN, HIDDEN, bias=False),
        "dec.out": nn.Linear(HIDDEN, VOCAB),
    }
    if score == "general":
        m["attn.W_a"] = nn.Linear(HIDDEN, HIDDEN, bias=False)
    if score == "concat":
        m["attn"] = Additive(HIDDEN, HIDDEN)
    folder = fresh(name)
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))

    def encode(src, src_len):
        memory, (h, c) = run_rnn(m["enc.rnn"], m["enc.embed"](src), src_len)
        outs = [("memory", memory)]
        if score == "general":
            outs.append(("keys", m["attn.W_a"](memory)))
        if score == "concat":
            outs.append(("keys", m["attn"].key(memory)))
        feed = torch.zeros(src.shape[0], HIDDEN)
        return outs + [("h", h[0]), ("c", c[0]), ("feed", feed)]

    def decode_step(prev, h, c, feed, memory, keys, src_len):
        y = m["dec.embed"](prev)
        h, c = m["dec.cell"](torch.cat([y, feed], -1), (h, c))
        if score == "concat":
            context, alpha = m["attn"](h, keys, memory, src_len)
        else:
            k = memory if score == "dot" else keys
            alpha = masked_softmax((k @ h[:, :, None])[:, :, 0], src_len)
            context = (alpha[:, :, None] * memory).sum(1)
        h_tilde = torch.tanh(m["dec.W_c"](torch.cat([context, h], -1)))
        return F.log_softmax(m["dec.out"](h_tilde), -1), h, c, h_tilde, alpha

    with torch.no_grad():
        for length in LENGTHS:
            src, src_len = source(length, length)
            outs = encode(src, src_len)
            save_case(name, "encode", length, [("src", src), ("src_len", src_len)], outs)
            state = dict(outs)
            prev = torch.tensor([6, 9])
            inputs = [("prev", prev), ("h", state["h"]), ("c", state["c"]),
                      ("feed", state["feed"]), ("memory", state["memory"])]
            if "keys" in state:
                inputs.append(("keys", state["keys"]))
            inputs.append(("src_len", src_len))
            logp, h, c, h_tilde, alpha = decode_step(prev, state["h"], state["c"], state["feed"],
                                                     state["memory"], state.get("keys"), src_len)
            save_case(name, "decode_step", length, inputs,
                      [("log_probs", logp), ("h", h), ("c", c), ("feed", h_tilde),
                       ("attention", alpha)])


#===------------------------------------------------------------------------===#
# Cheng et al. 2016: LSTMN, an LSTM whose every step attends over its own past
#===------------------------------------------------------------------------===#

CLASSES = 3


class LstmnAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(EMBED + HIDDEN, ATTN, bias=False)  # W_x x_t + W_h~ h~_{t-1}
        self.key = nn.Linear(HIDDEN, ATTN)                        # W_h h_i (+ b), kept on a tape
        self.v = nn.Parameter(torch.randn(ATTN) * 0.3)


def lstmn():
    torch.manual_seed(5)
    m = {
        "embed": nn.Embedding(VOCAB, EMBED),
        "attn": LstmnAttention(),
        "cell": nn.LSTMCell(EMBED, HIDDEN),
        "out": nn.Linear(HIDDEN, CLASSES),
    }
    folder = fresh("lstmn")
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))
    attn = m["attn"]

    def main(src):
        b = src.shape[0]
        x = m["embed"](src)
        # The tapes start with one zero state so the first step has something to attend to.
        mem_h = torch.zeros(b, 1, HIDDEN)
        mem_c = torch.zeros(b, 1, HIDDEN)
        mem_k = attn.key(mem_h)
        h_prev = torch.zeros(b, HIDDEN)
        states = []
        for t in range(src.shape[1]):
            q = attn.query(torch.cat([x[:, t], h_prev], -1))
            scores = torch.tanh(q[:, None, :] + mem_k) @ attn.v
            alpha = torch.softmax(scores, -1)
            h_tilde = (alpha[:, :, None] * mem_h).sum(1)
            c_tilde = (alpha[:, :, None] * mem_c).sum(1)
            h, c = m["cell"](x[:, t], (h_tilde, c_tilde))
            mem_h = torch.cat([mem_h, h[:, None]], 1)
            mem_c = torch.cat([mem_c, c[:, None]], 1)
            mem_k = torch.cat([mem_k, attn.key(h)[:, None]], 1)
            h_prev = h
            states.append(h)
        return F.log_softmax(m["out"](h_prev), -1), torch.stack(states, 1)

    with torch.no_grad():
        for length in LENGTHS:
            src, _ = source(length, length)
            logp, states = main(src)
            save_case("lstmn", "main", length, [("src", src)],
                      [("log_probs", logp), ("states", states)])


#===------------------------------------------------------------------------===#
# Vaswani et al. 2017: a one-layer post-norm Transformer encoder-decoder
#===------------------------------------------------------------------------===#

D_MODEL = 32
HEADS = 4
FF = 64


class MultiHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(D_MODEL, D_MODEL)
        self.k_proj = nn.Linear(D_MODEL, D_MODEL)
        self.v_proj = nn.Linear(D_MODEL, D_MODEL)
        self.out_proj = nn.Linear(D_MODEL, D_MODEL)

    @staticmethod
    def attend(q, k, v, lengths=None, causal=False):
        b, lq, lk = q.shape[0], q.shape[1], k.shape[1]
        d = D_MODEL // HEADS
        split = lambda t: t.reshape(b, t.shape[1], HEADS, d).transpose(1, 2)
        scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(d)  # [B, H, Lq, Lk]
        if causal:
            allowed = torch.ones(lq, lk, dtype=torch.bool).tril()
            scores = scores.masked_fill(~allowed, float("-inf"))
        if lengths is not None:
            weights = masked_softmax(scores, lengths)
        else:
            weights = torch.softmax(scores, -1)
        return (weights @ split(v)).transpose(1, 2).reshape(b, lq, D_MODEL)

    def forward(self, x, memory, lengths=None, causal=False):
        out = self.attend(self.q_proj(x), self.k_proj(memory), self.v_proj(memory), lengths,
                          causal)
        return self.out_proj(out)


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(D_MODEL, FF)
        self.fc2 = nn.Linear(FF, D_MODEL)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def positions(offset, length):
    p = torch.arange(offset, offset + length, dtype=torch.float64)[:, None]
    i = torch.arange(0, D_MODEL, 2, dtype=torch.float64)
    angle = p / torch.pow(10000.0, i / D_MODEL)
    pe = torch.zeros(length, D_MODEL, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


def transformer():
    torch.manual_seed(6)
    m = {
        "enc.embed": nn.Embedding(VOCAB, D_MODEL),
        "enc.layers.0.self_attn": MultiHead(),
        "enc.layers.0.norm1": nn.LayerNorm(D_MODEL),
        "enc.layers.0.ff": FeedForward(),
        "enc.layers.0.norm2": nn.LayerNorm(D_MODEL),
        "dec.embed": nn.Embedding(VOCAB, D_MODEL),
        "dec.layers.0.self_attn": MultiHead(),
        "dec.layers.0.norm1": nn.LayerNorm(D_MODEL),
        "dec.layers.0.cross_attn": MultiHead(),
        "dec.layers.0.norm2": nn.LayerNorm(D_MODEL),
        "dec.layers.0.ff": FeedForward(),
        "dec.layers.0.norm3": nn.LayerNorm(D_MODEL),
        "dec.out": nn.Linear(D_MODEL, VOCAB),
    }
    folder = fresh("transformer")
    save_safetensors(os.path.join(folder, "weights.safetensors"), state_dict(m))
    scale = math.sqrt(D_MODEL)
    cross = m["dec.layers.0.cross_attn"]
    self_attn = m["dec.layers.0.self_attn"]

    def encode(src, src_len):
        x = m["enc.embed"](src) * scale + positions(0, src.shape[1])
        x = m["enc.layers.0.norm1"](x + m["enc.layers.0.self_attn"](x, x, src_len))
        x = m["enc.layers.0.norm2"](x + m["enc.layers.0.ff"](x))
        return x, cross.k_proj(x), cross.v_proj(x)

    def decoder_tail(y, cross_k, cross_v, src_len):
        c = cross.out_proj(MultiHead.attend(cross.q_proj(y), cross_k, cross_v, src_len))
        y = m["dec.layers.0.norm2"](y + c)
        y = m["dec.layers.0.norm3"](y + m["dec.layers.0.ff"](y))
        return F.log_softmax(m["dec.out"](y), -1)

    def decode_step(prev, self_k, self_v, cross_k, cross_v, src_len):
        y = m["dec.embed"](prev)[:, None, :] * scale + positions(self_k.shape[1], 1)
        k = torch.cat([self_k, self_attn.k_proj(y)], 1)
        v = torch.cat([self_v, self_attn.v_proj(y)], 1)
        a = self_attn.out_proj(MultiHead.attend(self_attn.q_proj(y), k, v))
        y = m["dec.layers.0.norm1"](y + a)
        return decoder_tail(y, cross_k, cross_v, src_len)[:, 0], k, v

    def decode(tgt, memory, src_len):
        y = m["dec.embed"](tgt) * scale + positions(0, tgt.shape[1])
        y = m["dec.layers.0.norm1"](y + self_attn(y, y, causal=True))
        c = cross(y, memory, src_len)
        y = m["dec.layers.0.norm2"](y + c)
        y = m["dec.layers.0.norm3"](y + m["dec.layers.0.ff"](y))
        return F.log_softmax(m["dec.out"](y), -1)

    with torch.no_grad():
        for length in LENGTHS:
            src, src_len = source(length, length)
            memory, cross_k, cross_v = encode(src, src_len)
            save_case("transformer", "encode", length, [("src", src), ("src_len", src_len)],
                      [("memory", memory), ("cross_k", cross_k), ("cross_v", cross_v)])
            # Two steps fill the cache; the third is the reference.
            self_k = torch.zeros(BATCH, 0, D_MODEL)
            self_v = torch.zeros(BATCH, 0, D_MODEL)
            tokens = [torch.tensor([1, 1]), torch.tensor([4, 8]), torch.tensor([2, 3])]
            for prev in tokens[:2]:
                _, self_k, self_v = decode_step(prev, self_k, self_v, cross_k, cross_v, src_len)
            logp, k2, v2 = decode_step(tokens[2], self_k, self_v, cross_k, cross_v, src_len)
            save_case("transformer", "decode_step", length,
                      [("prev", tokens[2]), ("self_k", self_k), ("self_v", self_v),
                       ("cross_k", cross_k), ("cross_v", cross_v), ("src_len", src_len)],
                      [("log_probs", logp), ("self_k", k2), ("self_v", v2)])
            tgt = torch.stack(tokens, 1)
            save_case("transformer", "decode", length,
                      [("tgt", tgt), ("memory", memory), ("src_len", src_len)],
                      [("log_probs", decode(tgt, memory, src_len))])
            # The cached steps and the teacher-forced decoder agree.
            assert torch.allclose(decode(tgt, memory, src_len)[:, 2], logp, atol=1e-5)


if __name__ == "__main__":
    torch.set_num_threads(1)
    sutskever()
    cho_gru()
    bahdanau()
    for variant in ("dot", "general", "concat"):
        luong(variant)
    lstmn()
    transformer()
    print("examples written under", HERE)
