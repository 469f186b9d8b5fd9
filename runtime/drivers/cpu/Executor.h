//===- Executor.h - The CPU driver's plan interpreter -----------*- C++ -*-===//
//
// Internal to the CPU driver: an op's kernel sees an OpCtx with its operands,
// attributes and a way to report errors that name the op's source location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_EXECUTOR_H
#define HEED_RUNTIME_DRIVERS_CPU_EXECUTOR_H

#include "runtime/drivers/Driver.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace heed::rt::cpu {

struct Slot {
  Tensor t;
  int64_t s = 0;
  bool scalar = false;
  bool set = false;
};

class Executor;

/// The weight W [N, K] of y = x W^T as sgemm reads it: W itself, or a transposed copy W^T [K, N].
/// oneDNN's sgemm streams a [K, N] operand 1.4-3x faster than a transposed one when x has few
/// rows (a decoder step, a recurrence over a small batch; docs/performance.md).
struct GemmWeight {
  const float *data = nullptr;
  int64_t ld = 0;          // row stride of `data`
  bool transposed = false; // data holds W^T [K, N]
  /// The weight from row n0 of W on (one gate block of a recurrent weight).
  GemmWeight fromRow(int64_t n0) const {
    return transposed ? GemmWeight{data + n0, ld, true} : GemmWeight{data + n0 * ld, ld, false};
  }
};

struct OpCtx {
  Executor &ex;
  const Module &module;
  const Function &function;
  const PlanOp &op;
  std::vector<Slot> &slots;
  /// Set while an op that computes in f32 runs on f16/bf16 storage (Widen.cpp): f32 copies of
  /// its f16/bf16 operands (empty tensors for the others) and its result types with f32 in place
  /// of f16/bf16. out() narrows an f32 result back to the declared type.
  const std::vector<Tensor> *wideOperands = nullptr;
  const std::vector<ValueType> *wideResults = nullptr;

  size_t numOperands() const { return op.operands.size(); }
  const Tensor &in(size_t i) const;
  int64_t scalar(size_t i) const;
  void out(size_t i, Tensor t);
  void outScalar(size_t i, int64_t v);
  const ValueType &resultType(size_t i) const;
  Tensor alloc(ElemType type, std::vector<int64_t> shape);
  [[noreturn]] void fail(const std::string &message) const;
  /// Maps a possibly negative axis into [0, rank) or fails.
  int64_t axis(int64_t axis, int64_t rank) const;
  /// Operand i, a 2-D f32 weight W [N, K], for y = x W^T with M rows of x: the executor's cached
  /// transposed copy when W is one of the module's constants and M > 1, else W as it is.
  GemmWeight weight(size_t i, int64_t M) const;
};

using Kernel = void (*)(OpCtx &);
using KernelMap = std::map<std::string, Kernel>;

void registerScalarKernels(KernelMap &map);
void registerElementwiseKernels(KernelMap &map);
void registerNnKernels(KernelMap &map);
void registerDataKernels(KernelMap &map);
void registerRecurrentKernels(KernelMap &map);
void registerAttentionKernels(KernelMap &map);

/// Recycles intermediate buffers across ops and invocations: a released buffer goes back to a
/// free list keyed by its size (a decode loop then stops paying for fresh pages). Buffers stay
/// valid for as long as any tensor holds them; the pool keeps at most `capacity` bytes idle.
class BufferPool : public std::enable_shared_from_this<BufferPool> {
public:
  explicit BufferPool(size_t capacity) : capacity(capacity) {}
  ~BufferPool();
  /// A zeroed, 64-byte-aligned buffer of `bytes`; `hit` says whether it was recycled.
  std::shared_ptr<uint8_t> get(size_t bytes, bool &hit);

private:
  void put(uint8_t *p, size_t bytes);
  std::mutex mutex;
  std::multimap<size_t, uint8_t *> free;
  size_t idle = 0, capacity;
};

class Executor {
public:
  Executor();
  void prepare(const Module &module);
  std::vector<Tensor> invoke(const Module &module, const Function &function,
                             const std::vector<Tensor> &inputs, RunStats &stats);
  /// Runs a nested plan in the frame `slots` (heed.scan).
  void runPlan(const Module &module, const Function &function, const Plan &plan,
               std::vector<Slot> &slots);
  RunStats *stats = nullptr;
  uint64_t liveBytes = 0;
  std::shared_ptr<BufferPool> pool = std::make_shared<BufferPool>(size_t(256) << 20);
  std::vector<OpProfile> profile; // indexed by kind id during a run
  bool tracing = false;           // fill stats->trace

  /// W^T of a 2-D f32 constant of `module` (made on first use, kept while the constant lives),
  /// or nullptr when `w` is not one of the module's constants: only those are immutable.
  const Tensor *transposedConstant(const Module &module, const Tensor &w);

private:
  struct Transposed {
    std::weak_ptr<uint8_t> storage; // the constant's: expired once its module is gone
    std::vector<int64_t> shape;
    Tensor t;
  };
  std::map<const uint8_t *, Transposed> transposed; // by the constant's data pointer
  void traceOp(const PlanOp &op, const std::vector<Slot> &slots, double startUs, double endUs);
  std::vector<Kernel> kernels;
  std::vector<char> bytesOnly; // movesBytesOnly, by kind id
  std::chrono::steady_clock::time_point runStart;
  int depth = 0;
};

/// Element i (flat, C order) of a tensor of any element type, as a double (exact except for
/// i64/u64 magnitudes above 2^53).
double loadAsDouble(const Tensor &t, int64_t i);

/// Whether `type` is a storage-only float (f16, bf16) that kernels see as f32.
inline bool isNarrowFloat(ElemType type) { return type == ElemType::f16 || type == ElemType::bf16; }
/// An f32 copy of an f16/bf16 tensor (exact).
Tensor widenToF32(OpCtx &c, const Tensor &t);
/// `t` (f32) rounded to nearest-even into f16 or bf16.
Tensor narrowFromF32(OpCtx &c, const Tensor &t, ElemType to);
/// Whether an op kind only moves elements (or converts them itself, as cast does): it runs on
/// f16/bf16 storage as is.
bool movesBytesOnly(const std::string &kind);
/// Runs `kernel` for `c.op`; unless `bytesOnly`, an op that touches f16/bf16 runs on f32 copies
/// of its operands and its results are narrowed back (Widen.cpp).
void runKernel(Kernel kernel, OpCtx &c, bool bytesOnly);

/// Whether f32 softmax / layer norm / eltwise go to oneDNN primitives (default) or Heed's own
/// loops (HEED_CPU_NO_DNNL=1, for comparisons).
bool useDnnlPrimitives();

/// y[M,N] = op(A)[M,K] * op(B)[K,N] (+ beta*y), row-major, via oneDNN's sgemm.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
          int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/// y[M,N] = x[M,K] W^T (+ beta*y) for a weight W [N, K] in either layout.
inline void gemmWeight(int64_t M, int64_t N, int64_t K, const float *x, int64_t ldx,
                       const GemmWeight &w, float beta, float *y, int64_t ldy) {
  gemm(false, !w.transposed, M, N, K, 1.0f, x, ldx, w.data, w.ld, beta, y, ldy);
}

} // namespace heed::rt::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_EXECUTOR_H
