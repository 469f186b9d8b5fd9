#!/usr/bin/python3
"""The PyTorch export zoo: one registry of the attention and seq2seq spellings PyTorch users write,
each exported by torch.onnx.export (torch 1.13) at opsets 14 and 17 with dynamic batch and lengths
and checked by run_zoo.py against torch at two shapes, with the fused op it must become.

A variant is a module factory and an input factory `inputs(batch, length)` called at the two
shapes SHAPES; every input dim that differs between the two shapes is a dynamic axis of the export
(named after its two sizes, so dims that are equal at both shapes share a symbol). `fused` lists
what the fusion report must say for each softmax, in program order:
  "attention"             softmax fused into heed.attention (any mask but causal)
  "attention causal"      ... with the causal bit (triangle proven to be Lq x Lk)
  "additive"              softmax fused into heed.additive_attention
  "unfused"               softmax left alone (the variant's `why` says why, and the test pins it,
                          so a matcher that starts fusing it is noticed)
An empty list means the model has no softmax. `kv_heads` pins the key/value head count the fused
op takes (grouped-query attention folded without copies). `xfail` = (stage, text): the variant is
known to fail at `stage` ("export", "compile", or "run": on any device) with an error containing
`text`.
"""

import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

D, HEADS = 16, 2
# (batch, length) of the two run shapes; the export traces the first.
SHAPES = ((2, 5), (3, 9))
NEG_INF = float("-inf")


@dataclass
class Variant:
    name: str
    family: str
    make: Callable[[], nn.Module]
    inputs: Callable[[int, int], tuple]
    names: Tuple[str, ...]
    fused: Tuple[str, ...]
    why: str = ""
    kv_heads: Optional[object] = None  # an int, or "?" (a dynamic head count: not folded)
    static_batch: bool = False  # the batch is traced as a constant (2 at both shapes)
    xfail: Optional[Tuple[str, str]] = None
    source: str = ""  # the test the spelling came from


ZOO = []


def variant(name, family, make, inputs, names, fused, **kw):
    ZOO.append(Variant(name, family, make, inputs, tuple(names), tuple(fused), **kw))


def randn(*shape):
    return torch.randn(*shape)


def padding(batch, length):
    """[B, L] bool, True = padding: row i pads its last i % (L - 1) keys (never all of them)."""
    pads = torch.arange(batch) % (length - 1)
    return torch.arange(length)[None, :] >= (length - pads)[:, None]


def causal_float(length):
    return torch.triu(torch.full((length, length), NEG_INF), diagonal=1)


def heads(x, h):
    """[B, L, h*d] -> [B, h, L, d]."""
    b, l, _ = x.shape
    return x.view(b, l, h, -1).transpose(1, 2)


def merge_heads(x):
    """[B, h, L, d] -> [B, L, h*d]."""
    b, h, l, d = x.shape
    return x.transpose(1, 2).reshape(b, l, h * d)


# ---------------------------------------------------------------------------------------------
# bahdanau: Bahdanau in torch's spellings (from test/e2e/zoo/torch-additive.test); Luong concat
# (family luong, from luong-bmm.test) and LSTMN intra-attention (family rnn, from lstmn.test)


class Bahdanau(nn.Module):
    """v^T tanh(W_q q + W_k h) with a keep-mask; context by bmm, matmul or a weighted sum; v as
    nn.Linear(A, 1) or (t * v).sum(-1)."""

    def __init__(self, ctx="bmm", linear_v=True):
        super().__init__()
        self.w_q = nn.Linear(D, D, bias=False)
        self.w_k = nn.Linear(D, D)
        self.v = nn.Linear(D, 1, bias=False) if linear_v else nn.Parameter(torch.randn(D) * 0.3)
        self.ctx, self.linear_v = ctx, linear_v

    def forward(self, query, keys, mask):
        t = torch.tanh(self.w_q(query).unsqueeze(1) + self.w_k(keys))
        scores = self.v(t).squeeze(2) if self.linear_v else (t * self.v).sum(-1)
        weights = torch.softmax(scores.masked_fill(~mask, NEG_INF), dim=-1)
        if self.ctx == "bmm":
            context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
        elif self.ctx == "matmul":
            context = torch.matmul(weights.unsqueeze(1), keys).squeeze(1)
        else:
            context = (weights.unsqueeze(2) * keys).sum(1)
        return context, weights


def bahdanau_inputs(b, l):
    return randn(b, D), randn(b, l, D), ~padding(b, l)


for _ctx in ("bmm", "matmul", "sum"):
    for _linear in (True, False):
        for _static in (False, True):
            variant("bahdanau_%s_%s%s" % (_ctx, "linear" if _linear else "vsum",
                                          "_batch2" if _static else ""), "bahdanau",
                    lambda c=_ctx, lin=_linear: Bahdanau(c, lin), bahdanau_inputs,
                    ["query", "keys", "mask"], ["additive"], static_batch=_static,
                    source="zoo/torch-additive.test")


class LuongConcat(nn.Module):
    """Luong concat: v^T tanh(W [q; h] + b), the query expanded over the keys."""

    def __init__(self):
        super().__init__()
        self.W = nn.Linear(2 * D, D)
        self.v = nn.Linear(D, 1, bias=False)

    def forward(self, q, keys):
        expanded = q.unsqueeze(1).expand(-1, keys.size(1), -1)
        e = self.v(torch.tanh(self.W(torch.cat([expanded, keys], dim=2)))).squeeze(2)
        return torch.bmm(F.softmax(e, dim=1).unsqueeze(1), keys).squeeze(1)


variant("luong_concat", "luong", LuongConcat, lambda b, l: (randn(b, D), randn(b, l, D)),
        ["q", "keys"], ["additive"], source="luong-bmm.test")


class IntraAttention(nn.Module):
    """LSTMN (Cheng et al. 2016) for one step: the query side is W_x x + b + W_t h~."""

    def __init__(self):
        super().__init__()
        self.Wh = nn.Linear(D, D, bias=False)
        self.Wx = nn.Linear(D, D)
        self.Wt = nn.Linear(D, D, bias=False)
        self.v = nn.Linear(D, 1, bias=False)

    def forward(self, x, hist, ht):
        query = self.Wx(x) + self.Wt(ht)
        e = self.v(torch.tanh(self.Wh(hist) + query.unsqueeze(1))).squeeze(2)
        a = torch.softmax(e, -1)
        return (a.unsqueeze(2) * hist).sum(1), a


variant("lstmn_step", "rnn", IntraAttention,
        lambda b, l: (randn(b, D), randn(b, l, D), randn(b, D)), ["x", "hist", "ht"],
        ["additive"], source="lstmn.test")

# ---------------------------------------------------------------------------------------------
# luong: Luong dot/general for one decoder step with torch.bmm (from luong-bmm.test)


class LuongDot(nn.Module):
    def forward(self, q, keys):
        w = F.softmax(torch.bmm(keys, q.unsqueeze(2)).squeeze(2), dim=1)
        return torch.bmm(w.unsqueeze(1), keys).squeeze(1), w


class LuongGeneral(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Linear(D, D, bias=False)

    def forward(self, q, keys):
        w = F.softmax(torch.bmm(self.W(keys), q.unsqueeze(2)).squeeze(2), dim=1)
        return torch.bmm(w.unsqueeze(1), keys).squeeze(1)


class LuongDotMask(nn.Module):
    def __init__(self, fill=NEG_INF):
        super().__init__()
        self.fill = fill

    def forward(self, q, keys, pad):
        s = torch.bmm(keys, q.unsqueeze(2)).squeeze(2).masked_fill(pad, self.fill)
        return torch.bmm(F.softmax(s, dim=-1).unsqueeze(1), keys).squeeze(1)


class LuongRow(nn.Module):
    def forward(self, q, keys):
        s = torch.bmm(q.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)
        return torch.bmm(F.softmax(s, dim=-1).unsqueeze(1), keys).squeeze(1)


def luong_inputs(b, l):
    return randn(b, D), randn(b, l, D)


def luong_mask_inputs(b, l):
    return randn(b, D), randn(b, l, D), padding(b, l)


variant("luong_dot_bmm", "luong", LuongDot, luong_inputs, ["q", "keys"], ["attention"],
        source="luong-bmm.test")
variant("luong_general_bmm", "luong", LuongGeneral, luong_inputs, ["q", "keys"], ["attention"],
        source="luong-bmm.test")
variant("luong_dot_mask", "luong", LuongDotMask, luong_mask_inputs, ["q", "keys", "pad"],
        ["attention"], source="luong-bmm.test")
variant("luong_dot_mask_finfo", "luong", lambda: LuongDotMask(torch.finfo(torch.float32).min),
        luong_mask_inputs, ["q", "keys", "pad"], ["attention"])
variant("luong_row_bmm", "luong", LuongRow, luong_inputs, ["q", "keys"], ["attention"],
        source="luong-bmm.test")

# ---------------------------------------------------------------------------------------------
# rnn: LSTM/GRU encoder-decoders with attention, and Cho's context fed at every step


class Seq2SeqStep(nn.Module):
    """An RNN encoder over the source and one decoder-cell step with attention over it."""

    def __init__(self, cell, attention):
        super().__init__()
        self.cell = cell
        rnn, step = (nn.LSTM, nn.LSTMCell) if cell == "lstm" else (nn.GRU, nn.GRUCell)
        self.encoder = rnn(D, D, batch_first=True)
        self.decoder = step(2 * D, D)
        self.attention = attention
        self.w_q = nn.Linear(D, D, bias=False)
        self.w_k = nn.Linear(D, D)
        self.v = nn.Linear(D, 1, bias=False)
        self.w_c = nn.Linear(2 * D, D)

    def attend(self, query, keys, pad):
        if self.attention == "bahdanau":
            e = self.v(torch.tanh(self.w_q(query).unsqueeze(1) + self.w_k(keys))).squeeze(2)
        else:  # luong dot
            e = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)
        weights = torch.softmax(e.masked_fill(pad, NEG_INF), dim=-1)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights

    def forward(self, src, pad, y, h0, *c0):
        keys, _ = self.encoder(src)
        if self.attention == "bahdanau":  # Bahdanau: attend with the previous state
            context, weights = self.attend(h0, keys, pad)
            state = self.decoder(torch.cat([y, context], -1), (h0, c0[0]) if c0 else h0)
            h = state[0] if c0 else state
            return (h,) + tuple(state[1:] if c0 else ()) + (weights,)
        state = self.decoder(torch.cat([y, h0], -1), (h0, c0[0]) if c0 else h0)
        h = state[0] if c0 else state  # Luong: attend with the new state
        context, weights = self.attend(h, keys, pad)
        return torch.tanh(self.w_c(torch.cat([context, h], -1))), weights


def step_inputs(cell):
    def make(b, l):
        xs = (randn(b, l, D), padding(b, l), randn(b, D), randn(b, D))
        return xs + ((randn(b, D),) if cell == "lstm" else ())
    return make


for _cell in ("lstm", "gru"):
    for _att, _fused in (("bahdanau", "additive"), ("luong", "attention")):
        variant("%s_%s_step" % (_cell, _att), "rnn",
                lambda c=_cell, a=_att: Seq2SeqStep(c, a), step_inputs(_cell),
                ["src", "pad", "y", "h0", "c0"][:5 if _cell == "lstm" else 4], [_fused])


class Seq2SeqAll(nn.Module):
    """Teacher forcing: an RNN encoder and decoder, attention of every target step at once."""

    def __init__(self, cell, attention):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.encoder = rnn(D, D, batch_first=True)
        self.decoder = rnn(D, D, batch_first=True)
        self.attention = attention
        self.w_a = nn.Linear(D, D, bias=False)
        self.w_q = nn.Linear(D, D, bias=False)
        self.w_k = nn.Linear(D, D)
        self.v = nn.Linear(D, 1, bias=False)
        self.w_c = nn.Linear(2 * D, D)

    def forward(self, src, tgt, pad):
        keys, state = self.encoder(src)
        queries, _ = self.decoder(tgt, state)
        if self.attention == "general":  # Luong general
            e = torch.bmm(queries, self.w_a(keys).transpose(1, 2))
        else:  # Bahdanau over all steps: [B, T, 1, A] + [B, 1, S, A]
            t = torch.tanh(self.w_q(queries).unsqueeze(2) + self.w_k(keys).unsqueeze(1))
            e = self.v(t).squeeze(3)
        weights = torch.softmax(e.masked_fill(pad.unsqueeze(1), NEG_INF), dim=-1)
        context = torch.bmm(weights, keys)
        return torch.tanh(self.w_c(torch.cat([context, queries], -1))), weights


def all_inputs(b, l):
    return randn(b, l + 2, D), randn(b, l, D), padding(b, l + 2)


variant("gru_luong_general_all", "rnn", lambda: Seq2SeqAll("gru", "general"), all_inputs,
        ["src", "tgt", "pad"], ["attention"])
variant("lstm_bahdanau_all", "rnn", lambda: Seq2SeqAll("lstm", "bahdanau"), all_inputs,
        ["src", "tgt", "pad"], ["additive"])


class ChoContext(nn.Module):
    """Cho et al. 2014: the encoder's last state c is fed to every decoder step and the output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.GRU(D, D, batch_first=True)
        self.decoder = nn.GRU(2 * D, D, batch_first=True)
        self.out = nn.Linear(2 * D, D)

    def forward(self, src, tgt):
        _, c = self.encoder(src)
        c = c.transpose(0, 1).expand(-1, tgt.size(1), -1)
        h, _ = self.decoder(torch.cat([tgt, c], -1), c[:, :1].transpose(0, 1).contiguous())
        return self.out(torch.cat([h, c], -1))


variant("cho_gru_context", "rnn", ChoContext, lambda b, l: (randn(b, l + 1, D), randn(b, l, D)),
        ["src", "tgt"], [], why="no attention: one fixed context vector")

# ---------------------------------------------------------------------------------------------
# mha: nn.MultiheadAttention (from examples/onnx/zoo and causal-torch-masks.test)


class Mha(nn.Module):
    """Self-attention; `mask(L)` builds attn_mask in-graph, `extra` names the one more input:
    "pad" (key_padding_mask) or "attn_mask"."""

    def __init__(self, mask=None, batch_first=False, add_bias_kv=False, weights=False,
                 extra=None):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=batch_first,
                                         add_bias_kv=add_bias_kv)
        self.mask, self.batch_first, self.weights, self.extra = mask, batch_first, weights, extra

    def forward(self, x, *rest):
        attn_mask = self.mask(x.size(1 if self.batch_first else 0)) if self.mask else None
        pad = rest[0] if self.extra == "pad" else None
        if self.extra == "attn_mask":
            attn_mask = rest[0]
        out, w = self.mha(x, x, x, attn_mask=attn_mask, key_padding_mask=pad,
                          need_weights=self.weights)
        return (out, w) if self.weights else out


class MhaCross(nn.Module):
    """Lq != Lk with a key_padding_mask, returning the head-averaged weights."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(D, HEADS)

    def forward(self, q, kv, key_padding_mask):
        return self.mha(q, kv, kv, key_padding_mask=key_padding_mask)


def seq_first(b, l):
    return (randn(l, b, D),)


variant("mha_padding_cross", "mha", MhaCross,
        lambda b, l: (randn(l, b, D), randn(l + 2, b, D), padding(b, l + 2)),
        ["q", "kv", "key_padding_mask"], ["attention"], source="examples/onnx/zoo/mha_padding")
variant("mha_float_triu", "mha", lambda: Mha(causal_float), seq_first, ["x"],
        ["attention causal"], source="causal-torch-masks.test")
variant("mha_bool_triu", "mha", lambda: Mha(lambda L: torch.ones(L, L).triu(1).bool()),
        seq_first, ["x"], ["attention causal"], source="causal-torch-masks.test")
variant("mha_bool_tril", "mha",
        lambda: Mha(lambda L: ~torch.tril(torch.ones(L, L, dtype=torch.bool))), seq_first, ["x"],
        ["attention causal"], source="causal-torch-masks.test")
variant("mha_finfo_batch_first", "mha", lambda: Mha(lambda L: torch.zeros(L, L).masked_fill(
    torch.ones(L, L, dtype=torch.bool).triu(1), torch.finfo(torch.float32).min),
    batch_first=True), lambda b, l: (randn(b, l, D),), ["x"], ["attention causal"],
    source="causal-torch-masks.test")
variant("mha_causal_padding", "mha",
        lambda: Mha(lambda L: nn.Transformer.generate_square_subsequent_mask(L), extra="pad"),
        lambda b, l: (randn(l, b, D), padding(b, l)), ["x", "pad"], ["attention causal"],
        source="causal-torch-masks.test")
variant("mha_float_mask_input", "mha", lambda: Mha(extra="attn_mask"),
        lambda b, l: (randn(l, b, D), randn(l, l)), ["x", "attn_mask"], ["attention"])
variant("mha_bool_mask_input", "mha", lambda: Mha(extra="attn_mask"),
        lambda b, l: (randn(l, b, D), (torch.rand(l, l) < 0.3) & ~torch.eye(l, dtype=torch.bool)),
        ["x", "attn_mask"], ["attention"])
variant("mha_bias_kv_weights", "mha", lambda: Mha(add_bias_kv=True, weights=True), seq_first,
        ["x"], ["attention"])

# ---------------------------------------------------------------------------------------------
# layers: nn.TransformerEncoderLayer / DecoderLayer, norm_first and batch_first both ways


class EncoderLayer(nn.Module):
    def __init__(self, norm_first, batch_first):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, HEADS, 32, dropout=0.0, norm_first=norm_first,
                                                batch_first=batch_first)

    def forward(self, src, pad):
        return self.layer(src, src_key_padding_mask=pad)


class DecoderLayer(nn.Module):
    def __init__(self, norm_first, batch_first):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(D, HEADS, 32, dropout=0.0, norm_first=norm_first,
                                                batch_first=batch_first)
        self.batch_first = batch_first

    def forward(self, tgt, memory, memory_pad):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1 if self.batch_first
                                                                       else 0))
        return self.layer(tgt, memory, tgt_mask=mask, memory_key_padding_mask=memory_pad)


def layer_inputs(batch_first, decoder):
    def make(b, l):
        x = randn(b, l, D) if batch_first else randn(l, b, D)
        if not decoder:
            return x, padding(b, l)
        memory = randn(b, l + 2, D) if batch_first else randn(l + 2, b, D)
        return x, memory, padding(b, l + 2)
    return make


for _nf in (False, True):
    for _bf in (False, True):
        _suffix = ("_pre" if _nf else "_post") + ("_batch_first" if _bf else "")
        variant("encoder_layer" + _suffix, "layers", lambda n=_nf, f=_bf: EncoderLayer(n, f),
                layer_inputs(_bf, False), ["src", "pad"], ["attention"])
        variant("decoder_layer" + _suffix, "layers", lambda n=_nf, f=_bf: DecoderLayer(n, f),
                layer_inputs(_bf, True), ["tgt", "memory", "memory_pad"],
                ["attention causal", "attention"])


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Transformer(D, HEADS, num_encoder_layers=1, num_decoder_layers=1,
                                    dim_feedforward=32, dropout=0.0)

    def forward(self, src, tgt, pad):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(0))
        return self.model(src, tgt, tgt_mask=mask, src_key_padding_mask=pad,
                          memory_key_padding_mask=pad)


variant("transformer", "layers", Transformer,
        lambda b, l: (randn(l + 1, b, D), randn(l, b, D), padding(b, l + 1)),
        ["src", "tgt", "pad"], ["attention", "attention causal", "attention"])

# ---------------------------------------------------------------------------------------------
# sdpa: hand-written scaled dot-product attention on [B, H, L, d] (or projected [B, L, D])


class Sdpa(nn.Module):
    """softmax(scores(q, k) + mask) v, the scores and mask spelled by `scores`."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def forward(self, q, k, v, *mask):
        return torch.softmax(self.scores(q, k, *mask), dim=-1) @ v


def qkv(b, l, lk=None, h=HEADS, hk=None, d=8):
    lk = lk or l
    return randn(b, h, l, d), randn(b, hk or h, lk, d), randn(b, hk or h, lk, d)


def sdpa(name, scores, fused, inputs=qkv, names=("q", "k", "v"), **kw):
    variant(name, "sdpa", lambda: Sdpa(scores), inputs, names, fused, **kw)


def dot(q, k):
    return q @ k.transpose(-2, -1)


sdpa("sdpa_sqrt_size", lambda q, k: dot(q, k) / math.sqrt(q.size(-1)), ["attention"])
sdpa("sdpa_float_scale", lambda q, k: dot(q, k) * 0.125, ["attention"])
sdpa("sdpa_scaled_query", lambda q, k: dot(q * q.size(-1) ** -0.5, k), ["attention"])
sdpa("sdpa_pad_inf", lambda q, k, p: dot(q, k).masked_fill(p[:, None, None, :], NEG_INF),
     ["attention"], lambda b, l: qkv(b, l) + (padding(b, l),), ("q", "k", "v", "pad"))
sdpa("sdpa_pad_finfo", lambda q, k, p: (dot(q, k) / math.sqrt(q.size(-1))).masked_fill(
    p[:, None, None, :], torch.finfo(torch.float32).min),
    ["attention"], lambda b, l: qkv(b, l) + (padding(b, l),), ("q", "k", "v", "pad"))
sdpa("sdpa_float_mask", lambda q, k, m: dot(q, k) * 0.25 + m, ["attention"],
     lambda b, l: qkv(b, l) + (randn(b, 1, l, l),), ("q", "k", "v", "mask"))
sdpa("sdpa_triu_causal", lambda q, k: dot(q, k).masked_fill(
    torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).triu(1), NEG_INF), ["attention causal"])
sdpa("sdpa_tril_causal", lambda q, k: dot(q, k).masked_fill(
    torch.tril(torch.ones(q.size(-2), q.size(-2))) == 0, NEG_INF), ["attention causal"])
sdpa("sdpa_cross_pad", lambda q, k, p: (dot(q, k) / math.sqrt(q.size(-1))).masked_fill(
    p[:, None, None, :], NEG_INF),
    ["attention"], lambda b, l: qkv(b, l, l + 3) + (padding(b, l + 3),), ("q", "k", "v", "pad"))


class ProjectedSdpa(nn.Module):
    """x [B, L, D] -> packed q, k, v projection -> heads -> SDPA -> merge -> output projection."""

    def __init__(self, causal):
        super().__init__()
        self.qkv, self.out, self.causal = nn.Linear(D, 3 * D), nn.Linear(D, D), causal

    def forward(self, x):
        q, k, v = (heads(t, HEADS) for t in self.qkv(x).chunk(3, dim=-1))
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if self.causal:
            length = x.size(1)
            s = s + torch.triu(torch.full((length, length), NEG_INF), 1)
        return self.out(merge_heads(torch.softmax(s, -1) @ v))


variant("sdpa_projected", "sdpa", lambda: ProjectedSdpa(False), lambda b, l: (randn(b, l, D),),
        ["x"], ["attention"])
variant("sdpa_projected_causal", "sdpa", lambda: ProjectedSdpa(True),
        lambda b, l: (randn(b, l, D),), ["x"], ["attention causal"],
        why="triu(full(L, L, -inf), 1) with L = x.size(1) read before the packed projection: "
        "proven causal through the projection's bias add")


class EinsumSdpa(nn.Module):
    def __init__(self, heads_last):
        super().__init__()
        self.heads_last = heads_last

    def forward(self, q, k, v):
        if self.heads_last:  # [B, L, H, d]
            s = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(q.size(-1))
            return torch.einsum("bhqk,bkhd->bqhd", torch.softmax(s, -1), v)
        s = torch.einsum("bhqd,bhkd->bhqk", q, k) * 0.125
        return torch.einsum("bhqk,bhkd->bhqd", torch.softmax(s, -1), v)


variant("einsum_sdpa", "sdpa", lambda: EinsumSdpa(False), qkv, ["q", "k", "v"], ["attention"])
variant("einsum_heads_last", "sdpa", lambda: EinsumSdpa(True),
        lambda b, l: tuple(t.transpose(1, 2).contiguous() for t in qkv(b, l)), ["q", "k", "v"],
        ["attention"])

# ---------------------------------------------------------------------------------------------
# gqa: multi-query and grouped-query attention (8 query heads; gqa-torch.test moved here)

Q_HEADS = 8


class Gqa(nn.Module):
    def __init__(self, repeat, group):
        super().__init__()
        self.repeat, self.group = repeat, group  # a Python int, as models hold it

    def forward(self, q, k, v):
        g = self.group
        if self.repeat == "expand":
            b, kv, l, d = k.shape
            k = k[:, :, None].expand(b, kv, g, l, d).reshape(b, kv * g, l, d)
            v = v[:, :, None].expand(b, kv, g, l, d).reshape(b, kv * g, l, d)
        elif self.repeat == "repeat_interleave":
            k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
        elif self.repeat == "repeat_interleave_heads_last":  # k, v [B, L, Hkv, d]
            k = k.repeat_interleave(g, dim=2).transpose(1, 2)
            v = v.repeat_interleave(g, dim=2).transpose(1, 2)
        elif self.repeat == "tile":
            k, v = k.repeat(1, g, 1, 1), v.repeat(1, g, 1, 1)
        # "broadcast": k and v with one head broadcast by the matmuls
        return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), -1) @ v


def gqa_inputs(kv, heads_last=False, length=None):
    def make(b, l):
        q, k, v = qkv(b, length or l, h=Q_HEADS, hk=kv, d=16)
        if heads_last:
            k, v = k.transpose(1, 2).contiguous(), v.transpose(1, 2).contiguous()
        return q, k, v
    return make


def gqa(name, repeat, kv, fused, kv_heads, inputs=None, **kw):
    variant(name, "gqa", lambda: Gqa(repeat, Q_HEADS // kv), inputs or gqa_inputs(kv),
            ["q", "k", "v"], fused, kv_heads=kv_heads, **kw)


gqa("gqa_expand", "expand", 2, ["attention"], 2, source="gqa-torch.test (moved here)")
gqa("mqa_expand", "expand", 1, ["attention"], 1)
# torch 1.13 exports repeat_interleave on [B, Hkv, L, d] with a dynamic L as Reshape(Expand(k_i
# [B, 1, 1, L, d]) to [B, 1, g, L, d], [0, -1, 0, d]): the second 0 copies g where L belongs, so
# the ONNX model itself computes k as [B, Hkv * L, g, d] (an exporter bug, not Heed's).
TORCH_REPEAT_INTERLEAVE = dict(
    xfail=("run", "inconsistent query"),
    why="torch's export is wrong at a dynamic length: Reshape [0, -1, 0, d] copies g where L "
        "belongs; Heed reports the inconsistent key shape")
gqa("gqa_repeat_interleave", "repeat_interleave", 2, ["attention"], "?", **TORCH_REPEAT_INTERLEAVE)
gqa("mqa_repeat_interleave", "repeat_interleave", 1, ["attention"], "?", **TORCH_REPEAT_INTERLEAVE)
gqa("gqa_repeat_interleave_fixed_length", "repeat_interleave", 2, ["attention"], 2,
    inputs=gqa_inputs(2, length=6))
gqa("gqa_repeat_interleave_heads_last", "repeat_interleave_heads_last", 2, ["attention"], 2,
    inputs=gqa_inputs(2, heads_last=True))
gqa("gqa_tile", "tile", 2, ["attention"], 8, source="gqa-torch.test (moved here)",
    why="k.repeat tiles the heads in another order than heed.attention's grouping: copies kept")
gqa("mqa_broadcast", "broadcast", 1, ["attention"], 1)

# ---------------------------------------------------------------------------------------------
# positions: ALiBi, relative position bias, sinusoidal encodings, KV-cache decoder steps


def sinusoidal(max_len, d):
    pos = torch.arange(max_len).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


class Alibi(nn.Module):
    """ALiBi: scores - slope_h * |i - j| (int64 distances through Abs), optionally causal."""

    def __init__(self, causal):
        super().__init__()
        self.register_buffer("slopes", torch.tensor([2.0 ** -(8 * (h + 1) / HEADS)
                                                     for h in range(HEADS)]))
        self.causal = causal

    def forward(self, q, k, v):
        pos = torch.arange(q.size(-2))
        distance = (pos[None, :] - pos[:, None]).abs()
        s = dot(q, k) / math.sqrt(q.size(-1)) - self.slopes[:, None, None] * distance
        if self.causal:
            s = s.masked_fill(pos[None, :] > pos[:, None], NEG_INF)
        return torch.softmax(s, -1) @ v


variant("alibi", "positions", lambda: Alibi(False), qkv, ["q", "k", "v"], ["attention"])
variant("alibi_causal", "positions", lambda: Alibi(True), qkv, ["q", "k", "v"],
        ["attention causal"])


class RelativeBias(nn.Module):
    """T5-style: a learned bias per head for each clipped relative distance j - i."""

    def __init__(self, max_distance=4):
        super().__init__()
        self.bias = nn.Embedding(2 * max_distance + 1, HEADS)
        self.max_distance = max_distance

    def forward(self, q, k, v):
        pos = torch.arange(q.size(-2))
        rel = (pos[None, :] - pos[:, None]).clamp(-self.max_distance, self.max_distance)
        bias = self.bias(rel + self.max_distance).permute(2, 0, 1).unsqueeze(0)
        return torch.softmax(dot(q, k) + bias, -1) @ v


variant("relative_bias", "positions", RelativeBias, qkv, ["q", "k", "v"], ["attention"])


class PositionalEncoder(nn.Module):
    """x + pe[:x.size(1)] (the PyTorch tutorial's slice), then batch_first self-attention."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pe", sinusoidal(64, D))
        self.mha = nn.MultiheadAttention(D, HEADS, batch_first=True)

    def forward(self, x, pad):
        x = x + self.pe[:x.size(1)]
        return self.mha(x, x, x, key_padding_mask=pad, need_weights=False)[0]


variant("pe_slice_encoder", "positions", PositionalEncoder,
        lambda b, l: (randn(b, l, D), padding(b, l)), ["x", "pad"], ["attention"])


class CachedStep(nn.Module):
    """One decoder step with a KV cache: x + pe[past:past+1], k/v = cat(cache, new), one query
    over every position so far (no mask needed), returning the grown cache."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pe", sinusoidal(64, D))
        self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)

    def forward(self, x, k_cache, v_cache):
        past = k_cache.size(2)
        x = x + self.pe[past:past + 1]
        q, k, v = (heads(t, HEADS) for t in self.qkv(x).chunk(3, dim=-1))
        k, v = torch.cat([k_cache, k], 2), torch.cat([v_cache, v], 2)
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        return self.out(merge_heads(torch.softmax(s, -1) @ v)), k, v


variant("kv_cache_step", "positions", CachedStep,
        lambda b, l: (randn(b, 1, D), randn(b, HEADS, l, 8), randn(b, HEADS, l, 8)),
        ["x", "k_cache", "v_cache"], ["attention"])

# ---------------------------------------------------------------------------------------------
# swin: window attention (Liu et al. 2021), windows of 4 x 4 tokens on an image of L x L tokens
# (L a multiple of 4 at both shapes: 8 and 12), relative position bias, shifted windows

WINDOW = 4


class WindowAttention(nn.Module):
    def __init__(self, shifted):
        super().__init__()
        n = WINDOW * WINDOW
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.table = nn.Parameter(torch.randn((2 * WINDOW - 1) ** 2, HEADS) * 0.5)
        coords = torch.stack(torch.meshgrid(torch.arange(WINDOW), torch.arange(WINDOW),
                                            indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + WINDOW - 1
        self.register_buffer("index", (rel[:, :, 0] * (2 * WINDOW - 1) + rel[:, :, 1]).view(n * n))
        self.shifted = shifted

    def forward(self, x, *mask):
        b, h, w, c = x.shape
        if self.shifted:
            x = torch.roll(x, shifts=(-WINDOW // 2, -WINDOW // 2), dims=(1, 2))
        windows = x.view(b, h // WINDOW, WINDOW, w // WINDOW, WINDOW, c).permute(
            0, 1, 3, 2, 4, 5).reshape(-1, WINDOW * WINDOW, c)
        bw, n, _ = windows.shape
        q, k, v = self.qkv(windows).reshape(bw, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        attn = (q * (c // HEADS) ** -0.5) @ k.transpose(-2, -1)
        bias = self.table[self.index].view(n, n, HEADS).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        if mask:
            nw = mask[0].shape[0]
            attn = attn.view(bw // nw, nw, HEADS, n, n) + mask[0].unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, HEADS, n, n)
        out = (torch.softmax(attn, -1) @ v).transpose(1, 2).reshape(bw, n, c)
        out = self.proj(out).view(b, h // WINDOW, w // WINDOW, WINDOW, WINDOW, c).permute(
            0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        if self.shifted:
            out = torch.roll(out, shifts=(WINDOW // 2, WINDOW // 2), dims=(1, 2))
        return out


def shift_mask(size):
    """Swin's attention mask of shifted windows on a size x size image: [nW, N, N], 0 or -100."""
    img = torch.zeros(1, size, size, 1)
    cnt = 0
    cuts = (slice(0, -WINDOW), slice(-WINDOW, -WINDOW // 2), slice(-WINDOW // 2, None))
    for hs in cuts:
        for ws in cuts:
            img[:, hs, ws, :] = cnt
            cnt += 1
    win = img.view(1, size // WINDOW, WINDOW, size // WINDOW, WINDOW, 1).permute(
        0, 1, 3, 2, 4, 5).reshape(-1, WINDOW * WINDOW)
    diff = win.unsqueeze(1) - win.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


def image_size(length):
    return 8 if length == SHAPES[0][1] else 12


def image(b, l):
    return randn(b, image_size(l), image_size(l), D)


variant("swin_window", "swin", lambda: WindowAttention(False), lambda b, l: (image(b, l),),
        ["x"], ["attention"])
variant("swin_shifted_window", "swin", lambda: WindowAttention(True),
        lambda b, l: (image(b, l), shift_mask(image_size(l))), ["x", "mask"],
        ["attention"])

FAMILIES = sorted({v.family for v in ZOO})
