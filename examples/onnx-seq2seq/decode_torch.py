#!/usr/bin/python3
"""PyTorch's decoding of the committed examples/onnx-seq2seq weights: the references Heed's
decoding of the ONNX exports must equal (test/decode/onnx-seq2seq.test).

usage: /usr/bin/python3 examples/onnx-seq2seq/decode_torch.py [gru|prefix|kv]...  (default: all)

Each decoder runs the very modules train.py exported (models.py's steppers), one source at a
time, through examples/torch_beam.py (docs/decoding.md's search rules), on examples/reverse's
heldout.src.txt (200 sources of 3-10 symbols, never seen in training) and long.src.txt (40 of
11-14 symbols, longer than any seen in training: the models get many wrong, so even rank 1 is
an interesting output). Writes, for gru into gru/torch/, for prefix and kv into
transformer/torch-prefix/ and transformer/torch-kv/:
  greedy.txt, long-greedy.txt       greedy tokens (no </s>), one line per source
  beam4-lp0.6-nbest4.txt, long-...  beam 4, n-best 4, length penalty 0.6, early stop, as
                                    `heed-run translate --beam=4 --n-best=4 --length-penalty=0.6`
  score.txt, long-score.txt         teacher-forced log-likelihood of the reversal + </s>, then
                                    each token's log-prob, as `heed-run score`
and prints the exact-match accuracy of greedy decoding on both sets.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import models  # noqa: E402
import torch_beam  # noqa: E402
from safetensors_io import load_safetensors  # noqa: E402

REVERSE = os.path.join(os.path.dirname(HERE), "reverse")
DECODERS = {  # name: (model folder, stepper, output folder)
    "gru": ("gru", models.gru_stepper, "gru/torch"),
    "prefix": ("transformer", models.prefix_stepper, "transformer/torch-prefix"),
    "kv": ("transformer", models.kv_stepper, "transformer/torch-kv"),
}


def read_ids(path):
    with open(path) as f:
        return [[int(x) for x in line.split()] for line in f if line.strip()]


def load(folder):
    model = models.Gru() if folder == "gru" else models.Transformer()
    model.load_state_dict(load_safetensors(os.path.join(HERE, folder, "weights.safetensors")))
    return model.eval()


def write(name, folder, stepper):
    model = load(folder)
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    line = lambda ids: " ".join(map(str, ids)) + "\n"
    for prefix, set_name in (("", "heldout"), ("long-", "long")):
        sources = read_ids(os.path.join(REVERSE, set_name + ".src.txt"))
        steppers = [stepper(model, s) for s in sources]
        greedy = [torch_beam.greedy(*st, len(s)) for st, s in zip(steppers, sources)]
        with open(os.path.join(out, prefix + "greedy.txt"), "w") as f:
            f.writelines(line(g) for g in greedy)
        with open(os.path.join(out, prefix + "beam4-lp0.6-nbest4.txt"), "w") as f:
            for i, (st, s) in enumerate(zip(steppers, sources)):
                f.writelines(torch_beam.nbest_lines(
                    torch_beam.beam_search(*st, len(s), 4, 4, 0.6, True), i))
        with open(os.path.join(out, prefix + "score.txt"), "w") as f:
            for st, s in zip(steppers, sources):
                f.write(torch_beam.score_line(torch_beam.score(*st[:2], s[::-1])))
        exact = sum(g == s[::-1] for g, s in zip(greedy, sources))
        print(f"{name}: greedy exact match on {set_name}.src.txt: {exact}/{len(sources)}")


def main():
    torch.set_num_threads(1)
    names = sys.argv[1:] or list(DECODERS)
    with torch.no_grad():
        for name in names:
            if name not in DECODERS:
                sys.exit(__doc__)
            folder, stepper, out = DECODERS[name]
            write(out, folder, stepper)


if __name__ == "__main__":
    main()
