"""Issue 17 as a new user: fresh encoder/decoder exports through heed-compile --decoder and
heed-run translate / score, against PyTorch (greedy, beam 4 n-best 4, scores), opsets 14 and 17,
on the CPU and on Vulkan.

    PYTHONPATH= /usr/bin/python3 test/fresh-trials/trial_seq2seq.py [--opsets=14,17]
        [--devices=cpu,vulkan] [--styles=prefix,kv,kv-seq,cross-kv,seq-first,gru] [--no-beam]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import gru_bahdanau  # noqa: E402
import transformer  # noqa: E402
import transformer_b  # noqa: E402


def run_pair(report, name, directory, enc, dec, binds, sources, targets, step_of, devices, beam):
    module = os.path.join(directory, name + ".heedm")
    p = common.tool("heed-compile", enc, "--decoder=" + dec, *["--bind=" + b for b in binds],
                    "--target=all", "-o", module, "--fusion-report", check=False)
    if not report.check(p.returncode == 0, "%s: heed-compile --decoder%s" % (
            name, "" if p.returncode == 0 else ": " + (p.stderr.strip() or p.stdout.strip()))):
        return
    unfused = [line for line in p.stdout.splitlines() if "not fused" in line]
    report.check(not unfused, "%s: every softmax fused%s" % (
        name, "" if not unfused else ": " + "; ".join(unfused)))
    src_file = os.path.join(directory, "src.txt")
    tgt_file = os.path.join(directory, "tgt.txt")
    common.write_ids(src_file, sources)
    common.write_ids(tgt_file, targets)
    steps = [step_of(s) for s in sources]
    ref_greedy = [common.greedy(st, s) for st, s in zip(steps, sources)]
    ref_scores = [common.score(st, t) for st, t in zip(steps, targets)]
    ref_beam = [common.beam_search(st, s, 4, 4) for st, s in zip(steps, sources)] if beam else None
    exact = sum(g[0] == list(reversed(s)) for g, s in zip(ref_greedy, sources))
    print("  (torch greedy reverses %d/%d sources exactly)" % (exact, len(sources)))
    for device in devices:
        what = "%s on %s" % (name, device)
        try:
            rows = common.heed_translate(module, src_file, device)
            common.compare_translations(report, what + ", greedy", sources, rows, ref_greedy)
        except RuntimeError as e:
            report.check(False, what + ", greedy: " + str(e).strip())
        try:
            rows = common.heed_score(module, src_file, tgt_file, device)
            common.compare_scores(report, what + ", score", rows, ref_scores)
        except RuntimeError as e:
            report.check(False, what + ", score: " + str(e).strip())
        if beam:
            try:
                rows = common.heed_translate(module, src_file, device, "--beam=4", "--n-best=4")
                common.compare_nbest(report, what + ", beam 4", rows, ref_beam)
            except RuntimeError as e:
                report.check(False, what + ", beam 4: " + str(e).strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opsets", default="14,17")
    ap.add_argument("--devices", default="cpu,vulkan")
    ap.add_argument("--styles", default="prefix,kv,kv-seq,cross-kv,seq-first,gru")
    ap.add_argument("--no-beam", action="store_true")
    ap.add_argument("--sources", type=int, default=24)
    args = ap.parse_args()
    devices = args.devices.split(",")
    styles = args.styles.split(",")
    sources = common.test_sources(count=args.sources)
    targets = [list(reversed(s)) for s in sources]
    report = common.Report("trial_seq2seq")
    directory = common.out_dir("seq2seq")

    if {"prefix", "kv", "kv-seq", "cross-kv"} & set(styles):
        m = transformer.trained(directory)
        worst = transformer.kv_consistency(m)
        report.check(worst < 1e-4, "torch: the KV step equals the prefix decoder (%.1e)" % worst)
        for opset in args.opsets.split(","):
            enc, prefix, kv, kv_seq = transformer.export(m, directory, int(opset))
            step_of = lambda s: transformer.torch_step(m, s)  # noqa: E731
            if "prefix" in styles:
                run_pair(report, "transformer-prefix-opset%s" % opset, directory, enc, prefix, [],
                         sources, targets, step_of, devices, not args.no_beam)
            if "kv" in styles:
                run_pair(report, "transformer-kv-opset%s" % opset, directory, enc, kv, [],
                         sources, targets, step_of, devices, not args.no_beam)
            if "cross-kv" in styles:
                cenc, cdec = transformer.export_cross_kv(m, directory, int(opset))
                run_pair(report, "transformer-cross-kv-opset%s" % opset, directory, cenc, cdec,
                         [], sources, targets, step_of, devices, not args.no_beam)
            if "kv-seq" in styles:
                run_pair(report, "transformer-kv-seq-opset%s" % opset, directory, enc, kv_seq,
                         [], sources, targets, step_of, devices, not args.no_beam)
    if "seq-first" in styles:
        m_b = transformer_b.trained(directory)
        for opset in args.opsets.split(","):
            enc, dec = transformer_b.export(m_b, directory, int(opset))
            run_pair(report, "transformer-seq-first-opset%s" % opset, directory, enc, dec, [],
                     sources, targets, lambda s: transformer_b.torch_step(m_b, s), devices,
                     not args.no_beam)
    if "gru" in styles:
        m = gru_bahdanau.trained(directory)
        for opset in args.opsets.split(","):
            enc, dec = gru_bahdanau.export(m, directory, int(opset))
            run_pair(report, "gru-bahdanau-opset%s" % opset, directory, enc, dec,
                     ["next_state:state"], sources, targets,
                     lambda s: gru_bahdanau.torch_step(m, s), devices, not args.no_beam)
    return report.done()


if __name__ == "__main__":
    sys.exit(main())
