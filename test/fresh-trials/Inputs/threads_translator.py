"""threads_translator.py DIR DEVICE...: four Python threads decode with one heed.Translator over a
GRU encoder + Bahdanau decoder export (test/fresh-trials/gru_bahdanau.py, seeded random weights),
five calls each on a quarter of the sources; every hypothesis must equal PyTorch's greedy loop.
On the CPU this crashed before oneDNN primitives were made per thread (their library-managed
scratchpad is thread_local, sized when the primitive is made)."""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import common  # noqa: E402
import gru_bahdanau  # noqa: E402

import heed  # noqa: E402


def main():
    out, devices = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(5)
    m = gru_bahdanau.Model().eval()
    enc, dec = gru_bahdanau.export(m, out, 17)
    module = heed.compile(enc, decoder=dec, binds=["next_state:state"], target="all")
    sources = common.test_sources(count=16)
    want = [common.greedy(gru_bahdanau.torch_step(m, s), s)[0] for s in sources]
    for device in devices:
        t = heed.Translator(module, device=device)
        bad = []

        def work(k):
            try:
                for _ in range(5):
                    got = [list(r.hypotheses[0]) for r in t.translate_batch(
                        sources[k::4], beam_size=1, max_decoding_length=0)]
                    if got != want[k::4]:
                        bad.append("thread %d: %s, torch %s" % (k, got, want[k::4]))
            except Exception as e:  # noqa: BLE001
                bad.append("thread %d: %r" % (k, e))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if bad:
            sys.exit("%s: %s" % (device, "; ".join(bad[:2])))
        print("%s: 20 calls from 4 threads equal torch" % device)


if __name__ == "__main__":
    main()
