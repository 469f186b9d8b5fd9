//===- OnednnAttention.h - Unfused attention with oneDNN primitives -*- C++ -*-===//
//
// The baseline a user of oneDNN 2.6 would write (it has no fused SDPA): matmul with the scale as
// an output scale and the mask as a binary-add post-op, softmax in place, matmul. The Lq x Lk
// scores are materialised. Masks: padding as [B, 1, 1, Lk] (broadcast well); causal as a full
// [B, H, Lq, Lk] tensor, because oneDNN 2.6 runs a [1, 1, L, L] broadcast with batch > 1 on its
// reference kernel (~500x slower; docs/toolchain.md).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_HEED_BENCH_ONEDNNATTENTION_H
#define HEED_TOOLS_HEED_BENCH_ONEDNNATTENTION_H

#include <cstdint>
#include <memory>
#include <string>

namespace heedbench {

enum class Mask { none, padding, causal };

class OnednnAttention {
public:
  /// q [B,H,Lq,D], k and v [B,H,Lk,D], o [B,H,Lq,D]; `padded` keys (padding mask) are the last
  /// Lk/4 of every batch. Returns null (and sets `error`) if a primitive cannot be created.
  static std::unique_ptr<OnednnAttention> create(int64_t b, int64_t h, int64_t lq, int64_t lk,
                                                 int64_t d, Mask mask, const float *q,
                                                 const float *k, const float *v, float *o,
                                                 std::string &error);
  ~OnednnAttention();
  void run();
  /// The implementations oneDNN picked ("brg:avx512_core, ..."): a "ref" means a slow path.
  const std::string &implementations() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace heedbench

#endif
