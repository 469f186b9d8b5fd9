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


def test_log_probs_per_hypothesis(heed, reverse):
    t = heed.Translator(reverse)
    (r,) = t.translate_batch([[3, 4, 5, 6]], beam_size=4, num_hypotheses=3, return_scores=True,
                             return_log_prob=True)
    assert len(r.log_probs) == 3
    for hyp, score, log_probs in zip(r.hypotheses, r.scores, r.log_probs):
        assert len(log_probs) == len(hyp) + 1  # each token, then </s>
        assert abs(sum(log_probs) - score) < 1e-3  # no length penalty: the score is their sum
        # Teacher forcing the same hypothesis gives the same numbers.
        np.testing.assert_allclose(log_probs, t.score_batch([[3, 4, 5, 6]], [hyp])[0].log_probs,
                                   atol=1e-4)
    assert t.translate_batch([[3, 4]])[0].log_probs == []  # only when asked for


@pytest.mark.skipif(os.environ.get("HEED_TEST_VULKAN") != "1",
                    reason="lit runs it where a Vulkan device is (HEED_TEST_VULKAN=1)")
def test_translator_on_vulkan(heed, reverse):
    cpu = heed.Translator(reverse)
    gpu = heed.Translator(reverse, device="vulkan")
    sources = [[3, 4, 5], [6, 7, 8, 9]]
    assert [r.hypotheses for r in gpu.translate_batch(sources, beam_size=2)] == [
        r.hypotheses for r in cpu.translate_batch(sources, beam_size=2)]


def heldout(src, n):
    data = os.path.join(src, "examples/reverse")
    return [[int(w) for w in s] for s in read(os.path.join(data, "heldout.src.txt"))[:n]]


def test_sampling_is_reproducible_and_top_k_1_is_greedy(heed, reverse, src):
    t = heed.Translator(reverse)
    sources = heldout(src, 30)
    greedy = [r.hypotheses for r in t.translate_batch(sources, beam_size=1)]

    def sampled(**kw):
        return [r.hypotheses for r in t.translate_batch(sources, sampling_topk=0,
                                                        sampling_temperature=3.0, **kw)]

    first = sampled(seed=7)
    assert sampled(seed=7, max_batch_size=4) == first  # the batching draws nothing
    assert sampled(seed=8) != first
    assert first != greedy
    assert [r.hypotheses for r in t.translate_batch(sources, sampling_topk=1, seed=3,
                                                    sampling_temperature=5.0)] == greedy


def test_options_match_the_pytorch_reference(heed, reverse, src):
    """Target prefix, min length and no-repeat-ngram against test/decode/Inputs'
    decode_rules_torch.py (a PyTorch loop written from docs/decoding.md)."""
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, os.path.join(src, "test/decode/Inputs"))
    import decode_rules_torch as ref
    import torch

    t = heed.Translator(reverse)
    sources = heldout(src, 12)
    prefixes = [None if i % 3 == 0 else s[::-1][:2] for i, s in enumerate(sources)]
    rules = SimpleNamespace(min_length=11, max_length=0, repetition_penalty=1.0,
                            no_repeat_ngram_size=2, topk=0, topp=0.8, temperature=2.0, seed=5)
    results = t.translate_batch(sources, target_prefix=prefixes, min_decoding_length=11,
                                no_repeat_ngram_size=2, sampling_topk=0, sampling_topp=0.8,
                                sampling_temperature=2.0, seed=5, max_decoding_length=0,
                                return_scores=True, return_log_prob=True, max_batch_size=30,
                                batch_type="tokens")
    model = ref.decode_torch.load_model()
    with torch.no_grad():
        for i, (source, prefix, r) in enumerate(zip(sources, prefixes, results)):
            tokens, log_probs = ref.decode(model, i, source, prefix or [], rules)
            assert r.hypotheses[0] == tokens
            assert abs(r.scores[0] - sum(log_probs)) < 1e-3
            # Per token (then </s>'s), as torch's loop computed them.
            np.testing.assert_allclose(r.log_probs[0], log_probs, atol=1e-4, rtol=1e-3)
            assert len(tokens) >= 11 and tokens[:len(prefix or [])] == (prefix or [])


def test_max_batch_tokens_keeps_the_input_order(heed, reverse, src):
    t = heed.Translator(reverse)
    sources = heldout(src, 40)
    by_examples = t.translate_batch(sources, beam_size=3, return_scores=True)
    by_tokens = t.translate_batch(sources, beam_size=3, return_scores=True, max_batch_size=25,
                                  batch_type="tokens")
    assert [r.hypotheses for r in by_tokens] == [r.hypotheses for r in by_examples]
    np.testing.assert_allclose([r.scores for r in by_tokens], [r.scores for r in by_examples],
                               atol=1e-4)
    scored = t.score_batch(sources, [r.hypotheses[0] for r in by_examples], max_batch_size=20,
                           batch_type="tokens")
    np.testing.assert_allclose([sum(s.log_probs) for s in scored],
                               [r.scores[0] for r in by_examples], atol=1e-3)


def test_bad_options_are_refused(heed, reverse):
    t = heed.Translator(reverse)
    with pytest.raises(heed.Error, match="needs beam 1"):
        t.translate_batch([[3, 4]], sampling_topk=5, beam_size=2)
    with pytest.raises(heed.Error, match=r"sampling_topp must be in \(0, 1\]"):
        t.translate_batch([[3, 4]], sampling_topk=0, sampling_topp=1.5)
    with pytest.raises(heed.Error, match="sampling_temperature must be a finite number > 0"):
        t.translate_batch([[3, 4]], sampling_topk=0, sampling_temperature=float("nan"))
    with pytest.raises(heed.Error, match="sampling_topk must be >= 0"):
        t.translate_batch([[3, 4]], sampling_topk=-2)
    with pytest.raises(heed.Error, match="repetition_penalty must be a finite number > 0"):
        t.translate_batch([[3, 4]], repetition_penalty=0.0)
    with pytest.raises(heed.Error, match="no_repeat_ngram_size must be >= 0"):
        t.translate_batch([[3, 4]], no_repeat_ngram_size=-1)
    with pytest.raises(heed.Error, match="min_length 300 is above max_length 256"):
        t.translate_batch([[3, 4]], min_decoding_length=300)
    with pytest.raises(heed.Error, match="target_prefix has 1 entries for 2 sources"):
        t.translate_batch([[3, 4], [5]], target_prefix=[[3]])
    with pytest.raises(heed.Error, match="</s> cannot be forced"):
        t.translate_batch([[3, 4]], target_prefix=[[3, 2]])
    with pytest.raises(heed.Error, match="batch_type='lines' must be 'examples' or 'tokens'"):
        t.translate_batch([[3, 4]], batch_type="lines")
    with pytest.raises(heed.Error, match="seed=-1 must be between 0 and 2"):
        t.translate_batch([[3, 4]], sampling_topk=0, seed=-1)
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
