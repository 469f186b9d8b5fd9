//===- Attention.cpp - Fused attention on the CPU (FlashAttention forward) ===//
//
// One task = one (batch, head, query block). A task keeps, per query row, the
// running maximum m and sum l of exp(s - m) and an unnormalised output row,
// and walks the key blocks that any of its rows can see:
//
//   S = (scale Q_blk) K_blk^T          (register tiles, K packed as K^T)
//   S += mask; S = -inf where hidden   (tail lanes, causal, boolean)
//   m' = max(m, rowmax S); P = exp(S - m'); l = l e^(m - m') + rowsum P
//   O = O e^(m - m') + P V_blk         (V read in place when it can be)
//
// Keys past the last one a block's rows can see (causal, key lengths) are
// never visited. Query blocks of fewer than kDirectRows rows (decoding) take
// dot products straight from K and V rows. A thread keeps the packed K^T
// blocks of its current (batch, kv head) for its next query block there.
//
// Numerics that must hold (docs/attention-numerics.md):
// - a row whose keys are all hidden has m = -inf: the shift used is 0, so every
//   P is exp(-inf) = 0 exactly, never exp(-inf - -inf) = NaN; such a row ends
//   with l == 0 and gets zeros or NaN per MaskedRows;
// - hidden keys get P == 0 exactly; a V block holding inf/NaN is multiplied
//   key by key skipping P == 0, so "poison V" at hidden keys never leaks
//   (0 * inf would be NaN);
// - rows are independent: a NaN in one query row stays in its row;
// - with an additive mask, s + mask and the shift by the row maximum are done
//   in double: a row whose visible keys all carry -1e4 would otherwise lose
//   ~10 bits of every logit (float's ulp at 1e4 is 1e-3); finfo.min + s
//   rounds to finfo.min in float64 as in float32.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace heed::cpu {
namespace {

using detail::MicroKernels;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kDefaultQueryBlock = 64;
constexpr int64_t kDefaultKeyBlock = 128;
/// Query blocks with fewer rows (decoding) take dot products straight from K
/// and V instead of packing them for the register tiles.
constexpr int64_t kDirectRows = 4;
/// A thread keeps the packed K^T blocks of the (batch, kv head) it last
/// worked on, up to this many bytes, for its next query block of that head.
constexpr int64_t kKeyCacheBytes = 8 << 20;

int64_t roundUp8(int64_t x) { return (x + 7) / 8 * 8; }

struct Scratch {
  std::vector<float> q, kt, v, s, o, l;
  const float *qRows = nullptr; // the query block's rows: in q, or in place in the input
  int64_t ldq = 0;
  std::vector<double> masked, m; // logits + additive mask; running row maxima
  int64_t cachedHead = -1;       // b * kvHeads + hk whose K^T blocks kt holds
  int64_t checkedHead = -1;      // b * kvHeads + hk whose V blocks `poisoned` flags
  std::vector<uint8_t> poisoned; // per key block of V: holds inf or NaN
  std::vector<uint8_t> packed;   // per key block: packed in kt
};

class FlashAttention {
public:
  FlashAttention(const AttentionProblem &p, const MicroKernels &mk) : p(p), mk(mk) {
    // Blocks no larger than the problem: scratch never exceeds what it needs.
    bq = std::min(p.queryBlock > 0 ? p.queryBlock : kDefaultQueryBlock,
                  std::max<int64_t>(p.queryLength, 1));
    bk =
        std::min(p.keyBlock > 0 ? p.keyBlock : kDefaultKeyBlock, std::max<int64_t>(p.keyLength, 1));
    bkp = roundUp8(bk);
    dvp = roundUp8(p.valueDim);
    group = p.heads / p.kvHeads;
    offset = p.causalAlign == CausalAlign::bottomRight ? p.keyLength - p.queryLength : 0;
    queryBlocks = (p.queryLength + bq - 1) / bq;
    keyBlocks = (p.keyLength + bk - 1) / bk;
    // Rows of V feed the block product in place when they are contiguous and
    // a whole number of vectors; a block holding inf/NaN is then handled key by
    // key, as flagged by checkValues().
    valuesInPlace = p.valueStrides.col == 1 && p.valueDim % 8 == 0 && p.queryLength >= kDirectRows;
    cacheKeys = queryBlocks * group > 1 &&
                keyBlocks * std::max<int64_t>(p.headDim, 1) * bkp * 4 <= kKeyCacheBytes;
    // With heads enough to keep every thread busy, a task is a whole head: its K is packed and
    // its V checked once, by one thread (per query block, two threads would each pack the same
    // K: S1's 8 heads x 2 blocks paid every K^T twice). Heads cost the same, so this balances.
    perHead = p.batch * p.heads >= 2 * detail::threadCount();
  }

  int64_t tasks() const { return p.batch * p.heads * (perHead ? 1 : queryBlocks); }

  void runTask(int64_t task, Scratch &s) const {
    if (!perHead)
      return run(task / queryBlocks, queryBlocks - 1 - task % queryBlocks, s);
    for (int64_t qb = queryBlocks; qb-- > 0;) // big causal blocks first
      run(task, qb, s);
  }

  /// Decoding with keys enough to share, when heads alone do not share well: every thread takes
  /// a fixed range of the keys of every head, and the ranges' partial softmax states are
  /// combined at the end (split-K, like the Vulkan decode kernel). Two cases gain: fewer heads
  /// than twice the threads (one long head would run on one thread), and K/V rows of a head
  /// that are not contiguous (a packed [B, L, H*D] cache: by heads, each thread read the same
  /// 1 KiB of every 2 KiB row, half of its L2's sets, so nothing stayed cached between steps;
  /// 8 heads x 1024 keys: 0.10 -> 0.07 ms). With contiguous heads, whole heads per thread stay
  /// faster (0.048 against 0.053 ms): fewer, longer streams.
  bool splitKeys() const {
    const int64_t threads = detail::threadCount();
    const bool strided = p.keyStrides.row != p.headDim || p.valueStrides.row != p.valueDim;
    return directKeys(p.queryLength) && !p.weights && threads > 1 &&
           p.keyLength >= 2 * bk * threads && (strided || p.batch * p.heads < 2 * threads);
  }
  void runSplitKeys() const;

  /// The calling thread's scratch, kept between calls: a short problem (S1, a decoding step)
  /// otherwise spends a few percent zero-filling fresh buffers. allocate() forgets what the
  /// buffers cached about the previous call's inputs.
  Scratch &keptScratch() const {
    static thread_local Scratch kept;
    allocate(kept);
    return kept;
  }

  void allocate(Scratch &s) const {
    s.q.resize(bq * std::max<int64_t>(p.headDim, 1));
    s.kt.resize(std::max<int64_t>(p.headDim, 1) * bkp * (cacheKeys ? keyBlocks : 1));
    s.packed.assign(keyBlocks, 0);
    s.poisoned.assign(keyBlocks, 0);
    s.cachedHead = s.checkedHead = -1;
    s.v.resize(bkp * std::max<int64_t>(dvp, 8));
    s.s.resize(bq * bkp);
    s.o.resize(bq * std::max<int64_t>(dvp, 8));
    if (p.additiveMask)
      s.masked.resize(bq * bkp);
    s.m.resize(bq);
    s.l.resize(bq);
  }

private:
  /// Query block qb of head bh (= b * heads + h).
  void run(int64_t bh, int64_t qb, Scratch &s) const;
  /// The query rows [i0, i0 + rows) of head h into s (scaled where the scores need it), with
  /// empty softmax states.
  void startRows(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows) const;
  /// Keys [from, to) into the rows' softmax states (m, l and unnormalised O in s).
  void attendKeys(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t from,
                  int64_t to) const;
  /// O / l of the rows into the output (a row that saw no key gets the masked-row fill).
  void writeRows(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows) const;
  /// Flags the key blocks of kv head hk's V that hold a non-finite value; the blocked kernel reads
  /// V in place only after this ran (one pass over V per head and thread).
  void checkValues(Scratch &s, int64_t b, int64_t hk) const {
    const int64_t head = b * p.kvHeads + hk;
    if (!valuesInPlace || s.checkedHead == head)
      return;
    const Strides4 &vs = p.valueStrides;
    const float *v = p.value + b * vs.batch + hk * vs.head;
    for (int64_t kb = 0; kb < keyBlocks; ++kb) {
      bool finite = true;
      for (int64_t j = kb * bk; j < std::min(p.keyLength, (kb + 1) * bk) && finite; ++j)
        finite = mk.allFinite(v + j * vs.row, p.valueDim);
      s.poisoned[kb] = !finite;
    }
    s.checkedHead = head;
  }

  /// Keys [0, end) hold every key some row in [i0, i0 + rows) may see.
  int64_t keyEnd(int64_t b, int64_t i0, int64_t rows) const {
    int64_t end = p.keyLength;
    if (p.keyLengths)
      end = std::clamp<int64_t>(p.keyLengths[b], 0, end);
    if (p.causal)
      end = std::min(end, std::max<int64_t>(0, i0 + rows - 1 + offset + 1));
    return end;
  }

  /// Whether a query block of `rows` takes its scores straight from K's rows (decoding), not
  /// from packed K^T blocks.
  bool directKeys(int64_t rows) const { return rows < kDirectRows && p.keyStrides.col == 1; }
  /// Keys [j0, j0 + result) of a block of nk hold every key query row i may see (all nk unless
  /// causal).
  int64_t visibleKeys(int64_t i, int64_t j0, int64_t nk) const {
    return p.causal ? std::clamp<int64_t>(i + offset - j0 + 1, 0, nk) : nk;
  }
  /// C[rows x n] (+)= A[rows x k] B[k x n], where on a causal block's diagonal each 8-row group
  /// needs only the leading keys its last row sees: n (columns = keys, QK^T) or k (the inner
  /// dimension = keys, PV) shrinks to them. What it skips is hidden (-inf) or multiplies P = 0.
  /// S1 (128 keys, causal): about 30% fewer block-product FMAs.
  void causalGemm(int64_t i0, int64_t rows, int64_t j0, int64_t nk, bool keysAreColumns, int64_t n,
                  int64_t k, const float *a, int64_t lda, const float *bm, int64_t ldb, float *c,
                  int64_t ldc, bool acc) const {
    if (!p.causal || visibleKeys(i0, j0, nk) >= nk) // every row sees every key
      return mk.gemm(rows, n, k, a, lda, bm, ldb, c, ldc, acc);
    for (int64_t r0 = 0; r0 < rows; r0 += 8) {
      const int64_t rr = std::min<int64_t>(8, rows - r0);
      const int64_t keys = visibleKeys(i0 + r0 + rr - 1, j0, nk);
      if (keys == 0 && !keysAreColumns)
        continue; // adds nothing to C
      mk.gemm(rr, keysAreColumns ? std::min(n, roundUp8(keys)) : n, keysAreColumns ? k : keys,
              a + r0 * lda, lda, bm, ldb, c + r0 * ldc, ldc, acc);
    }
  }
  void scores(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0, int64_t nk,
              int64_t ldS) const;
  double blockMax(Scratch &s, int64_t r, int64_t ldS, int64_t nk) const;
  float exponentiate(Scratch &s, int64_t r, int64_t ldS, int64_t n, double shift) const;
  void accumulate(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0,
                  int64_t nk, int64_t ldS) const;
  void writeWeights(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t end) const;

  const AttentionProblem &p;
  const MicroKernels &mk;
  int64_t bq, bk, bkp, dvp, group, offset, queryBlocks, keyBlocks;
  bool valuesInPlace, cacheKeys, perHead;
};

/// S[rows x ldS] = scale q k^T + masks for keys [j0, j0 + nk); lanes [nk, ldS)
/// are -inf.
void FlashAttention::scores(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0,
                            int64_t nk, int64_t ldS) const {
  const int64_t d = p.headDim, hk = h / group;
  const Strides4 &ks = p.keyStrides;
  const float *kBase = p.key + b * ks.batch + hk * ks.head + j0 * ks.row;
  float *sv = s.s.data();
  if (directKeys(rows)) {
    for (int64_t r = 0; r < rows; ++r)
      mk.dots(s.qRows + r * s.ldq, kBase, ks.row, nk, d, sv + r * ldS);
  } else {
    // Cached blocks hold every key of the block (this task may need fewer).
    const int64_t kb = j0 / bk, head = b * p.kvHeads + hk;
    const int64_t packKeys = cacheKeys ? std::min(bk, p.keyLength - j0) : nk;
    const int64_t ldK = roundUp8(packKeys);
    float *kt = s.kt.data() + (cacheKeys ? kb * std::max<int64_t>(d, 1) * bkp : 0);
    if (cacheKeys && s.cachedHead != head) {
      std::fill(s.packed.begin(), s.packed.end(), 0);
      s.cachedHead = head;
    }
    if (!cacheKeys || !s.packed[kb]) {
      if (ks.col == 1) {
        mk.transpose(packKeys, d, kBase, ks.row, kt, ldK);
      } else {
        for (int64_t dd = 0; dd < d; ++dd)
          for (int64_t j = 0; j < packKeys; ++j)
            kt[dd * ldK + j] = kBase[j * ks.row + dd * ks.col];
      }
      // The packed keys carry the softmax scale: the query rows are then used as they are.
      mk.scale(d * ldK, p.scale, kt, kt);
      for (int64_t dd = 0; dd < d; ++dd)
        std::fill(kt + dd * ldK + packKeys, kt + (dd + 1) * ldK, 0.0f);
      if (cacheKeys)
        s.packed[kb] = 1;
    }
    causalGemm(i0, rows, j0, nk, /*keysAreColumns=*/true, ldS, d, s.qRows, s.ldq, kt, ldK, sv, ldS,
               /*acc=*/false);
  }

  const Strides4 &ms = p.maskStrides;
  auto hide = [&](auto *row, int64_t i) {
    if (p.booleanMask) {
      const uint8_t *mrow = p.booleanMask + b * ms.batch + h * ms.head + i * ms.row + j0 * ms.col;
      for (int64_t j = 0; j < nk; ++j)
        if (!mrow[j * ms.col])
          row[j] = p.booleanFill;
    }
    int64_t visible = visibleKeys(i, j0, nk); // key j visible iff j <= i + offset
    for (int64_t j = visible; j < ldS; ++j)
      row[j] = kNegInf;
  };
  for (int64_t r = 0; r < rows; ++r) {
    float *row = sv + r * ldS;
    const int64_t i = i0 + r;
    if (!p.additiveMask) {
      hide(row, i);
      continue;
    }
    double *x = s.masked.data() + r * ldS;
    const float *mrow = p.additiveMask + b * ms.batch + h * ms.head + i * ms.row + j0 * ms.col;
    if (ms.col == 1) {
      mk.maskedLogits(row, mrow, nk, x);
    } else {
      for (int64_t j = 0; j < nk; ++j)
        x[j] = double(row[j]) + double(mrow[j * ms.col]);
    }
    hide(x, i);
  }
}

/// The largest logit among keys [0, nk) of row r of the block (NaNs ignored).
double FlashAttention::blockMax(Scratch &s, int64_t r, int64_t ldS, int64_t nk) const {
  if (!p.additiveMask)
    return mk.rowMax(s.s.data() + r * ldS, nk);
  return mk.rowMaxDouble(s.masked.data() + r * ldS, nk);
}

/// Row r of s.s = exp(logit - shift) for lanes [0, n); returns their sum.
float FlashAttention::exponentiate(Scratch &s, int64_t r, int64_t ldS, int64_t n,
                                   double shift) const {
  float *row = s.s.data() + r * ldS;
  if (!p.additiveMask)
    return mk.expSum(row, n, float(shift));
  mk.shiftedLogits(s.masked.data() + r * ldS, n, shift, row);
  return mk.expSum(row, n, 0.0f);
}

/// O[rows] += P V for keys [j0, j0 + nk) (P in s.s, exact zeros at hidden keys).
void FlashAttention::accumulate(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows,
                                int64_t j0, int64_t nk, int64_t ldS) const {
  const int64_t dv = p.valueDim, hk = h / group;
  const Strides4 &vs = p.valueStrides;
  const float *vBase = p.value + b * vs.batch + hk * vs.head + j0 * vs.row;
  const float *pv = s.s.data();
  float *o = s.o.data();
  // Rows of V read in place, key by key: only keys with P != 0 may touch the output.
  auto keyByKey = [&](const float *v, int64_t ldv) {
    for (int64_t r = 0; r < rows; ++r)
      mk.weightedSum(pv + r * ldS, v, ldv, nk, dv, o + r * dvp);
  };
  if (rows < kDirectRows && vs.col == 1)
    return keyByKey(vBase, vs.row);
  if (valuesInPlace) {
    if (!s.poisoned[j0 / bk]) {
      causalGemm(i0, rows, j0, nk, /*keysAreColumns=*/false, dv, nk, pv, ldS, vBase, vs.row, o, dvp,
                 /*acc=*/true);
      return;
    }
    return keyByKey(vBase, vs.row);
  }
  float *vp = s.v.data();
  for (int64_t j = 0; j < ldS; ++j) {
    float *dst = vp + j * dvp;
    if (j < nk) {
      const float *src = vBase + j * vs.row;
      if (vs.col == 1)
        std::memcpy(dst, src, dv * sizeof(float));
      else
        for (int64_t c = 0; c < dv; ++c)
          dst[c] = src[c * vs.col];
    } else {
      std::fill(dst, dst + dv, 0.0f);
    }
    std::fill(dst + dv, dst + dvp, 0.0f);
  }
  if (mk.allFinite(vp, nk * dvp)) {
    causalGemm(i0, rows, j0, nk, /*keysAreColumns=*/false, dvp, ldS, pv, ldS, vp, dvp, o, dvp,
               /*acc=*/true);
    return;
  }
  keyByKey(vp, dvp); // poison in V
}

void FlashAttention::writeWeights(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows,
                                  int64_t end) const {
  const Strides4 &ws = p.weightsStrides;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float *wBase = p.weights + b * ws.batch + h * ws.head;
  auto at = [&](int64_t i, int64_t j) -> float & { return wBase[i * ws.row + j * ws.col]; };
  for (int64_t j0 = 0; j0 < end; j0 += bk) {
    int64_t nk = std::min(bk, end - j0), ldS = roundUp8(nk);
    scores(s, b, h, i0, rows, j0, nk, ldS);
    for (int64_t r = 0; r < rows; ++r) {
      float *row = s.s.data() + r * ldS;
      if (s.l[r] == 0.0f) // masked row: written below
        continue;
      float inv = 1.0f / s.l[r];
      exponentiate(s, r, ldS, nk, s.m[r] == kNegInf ? 0.0 : s.m[r]);
      for (int64_t j = 0; j < nk; ++j)
        at(i0 + r, j0 + j) = row[j] * inv;
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    bool masked = s.l[r] == 0.0f;
    float fill = masked && p.maskedRows == MaskedRows::nan ? nan : 0.0f;
    for (int64_t j = masked ? 0 : end; j < p.keyLength; ++j)
      at(i0 + r, j) = fill;
  }
}

void FlashAttention::run(int64_t bh, int64_t qb, Scratch &s) const {
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t i0 = qb * bq, rows = std::min(bq, p.queryLength - i0);
  startRows(s, b, h, i0, rows);
  const int64_t end = keyEnd(b, i0, rows);
  checkValues(s, b, h / group);
  attendKeys(s, b, h, i0, rows, 0, end);
  writeRows(s, b, h, i0, rows);
  if (p.weights)
    writeWeights(s, b, h, i0, rows, end);
}

void FlashAttention::startRows(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows) const {
  const int64_t d = p.headDim;
  // Scores against keys read in place take scaled query rows; against packed keys (which carry
  // the scale) the rows as they are, in place when contiguous.
  const Strides4 &qs = p.queryStrides;
  const float *q0 = p.query + b * qs.batch + h * qs.head + i0 * qs.row;
  const bool direct = directKeys(rows);
  s.qRows = s.q.data();
  s.ldq = d;
  if (!direct && qs.col == 1) {
    s.qRows = q0;
    s.ldq = qs.row;
  } else {
    const float scale = direct ? p.scale : 1.0f;
    for (int64_t r = 0; r < rows; ++r) {
      const float *src = q0 + r * qs.row;
      if (qs.col == 1)
        mk.scale(d, scale, src, s.q.data() + r * d);
      else
        for (int64_t dd = 0; dd < d; ++dd)
          s.q[r * d + dd] = src[dd * qs.col] * scale;
    }
  }
  std::fill(s.m.begin(), s.m.begin() + rows, kNegInf);
  std::fill(s.l.begin(), s.l.begin() + rows, 0.0f);
  std::fill(s.o.begin(), s.o.begin() + rows * dvp, 0.0f);
}

void FlashAttention::attendKeys(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows,
                                int64_t from, int64_t to) const {
  const int64_t dv = p.valueDim;
  for (int64_t j0 = from; j0 < to; j0 += bk) {
    const int64_t nk = std::min(bk, to - j0), ldS = roundUp8(nk);
    scores(s, b, h, i0, rows, j0, nk, ldS);
    for (int64_t r = 0; r < rows; ++r) {
      double mOld = s.m[r], mNew = std::max(mOld, blockMax(s, r, ldS, nk));
      // All hidden so far: shift by 0 so exp(-inf - shift) is 0, not NaN.
      double shift = mNew == kNegInf ? 0.0 : mNew;
      // Causal rows see a prefix of the block: the lanes past it are -inf, so exp gives 0.
      int64_t live = p.causal ? visibleKeys(i0 + r, j0, nk) : ldS;
      float sum = exponentiate(s, r, ldS, live, shift);
      std::fill(s.s.data() + r * ldS + live, s.s.data() + (r + 1) * ldS, 0.0f);
      float alpha = std::exp(float(mOld - shift)); // 0 while nothing was visible
      // While nothing was visible the row of O is still all zeros: no rescaling.
      if (alpha != 1.0f && mOld != kNegInf)
        mk.scale(dv, alpha, s.o.data() + r * dvp, s.o.data() + r * dvp);
      s.l[r] = s.l[r] * alpha + sum;
      s.m[r] = mNew;
    }
    accumulate(s, b, h, i0, rows, j0, nk, ldS);
  }
}

void FlashAttention::writeRows(Scratch &s, int64_t b, int64_t h, int64_t i0, int64_t rows) const {
  const int64_t dv = p.valueDim;
  const Strides4 &os = p.outputStrides;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t r = 0; r < rows; ++r) {
    float *dst = p.output + b * os.batch + h * os.head + (i0 + r) * os.row;
    const float *o = s.o.data() + r * dvp;
    if (s.l[r] == 0.0f) { // no visible key (a NaN l is not 0 and stays NaN)
      float fill = p.maskedRows == MaskedRows::nan ? nan : 0.0f;
      for (int64_t c = 0; c < dv; ++c)
        dst[c * os.col] = fill;
      continue;
    }
    float inv = 1.0f / s.l[r];
    if (os.col == 1)
      mk.scale(dv, inv, o, dst);
    else
      for (int64_t c = 0; c < dv; ++c)
        dst[c * os.col] = o[c] * inv;
  }
}

void FlashAttention::runSplitKeys() const {
  const int64_t heads = p.batch * p.heads, rows = p.queryLength, chunks = detail::threadCount();
  // Per chunk, head and row: the running maximum, the sum and the unnormalised O.
  std::vector<double> m(size_t(chunks * heads * rows));
  std::vector<float> l(m.size()), o(m.size() * size_t(dvp));
  detail::parallelStatic(chunks, [&](int64_t first, int64_t last) {
    Scratch &kept = keptScratch();
    for (int64_t c = first; c < last; ++c)
      for (int64_t bh = 0; bh < heads; ++bh) {
        const int64_t b = bh / p.heads, h = bh % p.heads, end = keyEnd(b, 0, rows);
        startRows(kept, b, h, 0, rows);
        attendKeys(kept, b, h, 0, rows, std::min(end, p.keyLength * c / chunks),
                   std::min(end, p.keyLength * (c + 1) / chunks));
        const size_t at = size_t((c * heads + bh) * rows);
        std::copy(kept.m.begin(), kept.m.begin() + rows, m.begin() + long(at));
        std::copy(kept.l.begin(), kept.l.begin() + rows, l.begin() + long(at));
        std::copy(kept.o.begin(), kept.o.begin() + rows * dvp, o.begin() + long(at) * dvp);
      }
  });
  // Combine as the online softmax does across blocks: rescale each chunk to the largest
  // maximum (a chunk that saw nothing has weight 0; NaN in l or O carries through).
  Scratch &out = keptScratch(); // the workers are done with it
  for (int64_t bh = 0; bh < heads; ++bh) {
    for (int64_t r = 0; r < rows; ++r) {
      double mMax = kNegInf;
      for (int64_t c = 0; c < chunks; ++c)
        mMax = std::max(mMax, m[size_t((c * heads + bh) * rows + r)]);
      const double shift = mMax == kNegInf ? 0.0 : mMax;
      float sum = 0.0f, *dst = out.o.data() + r * dvp;
      std::fill(dst, dst + dvp, 0.0f);
      for (int64_t c = 0; c < chunks; ++c) {
        const size_t at = size_t((c * heads + bh) * rows + r);
        const float w = std::exp(float(m[at] - shift));
        sum += l[at] * w;
        for (int64_t k = 0; k < p.valueDim; ++k) // w = 0 still lets a NaN through
          dst[k] += o[at * dvp + size_t(k)] * w;
      }
      out.l[r] = sum;
    }
    writeRows(out, bh / p.heads, bh % p.heads, 0, rows);
  }
}

//===----------------------------------------------------------------------===//
// Additive (Bahdanau) attention
//===----------------------------------------------------------------------===//

struct AdditiveScratch {
  std::vector<float> e;
  std::vector<double> masked; // energies + additive mask, as in FlashAttention::scores
};

/// One query row, given its projection qp = W_q q.
void additiveRow(const AdditiveAttentionProblem &p, const MicroKernels &mk, AdditiveScratch &s,
                 const float *qp, int64_t b, int64_t i) {
  const int64_t a = p.attentionDim, lk = p.keyLength, dv = p.valueDim;
  const float nan = std::numeric_limits<float>::quiet_NaN();

  int64_t end = lk;
  if (p.keyLengths)
    end = std::clamp<int64_t>(p.keyLengths[b], 0, lk);
  float *e = s.e.data();
  double *x = s.masked.data();
  const int64_t *ms = p.maskStrides;
  double m = kNegInf;
  for (int64_t j = 0; j < end; ++j) {
    x[j] = mk.tanhEnergy(qp, p.keysProj + (b * lk + j) * a, p.v, a);
    int64_t at = b * ms[0] + i * ms[1] + j * ms[2];
    if (p.additiveMask)
      x[j] += p.additiveMask[at];
    if (p.booleanMask && !p.booleanMask[at])
      x[j] = p.booleanFill;
    m = x[j] > m ? x[j] : m;
  }
  double shift = m == kNegInf ? 0.0 : m;
  for (int64_t j = 0; j < end; ++j)
    e[j] = float(x[j] - shift);
  float l = mk.expSum(e, end, 0.0f);

  float *out = p.output + (b * p.queryLength + i) * dv;
  float *w = p.weights ? p.weights + (b * p.queryLength + i) * lk : nullptr;
  if (l == 0.0f) {
    float fill = p.maskedRows == MaskedRows::nan ? nan : 0.0f;
    std::fill(out, out + dv, fill);
    if (w)
      std::fill(w, w + lk, fill);
    return;
  }
  float inv = 1.0f / l;
  std::fill(out, out + dv, 0.0f);
  for (int64_t j = 0; j < end; ++j)
    if (e[j] != 0.0f) // hidden keys never touch the output, whatever V holds
      mk.axpy(dv, e[j] * inv, p.values + (b * lk + j) * dv, out);
  if (w) {
    for (int64_t j = 0; j < end; ++j)
      w[j] = e[j] * inv;
    std::fill(w + end, w + lk, 0.0f);
  }
}

} // namespace

bool attention(const AttentionProblem &p) {
  if (p.batch < 0 || p.heads < 0 || p.kvHeads <= 0 || p.queryLength < 0 || p.keyLength < 0 ||
      p.headDim < 0 || p.valueDim < 0 || p.queryBlock < 0 || p.keyBlock < 0 ||
      p.heads % p.kvHeads != 0)
    return false;
  if (p.batch == 0 || p.heads == 0 || p.queryLength == 0 || (p.valueDim == 0 && !p.weights))
    return true;
  if (!p.query || (!p.output && p.valueDim > 0) ||
      (p.keyLength > 0 && (!p.key || (!p.value && p.valueDim > 0))))
    return false;
  FlashAttention flash(p, detail::microKernels());
  if (flash.splitKeys()) {
    flash.runSplitKeys();
    return true;
  }
  if (p.queryLength < kDirectRows) {
    // Decoding: every (batch, head) costs the same, and a fixed share per thread keeps each
    // head's K and V in the L2 of the core that read them on the previous step.
    detail::parallelStatic(flash.tasks(), [&](int64_t begin, int64_t end) {
      Scratch &s = flash.keptScratch();
      for (int64_t t = begin; t < end; ++t)
        flash.runTask(t, s);
    });
    return true;
  }
  detail::parallelTasks(flash.tasks(), [&](auto next) {
    Scratch &s = flash.keptScratch();
    for (int64_t t = next(); t >= 0; t = next())
      flash.runTask(t, s);
  });
  return true;
}

bool additiveAttention(const AdditiveAttentionProblem &p) {
  if (p.batch < 0 || p.queryLength < 0 || p.keyLength < 0 || p.queryDim < 0 || p.attentionDim < 0 ||
      p.valueDim < 0)
    return false;
  const int64_t rows = p.batch * p.queryLength;
  if (rows == 0)
    return true;
  if (!p.query || !p.wQuery || !p.v || (!p.output && p.valueDim > 0) ||
      (p.keyLength > 0 && (!p.keysProj || (!p.values && p.valueDim > 0))))
    return false;
  const MicroKernels &mk = detail::microKernels();
  // Query rows go in panels: (W_q Q^T) for the whole panel is one block
  // product split over W_q's rows, so W_q is read once per panel rather than
  // once per query row (at A = Dq = 512 it is 1 MiB); then rows are scored
  // one by one. Scratch: (A + Dq) x panel floats.
  const int64_t a = p.attentionDim, dq = p.queryDim;
  constexpr int64_t kPanelRows = 256, kProjectionRows = 48;
  const int64_t panel = std::min(rows, kPanelRows), panelP = roundUp8(panel);
  std::vector<float> qt(std::max<int64_t>(dq, 1) * panelP), qpt(std::max<int64_t>(a, 1) * panelP),
      qp(std::max<int64_t>(a, 1) * panel);
  for (int64_t r0 = 0; r0 < rows; r0 += panel) {
    const int64_t n = std::min(panel, rows - r0), nP = roundUp8(n);
    mk.transpose(n, dq, p.query + r0 * dq, dq, qt.data(), nP); // Q^T, columns padded with 0
    for (int64_t d = 0; d < dq; ++d)
      std::fill(qt.data() + d * nP + n, qt.data() + (d + 1) * nP, 0.0f);
    detail::parallelTasks((a + kProjectionRows - 1) / kProjectionRows, [&](auto next) {
      for (int64_t t = next(); t >= 0; t = next()) {
        const int64_t a0 = t * kProjectionRows, m = std::min(kProjectionRows, a - a0);
        mk.gemm(m, nP, dq, p.wQuery + a0 * dq, dq, qt.data(), nP, qpt.data() + a0 * nP, nP,
                /*accumulate=*/false);
      }
    });
    mk.transpose(a, n, qpt.data(), nP, qp.data(), a); // row r of the panel: W_q q_r
    detail::parallelTasks(n, [&](auto next) {
      AdditiveScratch scratch;
      scratch.e.resize(std::max<int64_t>(p.keyLength, 1));
      scratch.masked.resize(std::max<int64_t>(p.keyLength, 1));
      for (int64_t r = next(); r >= 0; r = next())
        additiveRow(p, mk, scratch, qp.data() + r * a, (r0 + r) / p.queryLength,
                    (r0 + r) % p.queryLength);
    });
  }
  return true;
}

} // namespace heed::cpu
