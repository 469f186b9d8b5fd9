"""A small Transformer written with torch.nn's layers (batch_first, norm_first, a sinusoidal
positional-encoding buffer sliced to the input's length), trained briefly on reversal, and its
hand-written KV-cache decoder step (Hugging Face's input and output names) over the same weights.
"""

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import common

D, HEADS, LAYERS, FF = 32, 4, 2, 64


def sinusoids(n, d):
    pos = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(1, n, d)
    pe[0, :, 0::2] = torch.sin(pos * div)
    pe[0, :, 1::2] = torch.cos(pos * div)
    return pe


class Seq2SeqTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(common.VOCAB, D)
        self.tgt_emb = nn.Embedding(common.VOCAB, D)
        self.register_buffer("pe", sinusoids(128, D))
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True,
                                       norm_first=True),
            LAYERS, norm=nn.LayerNorm(D), enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True,
                                       norm_first=True),
            LAYERS, norm=nn.LayerNorm(D))
        self.generator = nn.Linear(D, common.VOCAB)

    def encode(self, input_ids, attention_mask):
        x = self.src_emb(input_ids) * math.sqrt(D) + self.pe[:, :input_ids.size(1)]
        return self.encoder(x, src_key_padding_mask=attention_mask == 0)

    def decode(self, input_ids, memory, attention_mask):
        T = input_ids.size(1)
        y = self.tgt_emb(input_ids) * math.sqrt(D) + self.pe[:, :T]
        causal = nn.Transformer.generate_square_subsequent_mask(T)
        h = self.decoder(y, memory, tgt_mask=causal, memory_key_padding_mask=attention_mask == 0)
        return self.generator(h)


class Encoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.encode(input_ids, attention_mask)


class PrefixDecoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask):
        return self.m.decode(input_ids, encoder_hidden_states, encoder_attention_mask)


class KVDecoderStep(nn.Module):
    """One step with a self-attention KV cache [B, H, T, Dh] per layer, written by hand over the
    nn.TransformerDecoderLayer weights (what a user does to export a fast decoder)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def attend(self, q, k, v, mask=None):
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        return torch.matmul(torch.softmax(scores, dim=-1), v)

    def heads(self, x):
        B, L, _ = x.shape
        return x.view(B, L, HEADS, D // HEADS).transpose(1, 2)

    def merge(self, x):
        B, _, L, _ = x.shape
        return x.transpose(1, 2).reshape(B, L, D)

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, *past):
        past_len = past[0].size(2)
        x = self.m.tgt_emb(input_ids) * math.sqrt(D) + self.m.pe[:, past_len:past_len + 1]
        pad = (encoder_attention_mask == 0)[:, None, None, :]
        presents = []
        for i, layer in enumerate(self.m.decoder.layers):
            sa = layer.self_attn
            q, k, v = F.linear(layer.norm1(x), sa.in_proj_weight, sa.in_proj_bias).chunk(3, dim=-1)
            k = torch.cat([past[2 * i], self.heads(k)], dim=2)
            v = torch.cat([past[2 * i + 1], self.heads(v)], dim=2)
            presents += [k, v]
            x = x + sa.out_proj(self.merge(self.attend(self.heads(q), k, v)))
            ca = layer.multihead_attn
            wq, wk, wv = ca.in_proj_weight.chunk(3)
            bq, bk, bv = ca.in_proj_bias.chunk(3)
            q = self.heads(F.linear(layer.norm2(x), wq, bq))
            ck = self.heads(F.linear(encoder_hidden_states, wk, bk))
            cv = self.heads(F.linear(encoder_hidden_states, wv, bv))
            x = x + ca.out_proj(self.merge(self.attend(q, ck, cv, pad)))
            x = x + layer.linear2(F.relu(layer.linear1(layer.norm3(x))))
        logits = self.m.generator(self.m.decoder.norm(x))
        return (logits, *presents)


class CrossKVEncoder(nn.Module):
    """The encoder that also projects the cross-attention keys and values of every decoder layer
    once per source (outputs cross.N.key / cross.N.value [B, H, S, Dh]), as Whisper-style
    exports do, so the step does not recompute them."""

    def __init__(self, m):
        super().__init__()
        self.m = m
        self.step = KVDecoderStep(m)

    def forward(self, input_ids, attention_mask):
        memory = self.m.encode(input_ids, attention_mask)
        out = [memory]
        for layer in self.m.decoder.layers:
            ca = layer.multihead_attn
            _, wk, wv = ca.in_proj_weight.chunk(3)
            _, bk, bv = ca.in_proj_bias.chunk(3)
            out += [self.step.heads(F.linear(memory, wk, bk)),
                    self.step.heads(F.linear(memory, wv, bv))]
        return tuple(out)


class CrossKVDecoderStep(KVDecoderStep):
    """The KV step reading the encoder's precomputed cross keys and values by name."""

    def forward(self, input_ids, encoder_attention_mask, *caches):
        n = 2 * LAYERS
        past, cross = caches[:n], caches[n:]
        past_len = past[0].size(2)
        x = self.m.tgt_emb(input_ids) * math.sqrt(D) + self.m.pe[:, past_len:past_len + 1]
        pad = (encoder_attention_mask == 0)[:, None, None, :]
        presents = []
        for i, layer in enumerate(self.m.decoder.layers):
            sa = layer.self_attn
            q, k, v = F.linear(layer.norm1(x), sa.in_proj_weight, sa.in_proj_bias).chunk(3, dim=-1)
            k = torch.cat([past[2 * i], self.heads(k)], dim=2)
            v = torch.cat([past[2 * i + 1], self.heads(v)], dim=2)
            presents += [k, v]
            x = x + sa.out_proj(self.merge(self.attend(self.heads(q), k, v)))
            ca = layer.multihead_attn
            wq, _, _ = ca.in_proj_weight.chunk(3)
            bq, _, _ = ca.in_proj_bias.chunk(3)
            q = self.heads(F.linear(layer.norm2(x), wq, bq))
            x = x + ca.out_proj(self.merge(self.attend(q, cross[2 * i], cross[2 * i + 1], pad)))
            x = x + layer.linear2(F.relu(layer.linear1(layer.norm3(x))))
        logits = self.m.generator(self.m.decoder.norm(x))
        return (logits, *presents)


def export_cross_kv(m, directory, opset):
    enc_path = os.path.join(directory, "cross-encoder-%d.onnx" % opset)
    dec_path = os.path.join(directory, "cross-kv-decoder-%d.onnx" % opset)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]])
    mask = (ids != 0).long()
    cross_names = ["cross.%d.%s" % (i, kv) for i in range(LAYERS) for kv in ("key", "value")]
    axes = {"input_ids": {0: "batch", 1: "src_len"}, "attention_mask": {0: "batch", 1: "src_len"},
            "last_hidden_state": {0: "batch", 1: "src_len"}}
    axes.update({n: {0: "batch", 2: "src_len"} for n in cross_names})
    with torch.no_grad():
        cross = CrossKVEncoder(m)(ids, mask)[1:]
    torch.onnx.export(CrossKVEncoder(m), (ids, mask), enc_path, opset_version=opset,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"] + cross_names, dynamic_axes=axes)
    past = [torch.randn(2, HEADS, 3, D // HEADS) for _ in range(2 * LAYERS)]
    past_names = ["past_key_values.%d.%s" % (i, kv) for i in range(LAYERS)
                  for kv in ("key", "value")]
    present_names = [n.replace("past_key_values", "present") for n in past_names]
    axes = {"input_ids": {0: "batch"}, "encoder_attention_mask": {0: "batch", 1: "src_len"},
            "logits": {0: "batch"}}
    axes.update({n: {0: "batch", 2: "past_len"} for n in past_names})
    axes.update({n: {0: "batch", 2: "past_len + 1"} for n in present_names})
    axes.update({n: {0: "batch", 2: "src_len"} for n in cross_names})
    torch.onnx.export(CrossKVDecoderStep(m), (ids[:, :1], mask, *past, *cross), dec_path,
                      opset_version=opset,
                      input_names=["input_ids", "encoder_attention_mask"] + past_names +
                      cross_names, output_names=["logits"] + present_names, dynamic_axes=axes)
    return enc_path, dec_path


def train(seed=0, steps=700):
    torch.manual_seed(seed)
    m = Seq2SeqTransformer()
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        src, mask, tgt_in, tgt_out = common.reversal_batch(g, 64)
        logits = m.decode(tgt_in, m.encode(src, mask), mask)
        loss = F.cross_entropy(logits.reshape(-1, common.VOCAB), tgt_out.reshape(-1),
                               ignore_index=common.PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print("  train step %d loss %.4f" % (step, float(loss)))
    return m.eval()


def trained(directory):
    """The trained model, cached in directory (the training is seeded)."""
    path = os.path.join(directory, "transformer.pt")
    m = Seq2SeqTransformer()
    if os.path.exists(path):
        m.load_state_dict(torch.load(path))
        return m.eval()
    m = train()
    torch.save(m.state_dict(), path)
    return m


def export(m, directory, opset):
    enc_path = os.path.join(directory, "encoder-%d.onnx" % opset)
    prefix_path = os.path.join(directory, "prefix-decoder-%d.onnx" % opset)
    kv_path = os.path.join(directory, "kv-decoder-%d.onnx" % opset)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        memory = m.encode(ids, mask)
    torch.onnx.export(Encoder(m), (ids, mask), enc_path, opset_version=opset,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "src_len"},
                                    "attention_mask": {0: "batch", 1: "src_len"},
                                    "last_hidden_state": {0: "batch", 1: "src_len"}})
    tgt = torch.tensor([[1, 8, 7], [1, 11, 10]])
    torch.onnx.export(PrefixDecoder(m), (tgt, memory, mask), prefix_path, opset_version=opset,
                      input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask"],
                      output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tgt_len"},
                                    "encoder_hidden_states": {0: "batch", 1: "src_len"},
                                    "encoder_attention_mask": {0: "batch", 1: "src_len"},
                                    "logits": {0: "batch", 1: "tgt_len"}})
    past = [torch.randn(2, HEADS, 3, D // HEADS) for _ in range(2 * LAYERS)]
    past_names, present_names, axes = [], [], {
        "input_ids": {0: "batch"},
        "encoder_hidden_states": {0: "batch", 1: "src_len"},
        "encoder_attention_mask": {0: "batch", 1: "src_len"},
        "logits": {0: "batch"}}
    for i in range(LAYERS):
        for kv in ("key", "value"):
            past_names.append("past_key_values.%d.%s" % (i, kv))
            present_names.append("present.%d.%s" % (i, kv))
            axes[past_names[-1]] = {0: "batch", 2: "past_sequence_length"}
            axes[present_names[-1]] = {0: "batch", 2: "past_sequence_length + 1"}
    torch.onnx.export(KVDecoderStep(m), (tgt[:, :1], memory, mask, *past), kv_path,
                      opset_version=opset,
                      input_names=["input_ids", "encoder_hidden_states",
                                   "encoder_attention_mask"] + past_names,
                      output_names=["logits"] + present_names, dynamic_axes=axes)
    # The same step with the sequence axes Optimum declares (input_ids and logits
    # {0: batch, 1: decoder_sequence_length}), as a user copying the encoder's axes writes them.
    kv_seq_path = os.path.join(directory, "kv-seq-decoder-%d.onnx" % opset)
    axes = dict(axes, input_ids={0: "batch", 1: "decoder_sequence_length"},
                logits={0: "batch", 1: "decoder_sequence_length"})
    torch.onnx.export(KVDecoderStep(m), (tgt[:, :1], memory, mask, *past), kv_seq_path,
                      opset_version=opset,
                      input_names=["input_ids", "encoder_hidden_states",
                                   "encoder_attention_mask"] + past_names,
                      output_names=["logits"] + present_names, dynamic_axes=axes)
    return enc_path, prefix_path, kv_path, kv_seq_path


def torch_step(m, src):
    """Per-source step over the nn layers (the whole prefix each time)."""
    ids = torch.tensor([src])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        memory = m.encode(ids, mask)

    def step(tokens):
        with torch.no_grad():
            logits = m.decode(torch.tensor([tokens]), memory, mask)[0, -1]
        return torch.log_softmax(logits, -1)
    return step


def kv_consistency(m):
    """The hand-written KV step equals the nn layers' prefix decoder (else the trial is moot)."""
    src = torch.tensor([[4, 5, 6, 7, 8]])
    mask = torch.ones_like(src)
    tokens = [common.BOS, 8, 7, 6]
    with torch.no_grad():
        memory = m.encode(src, mask)
        full = m.decode(torch.tensor([tokens]), memory, mask)[0]
        step = KVDecoderStep(m)
        past = [torch.zeros(1, HEADS, 0, D // HEADS) for _ in range(2 * LAYERS)]
        worst = 0.0
        for t, tok in enumerate(tokens):
            out = step(torch.tensor([[tok]]), memory, mask, *past)
            past = list(out[1:])
            worst = max(worst, float((out[0][0, 0] - full[t]).abs().max()))
    return worst
