"""Issue 18 as a new user: the same fresh encoder/decoder exports and a single-graph export through
`import heed` (heed.compile with decoder= and binds=, Translator.translate_batch / score_batch,
Function calls with numpy on cpu and vulkan, Module.save + heed.load, 4 threads on one Function,
a bad file raising heed.Error that names it).

    PYTHONPATH=build/python /usr/bin/python3 test/fresh-trials/trial_python.py
Run trial_seq2seq.py first (it trains and exports the pairs into build/fresh-trials/seq2seq).
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import common  # noqa: E402
import gru_bahdanau  # noqa: E402
import transformer  # noqa: E402

import heed  # noqa: E402


def check_translator(report, name, module, sources, targets, step_of, devices):
    steps = [step_of(s) for s in sources]
    ref_greedy = [common.greedy(st, s) for st, s in zip(steps, sources)]
    ref_scores = [common.score(st, t) for st, t in zip(steps, targets)]
    ref_beam = [common.beam_search(st, s, 4, 4) for st, s in zip(steps, sources)]
    for device in devices:
        what = "%s, Translator on %s" % (name, device)
        try:
            t = heed.Translator(module, device=device)
            res = t.translate_batch(sources, beam_size=1, max_decoding_length=0,
                                    return_scores=True)
            bad = [i for i, (r, (tokens, logp, _)) in enumerate(zip(res, ref_greedy))
                   if list(r.hypotheses[0]) != tokens or abs(r.scores[0] - logp) > 1e-3]
            report.check(not bad, "%s: translate_batch equals torch greedy on %d/%d%s" % (
                what, len(sources) - len(bad), len(sources),
                "" if not bad else "; sentence %d: heed %s, torch %s" % (
                    bad[0] + 1, res[bad[0]].hypotheses[0], ref_greedy[bad[0]][0])))
            res = t.translate_batch(sources, beam_size=4, num_hypotheses=4,
                                    max_decoding_length=0, return_scores=True)
            bad = [i for i, (r, ref) in enumerate(zip(res, ref_beam))
                   if [list(h) for h in r.hypotheses] != [x[1] for x in ref] or
                   any(abs(a - x[0]) > 1e-3 for a, x in zip(r.scores, ref))]
            report.check(not bad, "%s: beam 4 n-best 4 equals torch's beam search on %d/%d%s" % (
                what, len(sources) - len(bad), len(sources),
                "" if not bad else "; sentence %d: heed %s, torch %s" % (
                    bad[0] + 1, res[bad[0]].hypotheses, [x[1] for x in ref_beam[bad[0]]])))
            # Four threads decoding with one Translator (docs/python.md: calls take turns).
            outs, errors = [None] * 4, []

            def work(k):
                try:
                    outs[k] = [list(r.hypotheses[0]) for r in t.translate_batch(
                        sources[k::4], beam_size=1, max_decoding_length=0)]
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
            threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            ok = not errors and all(
                outs[k] == [g[0] for g in ref_greedy[k::4]] for k in range(4))
            report.check(ok, "%s: 4 threads on one Translator equal torch greedy%s" % (
                what, (": " + errors[0]) if errors else ""))
            sc = t.score_batch(sources, targets)
            worst = max(max(abs(a - b) for a, b in zip(r.log_probs, lps))
                        for r, (lps, _) in zip(sc, ref_scores))
            report.check(worst <= 1e-3, "%s: score_batch max |heed - torch| = %.2e" % (
                what, worst))
        except heed.Error as e:
            report.check(False, "%s: heed.Error: %s" % (what, e))


class Block(nn.Module):
    """A single-graph export: self-attention block with a key padding mask."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = nn.LayerNorm(32)

    def forward(self, x, key_padding_mask):
        y, _ = self.attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)
        return self.norm(x + y)


def single_graph(report, directory, devices):
    torch.manual_seed(3)
    block = Block().eval()
    path = os.path.join(directory, "mha-block.onnx")
    x = torch.randn(2, 5, 32)
    kpm = torch.zeros(2, 5, dtype=torch.bool)
    kpm[1, 3:] = True
    torch.onnx.export(block, (x, kpm), path, opset_version=17,
                      input_names=["x", "key_padding_mask"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 1: "len"},
                                    "key_padding_mask": {0: "batch", 1: "len"},
                                    "y": {0: "batch", 1: "len"}})
    try:
        m = heed.compile(path, target="all")
    except heed.Error as e:
        report.check(False, "heed.compile(single graph): %s" % e)
        return
    f = m["main"]
    print("  inputs: %s" % (f.inputs,))
    cases = []
    for B, L in ((2, 5), (3, 9)):
        xs = np.random.default_rng(B * 100 + L).standard_normal((B, L, 32)).astype(np.float32)
        mask = np.zeros((B, L), dtype=bool)
        mask[-1, L // 2:] = True
        with torch.no_grad():
            want = block(torch.from_numpy(xs), torch.from_numpy(mask)).numpy()
        cases.append((xs, mask, want))
    for device in devices:
        for xs, mask, want in cases:
            try:
                got = f(xs, mask, device=device)
                err = float(np.max(np.abs(got - want)))
                report.check(np.allclose(got, want, atol=1e-4, rtol=1e-3),
                             "single graph on %s at %s: max error %.1e" % (device, xs.shape, err))
            except heed.Error as e:
                report.check(False, "single graph on %s at %s: %s" % (device, xs.shape, e))
    # Named inputs, save and load.
    saved = os.path.join(directory, "mha-block.heedm")
    m.save(saved)
    m2 = heed.load(saved)
    xs, mask, want = cases[1]
    got = m2["main"](x=xs, key_padding_mask=mask)
    report.check(np.allclose(got, want, atol=1e-4, rtol=1e-3),
                 "Module.save + heed.load, named inputs: equal to torch")
    # Four threads on one Function.
    results, errors = [None] * 4, []

    def work(i):
        try:
            for _ in range(10):
                xs, mask, want = cases[i % 2]
                out = f(xs, mask, device=devices[i % len(devices)])
                results[i] = np.allclose(out, want, atol=1e-4, rtol=1e-3) and (
                    results[i] is not False)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.check(not errors and all(results),
                 "4 Python threads x 10 calls on one Function (%s): %s" % (
                     "/".join(devices), errors[0] if errors else "all equal torch"))
    # Errors name the file.
    bad = os.path.join(directory, "truncated.onnx")
    with open(path, "rb") as src, open(bad, "wb") as dst:
        dst.write(src.read()[:200])
    try:
        heed.compile(bad)
        report.check(False, "a truncated ONNX file raises heed.Error")
    except heed.Error as e:
        report.check(bad in str(e) or "truncated.onnx" in str(e),
                     "a truncated ONNX file raises heed.Error naming it: %s" % str(e).strip())
    try:
        f(xs.astype(np.float64), mask)
        report.check(False, "a float64 input raises heed.Error")
    except heed.Error as e:
        report.check("'x'" in str(e), "a float64 input raises heed.Error naming it: %s" % e)


def main():
    devices = os.environ.get("FRESH_DEVICES", "cpu,vulkan").split(",")
    report = common.Report("trial_python")
    directory = common.out_dir("seq2seq")
    sources = common.test_sources(count=16)
    targets = [list(reversed(s)) for s in sources]
    print("heed %s" % heed.__version__)

    m = transformer.trained(directory)
    enc, prefix, kv, kv_seq = transformer.export(m, directory, 17)
    step_of = lambda s: transformer.torch_step(m, s)  # noqa: E731
    for name, dec in (("transformer-prefix", prefix), ("transformer-kv", kv),
                      ("transformer-kv-seq", kv_seq)):
        try:
            module = heed.compile(enc, decoder=dec, target="all")
        except heed.Error as e:
            report.check(False, "heed.compile(%s, decoder=...): %s" % (name, e))
            continue
        report.check(module.functions == ["encode", "decode_step"] or
                     sorted(module.functions) == ["decode_step", "encode"],
                     "%s: heed.compile(decoder=) gives %s" % (name, module.functions))
        check_translator(report, name, module, sources, targets, step_of, devices)

    g = gru_bahdanau.trained(directory)
    enc, dec = gru_bahdanau.export(g, directory, 17)
    try:
        module = heed.compile(enc, decoder=dec, binds=["next_state:state"], target="all")
        check_translator(report, "gru-bahdanau", module, sources, targets,
                         lambda s: gru_bahdanau.torch_step(g, s), devices)
    except heed.Error as e:
        report.check(False, "heed.compile(gru-bahdanau, binds=): %s" % e)
    try:
        heed.compile(enc, decoder=dec, target="all")
        report.check(False, "gru-bahdanau without binds= is refused")
    except heed.Error as e:
        report.check("next_state" in str(e),
                     "gru-bahdanau without binds= raises heed.Error: %s" % str(e).strip())

    single_graph(report, common.out_dir("python"), devices)
    return report.done()


if __name__ == "__main__":
    sys.exit(main())
