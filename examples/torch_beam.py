"""A PyTorch beam search written from docs/decoding.md ("The drivers"), independently of Heed's
runtime/decode, to give Heed's n-best lists, greedy outputs and scores a reference. Shared by
examples/reverse/decode_torch.py and examples/onnx-seq2seq/decode_torch.py.

A model is decoded through three functions of one source (batch 1 after encoding):
  start()                 -> the decoder state of the empty hypothesis
  step(prev, state)       -> (log-probs [n, V] f32, next state) for n live hypotheses whose
                             previous tokens are prev [n] (<s> first)
  select(state, parents)  -> the state of the hypotheses parents [k] (indices into the n rows)

The search, per source (each source is decoded alone here; Heed batches them):
- live hypotheses start as one empty hypothesis (log-prob 0, previous token <s>).
- each step computes log p(v | hypothesis) for every live hypothesis h and token v; candidate
  (h, v) has log-prob logp(h) + log p(v | h) (accumulated in double from the f32 log-probs).
  Candidates are ranked by log-prob, highest first; ties go to the lower live index h (live
  hypotheses are kept in the order they were ranked), then to the lower token id v.
- the first 2 * beam candidates are walked in rank order. At the last step (the step that
  generates token number max_length, max_length = 2 * source length + 10 counting </s>), the
  first `beam` candidates are all finished: ended if v is </s>, else cut (ended = False, v kept).
  Otherwise a candidate with v = </s> is finished (ended); any other joins the next live set,
  and the walk ends once `beam` candidates have joined it.
- a finished hypothesis's score is logp / ((5 + len) / 6) ** alpha, len counting </s> when it
  ended (alpha = 0: the log-prob itself).
- the source stops after the last step, when no candidate stayed live, with early stop once it
  has `beam` finished hypotheses (counting all finished so far), and without early stop once it
  has at least n_best finished and the best live hypothesis's score (its length without </s>)
  is below the n_best-th best finished score.
- its finished hypotheses are sorted by score, highest first; equal scores by token sequence,
  lexicographically smaller first; the first n_best are returned, without <s> and </s>.
Greedy decoding is beam 1 (early stop always).
"""
import torch

BOS, EOS = 1, 2


def length_norm(logp, length, alpha):
    return logp if alpha == 0 else logp / ((5.0 + length) / 6.0) ** alpha


def beam_search(start, step, select, source_len, beam, n_best, alpha, early_stop,
                max_length=None):
    """The n_best finished hypotheses of one source: (score, logp, tokens, ended), best first."""
    early_stop = early_stop or beam == 1
    max_length = max_length or 2 * source_len + 10
    state = start()
    live = [(0.0, [])]  # (log-prob, tokens), in rank order
    finished = []
    for t in range(max_length):
        prev = torch.tensor([tokens[-1] if tokens else BOS for _, tokens in live])
        logp, state = step(prev, state)
        rows = logp.double().tolist()
        cands = [(lp + row[v], h, v) for h, ((lp, _), row) in enumerate(zip(live, rows))
                 for v in range(len(row))]
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        cands = cands[:2 * beam]
        last = t + 1 >= max_length
        next_live, parents = [], []
        if last:
            for lp, h, v in cands[:beam]:
                ended = v == EOS
                tokens = live[h][1] + ([] if ended else [v])
                finished.append((length_norm(lp, len(tokens) + ended, alpha), lp, tokens, ended))
        else:
            for lp, h, v in cands:
                if v == EOS:
                    tokens = live[h][1]
                    finished.append((length_norm(lp, len(tokens) + 1, alpha), lp, tokens, True))
                    continue
                next_live.append((lp, live[h][1] + [v]))
                parents.append(h)
                if len(next_live) == beam:
                    break
        if last or not next_live:
            break
        if early_stop and len(finished) >= beam:
            break
        if not early_stop and len(finished) >= n_best:
            nth = sorted((f[0] for f in finished), reverse=True)[n_best - 1]
            best_live = max(length_norm(lp, len(tokens), alpha) for lp, tokens in next_live)
            if best_live < nth:
                break
        live = next_live
        state = select(state, torch.tensor(parents))
    finished.sort(key=lambda f: (-f[0], f[2]))
    return finished[:n_best]


def greedy(start, step, select, source_len):
    """The tokens of beam 1 (without </s>)."""
    (_, _, tokens, _), = beam_search(start, step, select, source_len, 1, 1, 0.0, True)
    return tokens


def score(start, step, target):
    """Teacher-forced log-probs of each token of target + </s> (floats)."""
    state, per = start(), []
    for prev, y in zip([BOS] + target, target + [EOS]):
        logp, state = step(torch.tensor([prev]), state)
        per.append(logp[0, y].item())
    return per


def nbest_lines(hypotheses, index):
    """`SOURCE_INDEX<TAB>SCORE<TAB>LOGPROB<TAB>TOKENS` lines, as heed-run translate --n-best."""
    return [f"{index}\t{sc:.6f}\t{lp:.6f}\t{' '.join(map(str, tokens))}\n"
            for sc, lp, tokens, _ in hypotheses]


def score_line(per):
    """The sum, then each log-prob, as heed-run score prints them."""
    return f"{sum(per):.6f} " + " ".join(f"{p:.6f}" for p in per) + "\n"
