#!/usr/bin/python3
"""Greedy decoding throughput of examples/onnx-seq2seq's trained ONNX pairs: Heed vs the PyTorch
greedy loop over the same modules and weights, plus the hand-written .heed models closest to them.

usage: bench/onnx_seq2seq.py [--build DIR] [--threads 2] [--batch 32] [--repeat 5] [--copies 1]

Sources: examples/reverse/heldout.src.txt (200 sources of 3-10 symbols), repeated --copies times.
Every model is trained on that task and stops at </s> after reversing the source, so a sentence
gives its length + 1 tokens (counting </s>, as heed-run --repeat counts them).

- Heed: `heed-run translate MODULE --batch-size=B --repeat=R` (the module compiled first; the
  first translate warms up, the R timed ones exclude compiling and loading): the median.
- PyTorch 1.13 eager, in a subprocess with bench/decode_greedy.py's tuned environment: the
  batched greedy loop over models.py's exported modules (B sources at a time in file order,
  padded, an attention mask; rows that finished keep running until the whole batch has), under
  inference_mode: the median of R runs after a warm-up. The script checks that both outputs
  agree (a mismatch is printed, never hidden).
Rows:
  gru      GRU encoder + Bahdanau GRU step (--bind=new_hidden:hidden)
  prefix   Transformer, prefix decoder (all tokens so far at every step: O(T^2))
  kv       Transformer, KV-cache step in Hugging Face's names (cross-attention K/V recomputed
           from encoder_hidden_states at every step, as the export computes them)
  reverse.heed      examples/reverse/model.heed (Heed only): the same family as gru but not the
                    same model (bidirectional GRU encoder, hidden 32; gru: one direction, 64)
  transformer.heed  examples/compare/transformer/model.heed (Heed only): the architecture of kv
                    (2 + 2 post-norm layers, d_model 64, 4 heads, feed-forward 128, vocabulary 13),
                    but sinusoidal positions and the cross-attention K/V projected once in encode
OMP_WAIT_POLICY is PASSIVE unless set: on a loaded machine, OpenMP threads spinning at barriers
make each decode step 10-50x slower (docs/performance.md); on an idle one, ACTIVE may be faster.
Benchmarks are not tests: nothing fails on a slow number, and numbers from a loaded machine mean
little.
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
EXAMPLE = os.path.join(ROOT, "examples", "onnx-seq2seq")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decode_greedy import TORCH_ENV  # noqa: E402

ONNX = {  # row: (encoder, decoder, heed-compile flags)
    "gru": ("gru/encoder.onnx", "gru/decoder.onnx", ["--bind=new_hidden:hidden"]),
    "prefix": ("transformer/encoder.onnx", "transformer/prefix_decoder.onnx", []),
    "kv": ("transformer/encoder.onnx", "transformer/kv_decoder.onnx", []),
}
HEED_ONLY = {
    "reverse.heed": "examples/reverse/model.heed",
    "transformer.heed": "examples/compare/transformer/model.heed",
}


def omp_env(threads):
    return dict(os.environ, OMP_NUM_THREADS=str(threads),
                OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))


def read_sources(copies):
    with open(os.path.join(ROOT, "examples", "reverse", "heldout.src.txt")) as f:
        return [[int(x) for x in line.split()] for line in f if line.strip()] * copies


def heed(args, row, src_path):
    bin_dir = os.path.join(args.build, "bin")
    module = os.path.join(args.workdir, row + ".heedm")
    if row in ONNX:
        enc, dec, flags = ONNX[row]
        cmd = [os.path.join(EXAMPLE, enc), f"--decoder={os.path.join(EXAMPLE, dec)}", *flags]
    else:
        cmd = [os.path.join(ROOT, HEED_ONLY[row])]
    subprocess.run([os.path.join(bin_dir, "heed-compile"), *cmd, "-o", module], check=True)
    r = subprocess.run([os.path.join(bin_dir, "heed-run"), "translate", module,
                        f"--src={src_path}", f"--batch-size={args.batch}",
                        f"--repeat={args.repeat}"], capture_output=True, text=True,
                       env=omp_env(args.threads))
    if r.returncode != 0:
        sys.exit(f"onnx_seq2seq: heed-run failed on {row}:\n" + r.stderr)
    # "repeat N: S sentences, T output tokens, X ms, Y tokens/s"
    runs = [line.split(", ") for line in r.stderr.splitlines() if line.startswith("repeat ")]
    ms = statistics.median(float(parts[2].split()[0]) for parts in runs)
    tokens = int(runs[0][1].split()[0])
    return ms, tokens, [[int(x) for x in line.split()] for line in r.stdout.splitlines()]


def torch_greedy(row, model, sources):
    """The batched greedy loop of one row: token lists without </s>."""
    import torch

    sys.path.insert(0, EXAMPLE)
    import models

    width = max(len(s) for s in sources)
    ids = torch.tensor([s + [models.PAD] * (width - len(s)) for s in sources])
    mask = (ids != models.PAD).long()
    n, steps = len(sources), 2 * width + 10
    if row == "gru":
        memory, keys, state = model.encoder(ids, mask)

        def step(prev, hidden):
            logits, hidden, _ = model.decoder(prev[:, None], hidden, memory, keys, mask)
            return logits, hidden
    elif row == "prefix":
        memory, state = models.TransformerEncoder(model)(ids, mask), torch.zeros(n, 0).long()
        decoder = models.PrefixDecoder(model)

        def step(prev, prefix):
            tokens = torch.cat([prefix, prev[:, None]], 1)
            return decoder(tokens, memory, mask)[:, -1], tokens
    else:
        memory = models.TransformerEncoder(model)(ids, mask)
        state = [torch.zeros(n, models.HEADS, 0, models.DH) for _ in range(2 * models.LAYERS)]
        decoder = models.KvDecoderStep(model)

        def step(prev, past):
            logits, *present = decoder(prev[:, None], memory, mask, *past)
            return logits[:, 0], present
    prev = torch.full((n,), models.BOS, dtype=torch.long)
    out, done = [[] for _ in sources], [False] * n
    for _ in range(steps):
        logits, state = step(prev, state)
        prev = logits.argmax(-1)
        for i, token in enumerate(prev.tolist()):
            if not done[i]:
                done[i] = token == models.EOS
                if not done[i]:
                    out[i].append(token)
        if all(done):
            break
    return out


def torch_worker(args):
    import torch

    sys.path.insert(0, EXAMPLE)
    from decode_torch import load

    torch.set_num_threads(args.threads)
    model = load("gru" if args.torch_worker == "gru" else "transformer")
    sources = read_sources(args.copies)
    batches = [sources[i:i + args.batch] for i in range(0, len(sources), args.batch)]
    run = lambda: [h for b in batches for h in torch_greedy(args.torch_worker, model, b)]
    with torch.inference_mode():
        hyps = run()  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"ms": statistics.median(times), "tokens": hyps}))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--copies", type=int, default=1, help="repeat the 200 sources this often")
    p.add_argument("--workdir", default=None)
    p.add_argument("--torch-worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_worker:
        return torch_worker(args)
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="heed-onnx-seq2seq-")
    sources = read_sources(args.copies)
    src_path = os.path.join(args.workdir, "src.txt")
    with open(src_path, "w") as f:
        f.writelines(" ".join(map(str, s)) + "\n" for s in sources)
    print(f"greedy decode of {len(sources)} sources (examples/reverse/heldout.src.txt), batch "
          f"{args.batch}, {args.threads} threads, OMP_WAIT_POLICY "
          f"{omp_env(args.threads)['OMP_WAIT_POLICY']}; tokens count </s>:")
    print(f"  {'model':<17}{'Heed ms':>10}{'tokens/s':>11}{'torch ms':>11}{'tokens/s':>11}"
          f"{'Heed/torch':>12}  same output")
    results = {}
    for row in list(ONNX) + list(HEED_ONLY):
        ms, tokens, hyps = heed(args, row, src_path)
        line = f"  {row:<17}{ms:10.1f}{tokens / ms * 1e3:11.0f}"
        results[row] = {"heed_ms": ms, "tokens": tokens}
        if row in ONNX:
            t = subprocess.run([sys.executable, os.path.abspath(__file__), f"--torch-worker={row}",
                                f"--threads={args.threads}", f"--batch={args.batch}",
                                f"--repeat={args.repeat}", f"--copies={args.copies}"],
                               capture_output=True, text=True,
                               env=dict(omp_env(args.threads), **TORCH_ENV))
            if t.returncode != 0:
                sys.exit(f"onnx_seq2seq: the torch worker failed on {row}:\n" + t.stderr)
            out = json.loads(t.stdout.strip().splitlines()[-1])
            same = sum(a == b for a, b in zip(hyps, out["tokens"]))
            line += (f"{out['ms']:11.1f}{tokens / out['ms'] * 1e3:11.0f}"
                     f"{out['ms'] / ms:11.2f}x  {same}/{len(sources)}")
            results[row].update(torch_ms=out["ms"], same=same)
        print(line, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
