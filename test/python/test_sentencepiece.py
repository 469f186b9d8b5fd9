"""heed.Translator with SentencePiece models (source_spm / target_spm), and the tokenizer it shares
with heed-run (runtime/text) against Debian's spm_encode / spm_decode: references come from those
tools and from PyTorch's outputs (examples/reverse/torch), never from Heed."""

import glob
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("spm_train") is None,
                                reason="needs Debian's sentencepiece tools (spm_train)")


def spm(tool, model, lines, *flags):
    """Runs spm_encode / spm_decode over lines; their output lines."""
    out = subprocess.run([tool, f"--model={model}", *flags], input="".join(l + "\n" for l in lines),
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


@pytest.fixture(scope="module")
def example(src):
    data = os.path.join(src, "examples/reverse")
    model = os.path.join(data, "reverse.model")
    with open(os.path.join(data, "heldout.src.txt")) as f:
        sources = f.read().splitlines()[:40]
    with open(os.path.join(data, "torch/greedy.txt")) as f:
        greedy = f.read().splitlines()[:40]
    return dict(data=data, model=model, vocab=os.path.join(data, "vocab.txt"),
                text=spm("spm_decode", model, sources, "--input_format=id"),
                greedy=spm("spm_decode", model, greedy, "--input_format=id"))


@pytest.mark.parametrize("through_vocabulary", [False, True])
def test_text_in_text_out(heed, reverse, example, through_vocabulary):
    vocab = example["vocab"] if through_vocabulary else None
    t = heed.Translator(reverse, source_spm=example["model"], target_spm=example["model"],
                        source_vocabulary=vocab, target_vocabulary=vocab)
    results = t.translate_batch(example["text"], beam_size=1, max_batch_size=7)
    assert [r.hypotheses[0] for r in results] == example["greedy"]
    assert example["text"][0] == "jbebh" and results[0].hypotheses[0] == "hbebj"


def test_score_batch_reads_text(heed, reverse, example):
    t = heed.Translator(reverse, source_spm=example["model"], target_spm=example["model"])
    (scored,) = t.score_batch(["abcd"], ["dcba"])
    assert scored.tokens == ["d", "c", "b", "a", "</s>"]
    assert len(scored.log_probs) == 5 and sum(scored.log_probs) > -0.1


def test_unknown_pieces_and_ids(heed, reverse, example):
    # 'z' is no piece of reverse.model; vocab.txt has no <unk>: unk= names the id ('c' here).
    with pytest.raises(heed.Error, match="source 0: the piece 'z' is not in the vocabulary"):
        heed.Translator(reverse, source_spm=example["model"],
                        source_vocabulary=example["vocab"]).translate_batch(["abz"])
    t = heed.Translator(reverse, source_spm=example["model"], target_spm=example["model"],
                        source_vocabulary=example["vocab"], unk=5)
    assert t.translate_batch(["abzj"])[0].hypotheses[0] == "jcba"
    # Token-id lists still pass through as ids.
    assert t.translate_batch([[3, 4, 5]])[0].hypotheses[0] == "cba"


def test_errors_name_the_file(heed, reverse, example, tmp_path):
    with pytest.raises(heed.Error, match="missing.model: cannot open SentencePiece model"):
        heed.Translator(reverse, source_spm=str(tmp_path / "missing.model"))
    with pytest.raises(heed.Error, match="vocab.txt: not a SentencePiece model"):
        heed.Translator(reverse, target_spm=example["vocab"])
    with pytest.raises(heed.Error, match=r"--eos=7 disagrees with .*reverse.model, whose </s> is id 2"):
        heed.Translator(reverse, target_spm=example["model"], eos=7)


@pytest.fixture(scope="module")
def unigram(tmp_path_factory, src):
    """A unigram model trained on the project's docs (English prose with code): pieces of several
    characters, whitespace as ▁, the default NFKC normalization."""
    tmp = tmp_path_factory.mktemp("spm")
    corpus = tmp / "corpus.txt"
    with open(corpus, "w") as out:
        for path in sorted(glob.glob(os.path.join(src, "docs", "*.md"))):
            with open(path, encoding="utf-8") as f:
                out.write(f.read())
    subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={tmp}/u",
                    "--vocab_size=500", "--model_type=unigram", "--minloglevel=2"],
                   check=True, capture_output=True)
    return str(tmp / "u.model")


LINES = ["The decoder reads one sentence per line.", "  spaces  and\ttabs ",
         "ｆｕｌｌ-width and café, naïve Ωmega", "", "x" * 300]


def test_tokenizer_matches_spm_encode_and_decode(heed, unigram):
    tokenizer = heed._heed.SentencePiece(unigram, "", -1)
    ids = [tokenizer.encode(line) for line in LINES]
    reference = spm("spm_encode", unigram, LINES, "--output_format=id")
    assert [" ".join(map(str, i)) for i in ids] == reference
    assert [tokenizer.decode(i) for i in ids] == spm("spm_decode", unigram, reference,
                                                     "--input_format=id")
    pieces = spm("spm_encode", unigram, LINES[:1], "--output_format=piece")[0].split()
    assert [tokenizer.label(i) for i in ids[0]] == pieces
