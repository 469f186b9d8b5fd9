"""A GRU encoder and a Bahdanau (additive) attention GRU decoder step, written as a PyTorch user
would, with state names of my own: the decoder takes `state` and returns `next_state`, so
heed-compile needs --bind=next_state:state. The encoder's last hidden state is read at each
source's length (out[arange(B), len - 1]), so padding in a batch changes nothing.
"""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import common

E, H, A = 32, 48, 32


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(common.VOCAB, E)
        self.rnn = nn.GRU(E, H, batch_first=True)
        self.key_proj = nn.Linear(H, A, bias=False)
        self.init = nn.Linear(H, H)

    def forward(self, input_ids, attention_mask):
        out, _ = self.rnn(self.emb(input_ids))
        lengths = attention_mask.sum(dim=1)
        last = out[torch.arange(out.size(0)), lengths - 1]
        return out, self.key_proj(out), torch.tanh(self.init(last))


class DecoderStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(common.VOCAB, E)
        self.query = nn.Linear(H, A)
        self.v = nn.Linear(A, 1, bias=False)
        self.cell = nn.GRUCell(E + H, H)
        self.out = nn.Linear(H + H + E, common.VOCAB)

    def forward(self, prev_token, state, annotations, keys, attention_mask):
        y = self.emb(prev_token)
        energy = self.v(torch.tanh(keys + self.query(state).unsqueeze(1))).squeeze(2)
        energy = energy.masked_fill(attention_mask == 0, float("-inf"))
        alpha = F.softmax(energy, dim=1)
        context = torch.bmm(alpha.unsqueeze(1), annotations).squeeze(1)
        next_state = self.cell(torch.cat([y, context], dim=1), state)
        logits = self.out(torch.cat([next_state, context, y], dim=1))
        return F.log_softmax(logits, dim=-1), next_state, alpha


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = DecoderStep()


def train(seed=0, steps=600):
    torch.manual_seed(seed)
    m = Model()
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        src, mask, tgt_in, tgt_out = common.reversal_batch(g, 64)
        annotations, keys, state = m.encoder(src, mask)
        loss = 0.0
        for t in range(tgt_in.size(1)):
            logp, state, _ = m.decoder(tgt_in[:, t], state, annotations, keys, mask)
            loss = loss + F.nll_loss(logp, tgt_out[:, t], ignore_index=common.PAD)
        loss = loss / tgt_in.size(1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print("  train step %d loss %.4f" % (step, float(loss)))
    return m.eval()


def trained(directory):
    path = os.path.join(directory, "gru_bahdanau.pt")
    m = Model()
    if os.path.exists(path):
        m.load_state_dict(torch.load(path))
        return m.eval()
    m = train()
    torch.save(m.state_dict(), path)
    return m


def export(m, directory, opset):
    enc_path = os.path.join(directory, "gru-encoder-%d.onnx" % opset)
    dec_path = os.path.join(directory, "bahdanau-decoder-%d.onnx" % opset)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        annotations, keys, state = m.encoder(ids, mask)
    torch.onnx.export(m.encoder, (ids, mask), enc_path, opset_version=opset,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["annotations", "keys", "state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "annotations": {0: "batch", 1: "src_len"},
                                    "keys": {0: "batch", 1: "src_len"},
                                    "state": {0: "batch"}})
    prev = torch.tensor([1, 1])
    torch.onnx.export(m.decoder, (prev, state, annotations, keys, mask), dec_path,
                      opset_version=opset,
                      input_names=["prev_token", "state", "annotations", "keys",
                                   "attention_mask"],
                      output_names=["log_probs", "next_state", "alpha"],
                      dynamic_axes={"prev_token": {0: "batch"}, "state": {0: "batch"},
                                    "annotations": {0: "batch", 1: "src_len"},
                                    "keys": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "log_probs": {0: "batch"}, "next_state": {0: "batch"},
                                    "alpha": {0: "batch", 1: "src_len"}})
    return enc_path, dec_path


def torch_step(m, src):
    """Per-source step: replays the GRU decoder over the tokens so far (memoised by prefix)."""
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        annotations, keys, state0 = m.encoder(ids, mask)
    cache = {(): state0}

    def state_after(tokens):
        key = tuple(tokens)
        if key not in cache:
            prev = state_after(tokens[:-1])
            with torch.no_grad():
                logp, s, _ = m.decoder(torch.tensor([tokens[-1]]), prev, annotations, keys, mask)
            cache[key] = s
            cache[("logp",) + key] = logp[0]
        return cache[key]

    def step(tokens):
        state_after(tokens)
        return cache[("logp",) + tuple(tokens)]
    return step
