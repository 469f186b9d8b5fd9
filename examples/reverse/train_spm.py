#!/usr/bin/python3
"""Trains reverse.model, the SentencePiece model of the reverse example (README.md).

The model reverses sequences of the symbols a-j, so its text is words of those letters ("jbebh" ->
"hbebj"). The SentencePiece model splits such a word into its letters: a character model whose
pieces are exactly vocab.txt's words with vocab.txt's ids (<pad> 0, <s> 1, </s> 2, a-j 3-12, as
user-defined symbols, which take the ids right after the special ones), plus <unk> 13 for any other
character. So `heed-run translate --src-spm=reverse.model` works with or without
`--src-vocab=vocab.txt`: through the vocabulary each piece maps to its word's id, which here is the
same id. No normalization (identity) and no dummy prefix: the pieces are the letters alone, and
the model file stays under a kilobyte.

Run with /usr/bin/python3 examples/reverse/train_spm.py (needs spm_train, Debian's sentencepiece).
The training text is the held-out and long sources written as letters.
"""

import os
import subprocess
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
words = [line.split()[0] for line in open(os.path.join(here, "vocab.txt"))]
letters = words[3:]
assert letters == list("abcdefghij"), letters

with tempfile.TemporaryDirectory() as tmp:
    corpus = os.path.join(tmp, "corpus.txt")
    with open(corpus, "w") as out:
        for name in ("heldout.src.txt", "long.src.txt"):
            for line in open(os.path.join(here, name)):
                out.write("".join(words[int(t)] for t in line.split()) + "\n")
    subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={here}/reverse",
                    "--model_type=char", f"--vocab_size={len(words) + 1}",
                    "--pad_id=0", "--bos_id=1", "--eos_id=2", f"--unk_id={len(words)}",
                    "--user_defined_symbols=" + ",".join(letters),
                    "--add_dummy_prefix=false", "--normalization_rule_name=identity",
                    "--minloglevel=1"], check=True)
print(f"wrote {here}/reverse.model and reverse.vocab")
