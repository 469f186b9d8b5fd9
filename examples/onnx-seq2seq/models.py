"""The models of examples/onnx-seq2seq, their ONNX export modules and their PyTorch decoders.

Both models learn examples/reverse's task (reverse 3-10 symbols over a-j; its vocabulary of 13
with <pad> 0, <s> 1, </s> 2, its training-data generator and its held-out set):

- gru: a GRU encoder and a Bahdanau-attention GRU decoder step. The step returns its state as
  `new_hidden` but takes it as `hidden`, so heed-compile needs --bind=new_hidden:hidden.
- transformer: nn.TransformerEncoder / nn.TransformerDecoder layers (d_model 64, 4 heads,
  feed-forward 128, 2 layers each, post-norm), learned positions, one token embedding shared by
  the encoder and the decoder. Exported with two decoders over the same weights:
  prefix_decoder.onnx (all tokens so far [B, T] -> logits [B, T, V], the nn modules themselves)
  and kv_decoder.onnx (one token and a KV cache per layer in Hugging Face's names, written by hand
  from the same nn layers' weights).

The `*_stepper` functions give examples/torch_beam.py's start / step / select over the very
modules that are exported, one source at a time, so the references are PyTorch running the
exported graphs' code on the committed weights.
"""
import importlib.util
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# examples/reverse/train.py: the vocabulary, the data generator and the held-out set (loaded by
# path: this folder's train.py has the same module name).
_spec = importlib.util.spec_from_file_location(
    "reverse_train", os.path.join(os.path.dirname(HERE), "reverse", "train.py"))
reverse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reverse)

PAD, BOS, EOS, FIRST, VOCAB = reverse.PAD, reverse.BOS, reverse.EOS, reverse.FIRST, reverse.VOCAB

# gru
EMBED, HIDDEN, ATTN = 16, 64, 32
# transformer
D, HEADS, FF, LAYERS, MAXPOS = 64, 4, 128, 2, 64
DH = D // HEADS


class GruEncoder(nn.Module):
    """input_ids, attention_mask [B, S] -> memory [B, S, H], keys [B, S, A], hidden [B, H].
    Left to right only, so the pads after a row's end do not reach its positions; the first
    decoder state is a projection of the masked mean of memory."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.key = nn.Linear(HIDDEN, ATTN)
        self.init = nn.Linear(HIDDEN, HIDDEN)

    def forward(self, input_ids, attention_mask):
        memory, _ = self.gru(self.embed(input_ids))
        mask = attention_mask.unsqueeze(-1).to(memory.dtype)
        mean = (memory * mask).sum(1) / mask.sum(1)
        return memory, self.key(memory), torch.tanh(self.init(mean))


class GruDecoderStep(nn.Module):
    """input_ids [B, 1], hidden, memory, keys, attention_mask -> logits [B, V], new_hidden,
    attention [B, S] (Bahdanau: e = v^T tanh(keys + W_q hidden))."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.query = nn.Linear(HIDDEN, ATTN, bias=False)
        self.v = nn.Linear(ATTN, 1, bias=False)
        self.cell = nn.GRUCell(EMBED + HIDDEN, HIDDEN)
        self.out = nn.Linear(2 * HIDDEN + EMBED, VOCAB)

    def forward(self, input_ids, hidden, memory, keys, attention_mask):
        y = self.embed(input_ids[:, 0])
        e = self.v(torch.tanh(keys + self.query(hidden).unsqueeze(1))).squeeze(-1)
        a = torch.softmax(e.masked_fill(attention_mask == 0, float("-inf")), dim=-1)
        context = torch.bmm(a.unsqueeze(1), memory).squeeze(1)
        new_hidden = self.cell(torch.cat([y, context], -1), hidden)
        return self.out(torch.cat([new_hidden, context, y], -1)), new_hidden, a


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = GruEncoder(), GruDecoderStep()

    def teacher_forced(self, src, mask, tin):
        """Logits [B, T, V] of every target position."""
        memory, keys, hidden = self.encoder(src, mask)
        steps = []
        for t in range(tin.shape[1]):
            logits, hidden, _ = self.decoder(tin[:, t:t + 1], hidden, memory, keys, mask)
            steps.append(logits)
        return torch.stack(steps, 1)


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)  # shared by the encoder and the decoder
        self.enc_pos = nn.Embedding(MAXPOS, D)
        self.dec_pos = nn.Embedding(MAXPOS, D)
        layer = lambda cls: cls(D, HEADS, FF, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer(nn.TransformerEncoderLayer), LAYERS,
                                             enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(layer(nn.TransformerDecoderLayer), LAYERS)
        self.proj = nn.Linear(D, VOCAB)

    def encode(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.size(1)).unsqueeze(0)
        x = self.embed(input_ids) + self.enc_pos(positions)
        return self.encoder(x, src_key_padding_mask=attention_mask == 0)

    def decode(self, input_ids, memory, attention_mask):
        """All target positions at once (causal): logits [B, T, V]."""
        T = input_ids.size(1)
        x = self.embed(input_ids) + self.dec_pos(torch.arange(T).unsqueeze(0))
        future = ~torch.ones(T, T, dtype=torch.bool).tril()
        x = self.decoder(x, memory, tgt_mask=future, memory_key_padding_mask=attention_mask == 0)
        return self.proj(x)

    def teacher_forced(self, src, mask, tin):
        return self.decode(tin, self.encode(src, mask), mask)


class TransformerEncoder(nn.Module):
    """input_ids, attention_mask -> last_hidden_state (Hugging Face's names)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode(input_ids, attention_mask)


class PrefixDecoder(nn.Module):
    """input_ids [B, T] (all tokens so far), encoder_hidden_states, encoder_attention_mask ->
    logits [B, T, V]: no cache, Heed reads the last position."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        return self.model.decode(input_ids, encoder_hidden_states, encoder_attention_mask)


def _heads(x):  # [B, T, D] -> [B, HEADS, T, DH]
    return x.reshape(x.size(0), x.size(1), HEADS, DH).transpose(1, 2)


def _merge(x):  # [B, HEADS, T, DH] -> [B, T, D]
    return x.transpose(1, 2).reshape(x.size(0), x.size(2), D)


def _attend(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(DH)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class KvDecoderStep(nn.Module):
    """One token per step with a self-attention KV cache, in Hugging Face's names:
    input_ids [B, 1], encoder_hidden_states [B, S, D], encoder_attention_mask [B, S],
    past_key_values.N.key / .value [B, HEADS, T, DH] (N = 0, 1) -> logits [B, 1, V],
    present.N.key / .value [B, HEADS, T + 1, DH]. The arithmetic of nn.TransformerDecoderLayer
    (post-norm, ReLU) on its own weights, with the cross-attention keys and values recomputed from
    encoder_hidden_states at every step."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, *past):
        m = self.model
        position = torch.full_like(input_ids, past[0].size(2))
        x = m.embed(input_ids) + m.dec_pos(position)
        pad = (encoder_attention_mask == 0)[:, None, None, :]
        present = []
        for n, layer in enumerate(m.decoder.layers):
            sa = layer.self_attn
            q, k, v = F.linear(x, sa.in_proj_weight, sa.in_proj_bias).chunk(3, dim=-1)
            key = torch.cat([past[2 * n], _heads(k)], dim=2)
            value = torch.cat([past[2 * n + 1], _heads(v)], dim=2)
            present += [key, value]
            x = layer.norm1(x + sa.out_proj(_merge(_attend(_heads(q), key, value))))
            ca = layer.multihead_attn
            wq, wk, wv = ca.in_proj_weight.chunk(3)
            bq, bk, bv = ca.in_proj_bias.chunk(3)
            ck = _heads(F.linear(encoder_hidden_states, wk, bk))
            cv = _heads(F.linear(encoder_hidden_states, wv, bv))
            cross = _attend(_heads(F.linear(x, wq, bq)), ck, cv, pad)
            x = layer.norm2(x + ca.out_proj(_merge(cross)))
            x = layer.norm3(x + layer.linear2(F.relu(layer.linear1(x))))
        return (m.proj(x), *present)


def kv_names():
    past = [f"past_key_values.{n}.{kv}" for n in range(LAYERS) for kv in ("key", "value")]
    return past, [p.replace("past_key_values", "present") for p in past]


def _source(source):
    ids = torch.tensor([source])
    return ids, torch.ones_like(ids)


def gru_stepper(model, source):
    """torch_beam's start / step / select for the exported GRU modules: the state is hidden."""
    ids, mask = _source(source)
    memory, keys, hidden = model.encoder(ids, mask)

    def step(prev, hidden):
        n = prev.shape[0]
        logits, hidden, _ = model.decoder(prev[:, None], hidden, memory.expand(n, -1, -1),
                                          keys.expand(n, -1, -1), mask.expand(n, -1))
        return logits.log_softmax(-1), hidden

    return (lambda: hidden), step, (lambda hidden, parents: hidden[parents])


def prefix_stepper(model, source):
    """The prefix decoder as Heed drives it (docs/decoding.md, prefix mode): the state is <s> and
    the tokens before the previous one [n, T - 1], empty at first."""
    ids, mask = _source(source)
    memory, decoder = TransformerEncoder(model)(ids, mask), PrefixDecoder(model)

    def step(prev, prefix):
        n = prev.shape[0]
        tokens = torch.cat([prefix, prev[:, None]], 1)  # <s> and every token so far
        logits = decoder(tokens, memory.expand(n, -1, -1), mask.expand(n, -1))
        return logits[:, -1].log_softmax(-1), tokens

    return (lambda: torch.zeros(1, 0, dtype=torch.long)), step, \
        (lambda prefix, parents: prefix[parents])


def kv_stepper(model, source):
    """The KV-cache step: the state is the cache, 2 * LAYERS tensors [n, HEADS, T, DH]."""
    ids, mask = _source(source)
    memory, decoder = TransformerEncoder(model)(ids, mask), KvDecoderStep(model)

    def step(prev, past):
        n = prev.shape[0]
        logits, *present = decoder(prev[:, None], memory.expand(n, -1, -1), mask.expand(n, -1),
                                   *past)
        return logits[:, 0].log_softmax(-1), present

    empty = [torch.zeros(1, HEADS, 0, DH) for _ in range(2 * LAYERS)]
    return (lambda: empty), step, (lambda past, parents: [p[parents] for p in past])
