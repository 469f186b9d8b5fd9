"""The four models of the comparison, the reversal task and the file formats, in plain PyTorch.

Each model is written from its paper, independently of Heed, with the same functions as its
model.heed: encode(src, src_len) -> named tensors, and step(prev, state) -> (log_probs, new
recurrent state), the decoding contract of docs/decoding.md. Weight names (state_dict) are the
names model.heed binds.

- Seq2Seq: Sutskever et al. 2014, a 2-layer LSTM whose final (h, c) is all the decoder sees.
- Bahdanau: Bahdanau et al. 2015, bidirectional GRU encoder, additive attention, GRU decoder.
- Luong: Luong et al. 2015, LSTM encoder, global attention with the "general" score and input
  feeding (the previous attentional vector is part of the decoder state).
- Transformer: Vaswani et al. 2017, 2 encoder and 2 decoder post-norm layers; decoding runs one
  position per step against a self-attention KV cache per layer.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from safetensors_io import load_safetensors, save_safetensors  # noqa: E402

PAD, BOS, EOS, FIRST = 0, 1, 2, 3
SYMBOLS = 10                      # a-j
VOCAB = FIRST + SYMBOLS           # 13
EMBED, HIDDEN = 32, 64            # the recurrent models
D_MODEL, HEADS, FF, LAYERS = 64, 4, 128, 2   # the Transformer


#===------------------------------------------------------------------------===#
# The task: output the source backwards
#===------------------------------------------------------------------------===#

def sample(rng, min_len, max_len):
    return [rng.randrange(FIRST, VOCAB) for _ in range(rng.randint(min_len, max_len))]


def pad(seqs, width=None):
    width = width or max(len(s) for s in seqs)
    out = torch.full((len(seqs), width), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return out


def batch(seqs):
    """Padded sources, lengths, decoder inputs (<s> + reversal), targets (reversal + </s>)."""
    src = pad(seqs)
    tin = pad([[BOS] + s[::-1] for s in seqs])
    tout = pad([s[::-1] + [EOS] for s in seqs])
    return src, torch.tensor([len(s) for s in seqs]), tin, tout


def read_ids(path):
    with open(path) as f:
        return [[int(t) for t in line.split()] for line in f]


def write_ids(path, seqs):
    with open(path, "w") as f:
        f.writelines(" ".join(map(str, s)) + "\n" for s in seqs)


#===------------------------------------------------------------------------===#
# safetensors, by hand (the format: u64 header length, JSON header, raw data)
#===------------------------------------------------------------------------===#

#===------------------------------------------------------------------------===#
# Shared pieces
#===------------------------------------------------------------------------===#

def run_rnn(rnn, x, lengths):
    """nn.LSTM/GRU over a padded batch: zeros past each length, final state at the last step."""
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state


def masked_softmax(scores, lengths):
    """Softmax over the last dim with keys at or past lengths[b] masked out."""
    mask = torch.arange(scores.shape[-1])[None, :] < lengths[:, None]  # [B, Lk]
    while mask.dim() < scores.dim():
        mask = mask.unsqueeze(1)
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


class Model(nn.Module):
    """encode + step; the teacher-forced loss runs step once per target position."""
    name = ""

    def teacher_forced(self, src, src_len, tin):
        state = self.encode(src, src_len)
        steps = []
        for t in range(tin.shape[1]):
            logp, new = self.step(tin[:, t], state)
            state = {**state, **new}
            steps.append(logp)
        return torch.stack(steps, 1)  # [B, T, V]

    def greedy(self, src, src_len):
        """Greedy decoding as heed-run translate does it: up to 2 * length + 10 tokens per row
        (the last one kept even if it is not </s>), argmax ties to the lowest id."""
        state = self.encode(src, src_len)
        rows = src.shape[0]
        limit = [2 * int(n) + 10 for n in src_len]
        prev = torch.full((rows,), BOS, dtype=torch.long)
        out, done = [[] for _ in range(rows)], [False] * rows
        for t in range(max(limit)):
            logp, new = self.step(prev, state)
            state = {**state, **new}
            prev = logp.argmax(-1)
            for i, tok in enumerate(prev.tolist()):
                if done[i]:
                    continue
                if tok == EOS:
                    done[i] = True
                else:
                    out[i].append(tok)
                    done[i] = t + 1 >= limit[i]
            if all(done):
                break
        return out


#===------------------------------------------------------------------------===#
# Sutskever et al. 2014: the final state is the only summary of the source
#===------------------------------------------------------------------------===#

class Seq2Seq(Model):
    name = "seq2seq"

    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleDict({"embed": nn.Embedding(VOCAB, EMBED),
                                  "rnn": nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True)})
        self.dec = nn.ModuleDict({"embed": nn.Embedding(VOCAB, EMBED),
                                  "rnn": nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True),
                                  "out": nn.Linear(HIDDEN, VOCAB)})

    def encode(self, src, src_len):
        _, (h, c) = run_rnn(self.enc["rnn"], self.enc["embed"](src), src_len)
        return {"h": h, "c": c}

    def step(self, prev, state):
        y = self.dec["embed"](prev)[:, None, :]
        out, (h, c) = self.dec["rnn"](y, (state["h"], state["c"]))
        return F.log_softmax(self.dec["out"](out[:, 0]), -1), {"h": h, "c": c}

    def teacher_forced(self, src, src_len, tin):
        # The same as one step per position, in one nn.LSTM call.
        state = self.encode(src, src_len)
        out, _ = self.dec["rnn"](self.dec["embed"](tin), (state["h"], state["c"]))
        return F.log_softmax(self.dec["out"](out), -1)


#===------------------------------------------------------------------------===#
# Bahdanau et al. 2015: additive attention over a bidirectional GRU's states
#===------------------------------------------------------------------------===#

class Additive(nn.Module):
    """e = v^T tanh(W_q q + (W_k h + b)); the keys W_k h + b are computed once, in encode."""

    def __init__(self, query_size, key_size, size):
        super().__init__()
        self.query = nn.Linear(query_size, size, bias=False)
        self.key = nn.Linear(key_size, size)
        self.v = nn.Parameter(torch.randn(size) * 0.3)

    def forward(self, q, keys, values, lengths):
        scores = torch.tanh(self.query(q)[:, None, :] + keys) @ self.v  # [B, S]
        alpha = masked_softmax(scores, lengths)
        return (alpha[:, :, None] * values).sum(1), alpha


class Bahdanau(Model):
    name = "bahdanau"

    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleDict({"embed": nn.Embedding(VOCAB, EMBED),
                                  "rnn": nn.GRU(EMBED, HIDDEN, batch_first=True,
                                                bidirectional=True)})
        self.attn = Additive(HIDDEN, 2 * HIDDEN, HIDDEN)
        self.dec = nn.ModuleDict({"init": nn.Linear(2 * HIDDEN, HIDDEN),
                                  "embed": nn.Embedding(VOCAB, EMBED),
                                  "cell": nn.GRUCell(EMBED + 2 * HIDDEN, HIDDEN),
                                  "out": nn.Linear(HIDDEN + 2 * HIDDEN + EMBED, VOCAB)})

    def encode(self, src, src_len):
        memory, h = run_rnn(self.enc["rnn"], self.enc["embed"](src), src_len)
        both = h.transpose(0, 1).reshape(h.shape[1], 2 * HIDDEN)  # [B, fwd ++ bwd]
        return {"memory": memory, "keys": self.attn.key(memory), "src_len": src_len,
                "s": torch.tanh(self.dec["init"](both))}

    def step(self, prev, state):
        context, alpha = self.attn(state["s"], state["keys"], state["memory"], state["src_len"])
        y = self.dec["embed"](prev)
        s = self.dec["cell"](torch.cat([y, context], -1), state["s"])
        logits = self.dec["out"](torch.cat([s, context, y], -1))
        return F.log_softmax(logits, -1), {"s": s, "attention": alpha}


#===------------------------------------------------------------------------===#
# Luong et al. 2015: global attention, "general" score, input feeding
#===------------------------------------------------------------------------===#

class Luong(Model):
    name = "luong"

    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleDict({"embed": nn.Embedding(VOCAB, EMBED),
                                  "rnn": nn.LSTM(EMBED, HIDDEN, batch_first=True)})
        self.attn = nn.ModuleDict({"W_a": nn.Linear(HIDDEN, HIDDEN, bias=False)})
        self.dec = nn.ModuleDict({"embed": nn.Embedding(VOCAB, EMBED),
                                  "cell": nn.LSTMCell(EMBED + HIDDEN, HIDDEN),
                                  "W_c": nn.Linear(2 * HIDDEN, HIDDEN, bias=False),
                                  "out": nn.Linear(HIDDEN, VOCAB)})

    def encode(self, src, src_len):
        memory, (h, c) = run_rnn(self.enc["rnn"], self.enc["embed"](src), src_len)
        return {"memory": memory, "keys": self.attn["W_a"](memory), "src_len": src_len,
                "h": h[0], "c": c[0], "feed": torch.zeros(src.shape[0], HIDDEN)}

    def step(self, prev, state):
        y = self.dec["embed"](prev)
        h, c = self.dec["cell"](torch.cat([y, state["feed"]], -1), (state["h"], state["c"]))
        scores = (state["keys"] @ h[:, :, None])[:, :, 0]             # h_t^T W_a h_s
        alpha = masked_softmax(scores, state["src_len"])
        context = (alpha[:, :, None] * state["memory"]).sum(1)
        h_tilde = torch.tanh(self.dec["W_c"](torch.cat([context, h], -1)))
        return (F.log_softmax(self.dec["out"](h_tilde), -1),
                {"h": h, "c": c, "feed": h_tilde, "attention": alpha})


#===------------------------------------------------------------------------===#
# Vaswani et al. 2017: post-norm Transformer, a KV cache per decoder layer
#===------------------------------------------------------------------------===#

class MultiHead(nn.Module):
    def __init__(self):
        super().__init__()
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            setattr(self, name, nn.Linear(D_MODEL, D_MODEL))

    @staticmethod
    def attend(q, k, v, lengths=None, causal=False):
        b, lq, lk, d = q.shape[0], q.shape[1], k.shape[1], D_MODEL // HEADS
        split = lambda t: t.reshape(b, t.shape[1], HEADS, d).transpose(1, 2)
        scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(d)  # [B, H, Lq, Lk]
        if causal:
            scores = scores.masked_fill(~torch.ones(lq, lk, dtype=torch.bool).tril(),
                                        float("-inf"))
        weights = masked_softmax(scores, lengths) if lengths is not None else scores.softmax(-1)
        return (weights @ split(v)).transpose(1, 2).reshape(b, lq, D_MODEL)


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(D_MODEL, FF)
        self.fc2 = nn.Linear(FF, D_MODEL)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def positions(offset, length):
    """Sinusoidal encodings, sin and cos interleaved, for positions offset .. offset+length-1."""
    p = torch.arange(offset, offset + length, dtype=torch.float64)[:, None]
    angle = p / torch.pow(10000.0, torch.arange(0, D_MODEL, 2, dtype=torch.float64) / D_MODEL)
    pe = torch.zeros(length, D_MODEL, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


def encoder_layer():
    return nn.ModuleDict({"self_attn": MultiHead(), "norm1": nn.LayerNorm(D_MODEL),
                          "ff": FeedForward(), "norm2": nn.LayerNorm(D_MODEL)})


def decoder_layer():
    return nn.ModuleDict({"self_attn": MultiHead(), "norm1": nn.LayerNorm(D_MODEL),
                          "cross_attn": MultiHead(), "norm2": nn.LayerNorm(D_MODEL),
                          "ff": FeedForward(), "norm3": nn.LayerNorm(D_MODEL)})


class Transformer(Model):
    name = "transformer"

    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleDict({"embed": nn.Embedding(VOCAB, D_MODEL),
                                  "layers": nn.ModuleList(encoder_layer()
                                                          for _ in range(LAYERS))})
        self.dec = nn.ModuleDict({"embed": nn.Embedding(VOCAB, D_MODEL),
                                  "layers": nn.ModuleList(decoder_layer()
                                                          for _ in range(LAYERS)),
                                  "out": nn.Linear(D_MODEL, VOCAB)})
        # Embeddings N(0, 1/d_model), so that scaled by sqrt(d_model) they are about as large as
        # the positional encodings. PyTorch's default N(0, 1) makes them 8 times larger and the
        # positions (all that reversal needs) nearly invisible: training then barely moves.
        for embed in (self.enc["embed"], self.dec["embed"]):
            nn.init.normal_(embed.weight, 0.0, D_MODEL ** -0.5)

    def encode(self, src, src_len):
        x = self.enc["embed"](src) * math.sqrt(D_MODEL) + positions(0, src.shape[1])
        for layer in self.enc["layers"]:
            a = layer["self_attn"]
            x = layer["norm1"](x + a.out_proj(a.attend(a.q_proj(x), a.k_proj(x), a.v_proj(x),
                                                         src_len)))
            x = layer["norm2"](x + layer["ff"](x))
        state = {"src_len": src_len}
        for i, layer in enumerate(self.dec["layers"]):
            cross = layer["cross_attn"]
            state[f"cross_k{i}"] = cross.k_proj(x)
            state[f"cross_v{i}"] = cross.v_proj(x)
        return state

    def _tail(self, layer, i, y, state):
        cross = layer["cross_attn"]
        c = cross.out_proj(cross.attend(cross.q_proj(y), state[f"cross_k{i}"],
                                        state[f"cross_v{i}"], state["src_len"]))
        y = layer["norm2"](y + c)
        return layer["norm3"](y + layer["ff"](y))

    def step(self, prev, state):
        b = prev.shape[0]
        cached = state.get("self_k0")
        t = 0 if cached is None else cached.shape[1]
        y = self.dec["embed"](prev)[:, None, :] * math.sqrt(D_MODEL) + positions(t, 1)
        new = {}
        for i, layer in enumerate(self.dec["layers"]):
            a = layer["self_attn"]
            past_k = state.get(f"self_k{i}", torch.zeros(b, 0, D_MODEL))
            past_v = state.get(f"self_v{i}", torch.zeros(b, 0, D_MODEL))
            k = torch.cat([past_k, a.k_proj(y)], 1)
            v = torch.cat([past_v, a.v_proj(y)], 1)
            new[f"self_k{i}"], new[f"self_v{i}"] = k, v
            y = layer["norm1"](y + a.out_proj(a.attend(a.q_proj(y), k, v)))
            y = self._tail(layer, i, y, state)
        return F.log_softmax(self.dec["out"](y[:, 0]), -1), new

    def teacher_forced(self, src, src_len, tin):
        # All positions at once with a causal mask: the same numbers as step position by
        # position (checked in train.py).
        state = self.encode(src, src_len)
        y = self.dec["embed"](tin) * math.sqrt(D_MODEL) + positions(0, tin.shape[1])
        for i, layer in enumerate(self.dec["layers"]):
            a = layer["self_attn"]
            y = layer["norm1"](y + a.out_proj(a.attend(a.q_proj(y), a.k_proj(y), a.v_proj(y),
                                                         causal=True)))
            y = self._tail(layer, i, y, state)
        return F.log_softmax(self.dec["out"](y), -1)


MODELS = [Seq2Seq, Bahdanau, Luong, Transformer]
