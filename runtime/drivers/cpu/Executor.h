//===- Executor.h - The CPU driver's plan interpreter -----------*- C++ -*-===//
//
// Internal to the CPU driver: an op's kernel sees an OpCtx with its operands,
// attributes and a way to report errors that name the op's source location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_EXECUTOR_H
#define HEED_RUNTIME_DRIVERS_CPU_EXECUTOR_H

#include "runtime/drivers/Driver.h"
#include "runtime/drivers/PlanRunner.h"

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace heed::rt::cpu {

using Slot = PlanSlot<Tensor>;

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

/// One op's kernel call: its operands and results (OpFrame: the checks and messages both
/// drivers share) and the executor's buffers.
struct OpCtx : OpFrame<Tensor> {
  OpCtx(Executor &ex, const Module &module, const Function &function, const PlanOp &op,
        std::vector<Slot> &slots)
      : OpFrame(function, op, slots), ex(ex), module(module) {}
  Executor &ex;
  const Module &module;
  /// Set while an op that computes in f32 runs on f16/bf16 storage (Widen.cpp): f32 copies of
  /// its f16/bf16 operands (empty tensors for the others) and its result types with f32 in place
  /// of f16/bf16. out() narrows an f32 result back to the declared type.
  const std::vector<Tensor> *wideOperands = nullptr;
  const std::vector<ValueType> *wideResults = nullptr;

  /// Operand i (its f32 copy while widened).
  const Tensor &in(size_t i) const;
  /// Sets result i (narrowed back to the declared type while widened).
  void out(size_t i, Tensor t);
  void outScalar(size_t i, int64_t v) { setScalar(i, v); }
  /// Result i's declared type (with f32 for f16/bf16 while widened).
  const ValueType &resultType(size_t i) const;
  /// A result buffer the kernel writes completely: its contents are undefined (TensorMemory.h).
  Tensor alloc(ElemType type, std::vector<int64_t> shape);
  /// A zeroed result buffer, for kernels that accumulate into it or leave parts of it alone.
  Tensor allocZeroed(ElemType type, std::vector<int64_t> shape);
  /// Operand i, a 2-D f32 weight W [N, K], for y = x W^T with M rows of x: the executor's cached
  /// transposed copy when W is one of the module's constants and M > 1, else W as it is.
  GemmWeight weight(size_t i, int64_t M) const;
};

using Kernel = void (*)(OpCtx &);
using ops::AttrId;
using ops::OpKind;

/// The CPU kernel of each op kind; null where the CPU has none (the executor refuses such a
/// module at prepare time, and test/unit/runtime checks that no kind is left without one).
struct KernelTable {
  std::array<Kernel, ops::kNumOpKinds> kernels{};
  Kernel &operator[](OpKind k) { return kernels[size_t(k)]; }
  Kernel operator[](OpKind k) const { return kernels[size_t(k)]; }
};

void registerScalarKernels(KernelTable &table);
void registerElementwiseKernels(KernelTable &table);
void registerNnKernels(KernelTable &table);
void registerDataKernels(KernelTable &table);
void registerRecurrentKernels(KernelTable &table);
void registerAttentionKernels(KernelTable &table);
/// Every family's kernels, registered once; throws when an op kind has neither a kernel nor a
/// reason in cpuDeclines.
const KernelTable &cpuKernels();
/// Why the CPU driver has no kernel for `kind`, or nullptr when it has one.
const char *cpuDeclines(OpKind kind);

/// Recycles intermediate buffers across ops and invocations: a released buffer goes back to a
/// free list keyed by its size (a decode loop then stops paying for fresh pages). Buffers stay
/// valid for as long as any tensor holds them; the pool keeps at most `capacity` bytes idle.
class BufferPool : public std::enable_shared_from_this<BufferPool> {
public:
  explicit BufferPool(size_t capacity) : capacity(capacity) {}
  ~BufferPool();
  /// A buffer of `bytes` (TensorMemory.h: 64-byte aligned, or ending at a guard page), zeroed
  /// or with undefined contents (poisoned under $HEED_POISON_ALLOC) up to `bytes` and zeros
  /// after; `hit` says whether it was recycled.
  std::shared_ptr<uint8_t> get(size_t bytes, bool zeroed, bool &hit);

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
  /// A tensor from the pool, within the size limit, counted in the run's statistics; zeroed, or
  /// with undefined contents for a kernel that writes every element.
  Tensor allocate(const OpFrame<Tensor> &c, ElemType type, std::vector<int64_t> shape, bool zeroed);

  // PlanRunner's hooks.
  void runOp(const Function &function, const PlanOp &op, std::vector<Slot> &slots);
  std::chrono::steady_clock::time_point opStarted(const PlanOp &) {
    return std::chrono::steady_clock::now();
  }
  void opFinished(const PlanOp &op, const std::vector<Slot> &slots,
                  std::chrono::steady_clock::time_point start, int depth);
  void release(Slot &slot);
  Tensor alloc(const OpFrame<Tensor> &c, ElemType type, std::vector<int64_t> shape) {
    return allocate(c, type, std::move(shape), /*zeroed=*/true);
  }
  /// Step t of a sequence: a view of its storage, nothing copied.
  Tensor stepSlice(const OpFrame<Tensor> &scan, size_t seq, const Tensor &s, int64_t t);
  void storeStep(const OpFrame<Tensor> &scan, size_t out, Tensor &stacked, const Tensor &y,
                 int64_t t);

  RunStats *stats = nullptr;
  uint64_t liveBytes = 0;
  std::shared_ptr<BufferPool> pool = std::make_shared<BufferPool>(size_t(256) << 20);
  std::vector<OpProfile> profile; // indexed by OpKind during a run
  bool tracing = false;           // fill stats->trace

  /// W^T of a 2-D f32 constant of `module` (made on first use, kept while the constant lives),
  /// or nullptr when `w` is not one of the module's constants: only those are immutable.
  const Tensor *transposedConstant(const Module &module, const Tensor &w);

  /// Whatever `make` derives from `sources` (recurrent weights packed for oneDNN), made on first
  /// use and kept while every source lives; nullptr when a source is not one of `module`'s
  /// constants (only those are immutable). `kind` tells apart things made from the same sources.
  std::shared_ptr<void> fromConstants(const Module &module, const std::string &kind,
                                      const std::vector<const Tensor *> &sources,
                                      const std::function<std::shared_ptr<void>()> &make);

  /// Whether `t` can never change: it is one of `module`'s constants (or a view of one) or the
  /// kept result of a data-movement op on such tensors (foldConstantOp).
  bool immutable(const Module &module, const Tensor &t) const;

private:
  /// A data-movement op (slice, concat, reshape, transpose) whose operands are all immutable
  /// computes the same result every call: ONNX imports reorder recurrent gate blocks that way.
  /// The first call keeps its results; later calls reuse them, so the recurrent ops see the same
  /// immutable weights each call and keep their packed or transposed copies.
  struct FoldedOp {
    std::vector<std::weak_ptr<uint8_t>> storages; // the operands': expired once one is gone
    std::vector<const uint8_t *> data;
    std::vector<std::vector<int64_t>> shapes;
    std::vector<Tensor> results;
  };
  std::map<const PlanOp *, FoldedOp> folded;
  bool reuseFoldedOp(const Function &function, const PlanOp &op, std::vector<Slot> &slots);
  void keepFoldedOp(const Function &function, const PlanOp &op, const std::vector<Slot> &slots);
  struct FromConstants {
    std::vector<std::weak_ptr<uint8_t>> storages; // the sources': expired once one is gone
    std::vector<std::vector<int64_t>> shapes;
    std::shared_ptr<void> value;
  };
  std::map<std::string, FromConstants> fromConstantsMade; // by kind and the sources' addresses
  struct Transposed {
    std::weak_ptr<uint8_t> storage; // the constant's: expired once its module is gone
    std::vector<int64_t> shape;
    Tensor t;
  };
  std::map<const uint8_t *, Transposed> transposed; // by the constant's data pointer
  std::chrono::steady_clock::time_point runStart;
  const Module *running = nullptr; // the module of the invoke in progress
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
bool movesBytesOnly(OpKind kind);
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
