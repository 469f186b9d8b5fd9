"""heed.Translator: CTranslate2's names over the decoder, checked against the held-out data of
examples/reverse (the model outputs its input backwards; the references are the data set's)."""

import os

import numpy as np
import pytest


def read(path):
    with open(path) as f:
        return [line.split() for line in f]


def test_translate_greedy_matches_the_references(heed, reverse, src):
    t = heed.Translator(reverse)
    data = os.path.join(src, "examples/reverse")
    sources = [[int(w) for w in s] for s in read(os.path.join(data, "heldout.src.txt"))[:40]]
    targets = [[int(w) for w in s] for s in read(os.path.join(data, "heldout.tgt.txt"))[:40]]
    results = t.translate_batch(sources, beam_size=1)
    assert [r.hypotheses[0] for r in results] == targets


def test_beam_scores_attention_and_words(heed, reverse, src):
    vocab = os.path.join(src, "examples/reverse/vocab.txt")
    t = heed.Translator(reverse, source_vocabulary=vocab, target_vocabulary=vocab)
    (r,) = t.translate_batch(["a b c d"], beam_size=4, num_hypotheses=3, return_scores=True,
                             return_attention=True)
    assert r.hypotheses[0] == ["d", "c", "b", "a"]
    assert len(r.hypotheses) == 3 and len(r.scores) == 3
    assert r.scores == sorted(r.scores, reverse=True)
    att = r.attention[0]
    assert att.shape == (5, 4)  # 4 tokens and </s>, 4 source tokens
    np.testing.assert_allclose(att.sum(axis=1), 1, atol=1e-4)


def test_score_batch_agrees_with_translate(heed, reverse):
    t = heed.Translator(reverse)
    (hyp,) = t.translate_batch([[3, 4, 5, 6]], beam_size=1, return_scores=True)
    (scored,) = t.score_batch([[3, 4, 5, 6]], [hyp.hypotheses[0]])
    assert scored.tokens == hyp.hypotheses[0] + ["</s>"]
    assert abs(sum(scored.log_probs) - hyp.scores[0]) < 1e-3


@pytest.mark.skipif(os.environ.get("HEED_TEST_VULKAN") != "1",
                    reason="lit runs it where a Vulkan device is (HEED_TEST_VULKAN=1)")
def test_translator_on_vulkan(heed, reverse):
    cpu = heed.Translator(reverse)
    gpu = heed.Translator(reverse, device="vulkan")
    sources = [[3, 4, 5], [6, 7, 8, 9]]
    assert [r.hypotheses for r in gpu.translate_batch(sources, beam_size=2)] == [
        r.hypotheses for r in cpu.translate_batch(sources, beam_size=2)]


def test_unsupported_options_are_refused(heed, reverse):
    t = heed.Translator(reverse)
    with pytest.raises(heed.Error, match="sampling_topk=5 is not implemented"):
        t.translate_batch([[3, 4]], sampling_topk=5)
    with pytest.raises(heed.Error, match="num_hypotheses=3 must be between 1 and beam_size=2"):
        t.translate_batch([[3, 4]], beam_size=2, num_hypotheses=3)
    with pytest.raises(heed.Error, match="'zz' is not a token id"):
        t.translate_batch([["zz"]])


@pytest.fixture(scope="module")
def pair(tmp_path_factory, src):
    """A PyTorch GRU encoder + Bahdanau decoder step exported as two ONNX graphs, with PyTorch's
    greedy outputs and log-likelihoods (test/decode/Inputs/export_gru_bahdanau.py)."""
    import subprocess
    import sys

    d = tmp_path_factory.mktemp("pair")
    subprocess.run([sys.executable, os.path.join(src, "test/decode/Inputs/export_gru_bahdanau.py"),
                    str(d)], check=True, capture_output=True)
    return d


def test_pytorch_encoder_decoder_pair(heed, pair):
    m = heed.compile(str(pair / "encoder.onnx"), decoder=str(pair / "decoder.onnx"),
                     binds=["new_hidden:hidden"])
    assert sorted(m.functions) == ["decode_step", "encode"]
    t = heed.Translator(m)
    sources = [[int(w) for w in line.split()] for line in open(pair / "src.txt")]
    targets = [[int(w) for w in line.split()] for line in open(pair / "tgt.txt")]
    want = [[int(w) for w in line.split()] for line in open(pair / "torch_greedy.txt")]
    # max_decoding_length=0: 2 x source length + 10, as the PyTorch loop.
    got = t.translate_batch(sources, beam_size=1, max_decoding_length=0)
    assert [r.hypotheses[0] for r in got] == want
    ref = [float(line.split()[0]) for line in open(pair / "torch_scores.txt")]
    got = [sum(r.log_probs) for r in t.score_batch(sources, targets)]
    np.testing.assert_allclose(got, ref, atol=1e-3)
    with pytest.raises(heed.Error, match="decoder output 'new_hidden' binds to nothing"):
        heed.compile(str(pair / "encoder.onnx"), decoder=str(pair / "decoder.onnx"))
