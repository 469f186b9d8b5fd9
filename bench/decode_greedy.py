#!/usr/bin/python3
"""Greedy decoding throughput: Heed vs the PyTorch eager greedy loop of the same model.

usage: bench/decode_greedy.py [--build DIR] [--threads N] [--batch 16] [--src-len 32]
                              [--steps 32] [--repeat 5] [--hidden 512] [--vocab 1000]
                              [--workdir DIR] [--quick]

The model is a Bahdanau-attention LSTM encoder-decoder (bidirectional LSTM encoder, additive
attention with the keys W_h h + b computed once in encode, LSTMCell decoder; hidden H = 512,
embedding H / 2, attention H, vocabulary 1000 by default) with random weights, written twice: as a .heed
model (encode + decode_step, docs/decoding.md) and as torch modules. The weights are the same
file; </s> gets a -1e4 output bias so every sentence runs the full --steps steps on both sides
(tokens = batch * steps).

- Heed: through its Python package, `heed.Translator(heed.compile(MODEL)).translate_batch(
  sources, beam_size=1, max_decoding_length=STEPS, max_batch_size=B)`, i.e. the runtime's
  greedy decoder behind the C API (heed_decoder_translate) that `heed-run translate` uses too:
  encode, then one decode_step call per step, argmax and state hand-over on the host. The first
  translate warms up; the R timed ones exclude compiling and loading.
- PyTorch 1.13 eager: encode, then `for t in range(steps): logp, h, c = step(prev, ...);
  prev = logp.argmax(-1)` under inference_mode, with torch.set_num_threads(N) and the tuned
  environment of bench/compare (OpenBLAS-OpenMP, malloc settings).
Both decode the same source batch; the script checks the two token outputs agree (a
mismatch is printed, never hidden) and prints tokens/s and the ratio Heed / torch.

bench/compare runs this for its "decoder" case (--cases=decoder). Benchmarks are not tests: nothing fails on a
slow number, and numbers from a loaded machine mean little.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_ENV = {
    "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
    "MALLOC_TOP_PAD_": "536870912",
}
EMBED, HIDDEN, ATTN, VOCAB = 256, 512, 512, 1000  # set from --hidden / --vocab
BOS, EOS = 1, 2


def set_sizes(hidden, vocab):
    global EMBED, HIDDEN, ATTN, VOCAB
    EMBED, HIDDEN, ATTN, VOCAB = hidden // 2, hidden, hidden, vocab


def model_text():
    return f"""# A Bahdanau-attention LSTM encoder-decoder with random weights (bench/decode_greedy.py).
model bahdanau_lstm
weights "bahdanau_lstm.npz"

func encode(src: i64[B, S], src_len: i64[B])
    -> (memory: f32[B, S, {2 * HIDDEN}], keys: f32[B, S, {ATTN}], h: f32[B, {HIDDEN}],
        c: f32[B, {HIDDEN}]) {{
  let memory, hn, cn = lstm(embedding(src, "enc.embed"), "enc.rnn", bidirectional = true,
                            lengths = src_len)
  let keys = linear(memory, "attn.key")
  let both = reshape(transpose(hn, [1, 0, 2]), [0, {2 * HIDDEN}])
  return memory, keys, tanh(linear(both, "dec.init")), zeros([dim(src, 0), {HIDDEN}])
}}

func decode_step(prev: i64[B], h: f32[B, {HIDDEN}], c: f32[B, {HIDDEN}],
                 memory: f32[B, S, {2 * HIDDEN}], keys: f32[B, S, {ATTN}], src_len: i64[B])
    -> (log_probs: f32[B, {VOCAB}], h: f32[B, {HIDDEN}], c: f32[B, {HIDDEN}],
        attention: f32[B, S]) {{
  let context, alpha = bahdanau(h, keys, memory, "attn", lengths = src_len)
  let y = embedding(prev, "dec.embed")
  let h2, c2 = lstm_cell(concat(y, context), h, c, "dec.cell")
  let logits = linear(concat(h2, context, y), "dec.out")
  return log_softmax(logits), h2, c2, alpha
}}
"""


def torch_model():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Additive(nn.Module):
        def __init__(self):
            super().__init__()
            self.query = nn.Linear(HIDDEN, ATTN, bias=False)
            self.key = nn.Linear(2 * HIDDEN, ATTN)
            self.v = nn.Parameter(torch.randn(ATTN) / ATTN ** 0.5)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = nn.ModuleDict({
                "enc_embed": nn.Embedding(VOCAB, EMBED),
                "enc_rnn": nn.LSTM(EMBED, HIDDEN, batch_first=True, bidirectional=True),
                "attn": Additive(),
                "dec_init": nn.Linear(2 * HIDDEN, HIDDEN),
                "dec_embed": nn.Embedding(VOCAB, EMBED),
                "dec_cell": nn.LSTMCell(EMBED + 2 * HIDDEN, HIDDEN),
                "dec_out": nn.Linear(3 * HIDDEN + EMBED, VOCAB),
            })

        def encode(self, src, src_len):
            m = self.m
            x = m["enc_embed"](src)
            packed = nn.utils.rnn.pack_padded_sequence(x, src_len, batch_first=True,
                                                       enforce_sorted=False)
            out, (h, _) = m["enc_rnn"](packed)
            memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                         total_length=src.shape[1])
            both = h.transpose(0, 1).reshape(h.shape[1], 2 * HIDDEN)
            h0 = torch.tanh(m["dec_init"](both))
            return memory, m["attn"].key(memory), h0, torch.zeros_like(h0)

        def decode_step(self, prev, h, c, memory, keys, src_len):
            m, a = self.m, self.m["attn"]
            scores = torch.tanh(a.query(h)[:, None, :] + keys) @ a.v
            mask = torch.arange(scores.shape[1])[None, :] < src_len[:, None]
            alpha = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
            context = torch.bmm(alpha[:, None, :], memory)[:, 0]
            y = m["dec_embed"](prev)
            h2, c2 = m["dec_cell"](torch.cat([y, context], -1), (h, c))
            logits = m["dec_out"](torch.cat([h2, context, y], -1))
            return F.log_softmax(logits, -1), h2, c2, alpha

    return Model()


def make(workdir, batch, src_len):
    import numpy as np
    import torch

    torch.manual_seed(0)
    model = torch_model()
    with torch.no_grad():
        model.m["dec_out"].bias[EOS] = -1e4  # never </s>: every sentence runs --steps steps
    weights = {}
    for key, value in model.state_dict().items():
        prefix, rest = key[len("m."):].split(".", 1)
        weights[prefix.replace("_", ".") + "." + rest] = value.numpy()
    np.savez(os.path.join(workdir, "bahdanau_lstm.npz"), **weights)
    with open(os.path.join(workdir, "bahdanau_lstm.heed"), "w") as f:
        f.write(model_text())
    rng = np.random.default_rng(1)
    src = rng.integers(3, VOCAB, (batch, src_len))
    with open(os.path.join(workdir, "src.txt"), "w") as f:
        f.writelines(" ".join(map(str, row)) + "\n" for row in src)


def torch_worker(args):
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    model = torch_model()
    w = np.load(os.path.join(args.workdir, "bahdanau_lstm.npz"))
    state = {}
    for key in model.state_dict():
        prefix, rest = key[len("m."):].split(".", 1)
        state[key] = torch.from_numpy(w[prefix.replace("_", ".") + "." + rest])
    model.load_state_dict(state)
    model.eval()
    with open(os.path.join(args.workdir, "src.txt")) as f:
        src = torch.tensor([[int(x) for x in line.split()] for line in f])
    src_len = torch.full((src.shape[0],), src.shape[1], dtype=torch.long)

    def greedy():
        memory, keys, h, c = model.encode(src, src_len)
        prev = torch.full((src.shape[0],), BOS, dtype=torch.long)
        out = []
        for _ in range(args.steps):
            logp, h, c, _ = model.decode_step(prev, h, c, memory, keys, src_len)
            prev = logp.argmax(-1)
            out.append(prev)
        return torch.stack(out, 1)

    with torch.inference_mode():
        tokens = greedy()  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            greedy()
            times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"ms": times, "tokens": tokens.tolist()}))


def heed_decode(args):
    """Times Heed's greedy decode of src.txt (milliseconds per repeat, after a warm-up) and
    returns the times and the tokens."""
    sys.path.insert(0, os.path.join(args.build, "python"))
    try:
        import heed
    except ImportError as e:
        sys.exit(f"decode_greedy: cannot import heed from {args.build}/python ({e}); run "
                 ".ci/build.sh")
    heed.set_num_threads(args.threads)
    translator = heed.Translator(heed.compile(os.path.join(args.workdir, "bahdanau_lstm.heed")))
    with open(os.path.join(args.workdir, "src.txt")) as f:
        sources = [[int(x) for x in line.split()] for line in f]
    times, tokens = [], None
    for _ in range(args.repeat + 1):
        start = time.perf_counter()
        results = translator.translate_batch(sources, beam_size=1,
                                             max_decoding_length=args.steps,
                                             max_batch_size=args.batch)
        times.append((time.perf_counter() - start) * 1e3)
        tokens = [list(r.hypotheses[0]) for r in results]
    # The first call is the warm-up (oneDNN primitives, buffer pool), as in the torch worker.
    return times[1:], tokens


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--src-len", type=int, default=32)
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--vocab", type=int, default=1000)
    p.add_argument("--workdir", default=None)
    p.add_argument("--quick", action="store_true", help="batch 4, 8 steps, 2 repeats")
    p.add_argument("--json", action="store_true", help="print one JSON line as well")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.quick:
        args.batch, args.src_len, args.steps, args.repeat = 4, 8, 8, 2
    set_sizes(args.hidden, args.vocab)
    if args.torch_worker:
        return torch_worker(args)
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="heed-decode-")
    os.makedirs(args.workdir, exist_ok=True)
    make(args.workdir, args.batch, args.src_len)

    heed_ms, heed_tokens = heed_decode(args)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), **TORCH_ENV)
    t = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-worker",
                        f"--threads={args.threads}", f"--workdir={args.workdir}",
                        f"--steps={args.steps}", f"--repeat={args.repeat}",
                        f"--hidden={args.hidden}", f"--vocab={args.vocab}"],
                       capture_output=True, text=True, env=env)
    if t.returncode != 0:
        sys.exit("decode_greedy: the torch worker failed:\n" + t.stderr)
    torch_out = json.loads(t.stdout.strip().splitlines()[-1])
    same = sum(a == b for a, b in zip(heed_tokens, torch_out["tokens"]))

    tokens = args.batch * args.steps
    h, m = statistics.median(heed_ms), statistics.median(torch_out["ms"])
    print(f"greedy decode, Bahdanau LSTM (hidden {HIDDEN}, vocabulary {VOCAB}), batch "
          f"{args.batch}, source {args.src_len}, {args.steps} steps, {args.threads} threads:")
    print(f"  Heed  {h:9.2f} ms  {tokens / h * 1e3:9.0f} tokens/s")
    print(f"  torch {m:9.2f} ms  {tokens / m * 1e3:9.0f} tokens/s")
    print(f"  Heed / torch tokens/s: {m / h:.2f}x; same greedy output for {same}/{args.batch} "
          f"sentences")
    if args.json:
        print(json.dumps({"heed_ms": h, "torch_ms": m, "tokens": tokens, "same": same,
                          "batch": args.batch, "hidden": HIDDEN, "vocab": VOCAB}))


if __name__ == "__main__":
    main()
