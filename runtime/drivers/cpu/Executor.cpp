//===- Executor.cpp - The CPU driver's plan interpreter -------------------===//

#include "runtime/drivers/cpu/Executor.h"
#include "runtime/core/IndexArith.h"
#include "runtime/core/TensorMemory.h"
#include "runtime/drivers/cpu/SmallOpThreads.h"
#ifdef HEED_HAVE_CPU_KERNELS
#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#endif
#include "runtime/drivers/rules/DataRules.h"
#include "runtime/drivers/rules/NnRules.h"

#include <dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>

namespace heed::rt::cpu {

//===----------------------------------------------------------------------===//
// OpCtx
//===----------------------------------------------------------------------===//

const Tensor &OpCtx::in(size_t i) const {
  const Tensor &t = tensor(i);
  if (wideOperands && (*wideOperands)[i].data)
    return (*wideOperands)[i];
  return t;
}

const ValueType &OpCtx::resultType(size_t i) const {
  const ValueType &declared = declaredResult(i);
  return wideResults ? (*wideResults)[i] : declared;
}

void OpCtx::out(size_t i, Tensor t) {
  checkResult(i, resultType(i), t.type, t.shape);
  ElemType declared = declaredResult(i).type;
  if (wideResults && declared != t.type)
    t = narrowFromF32(*this, t, declared); // the declared type and the checked shape
  storeResult(i, std::move(t));
}

Tensor OpCtx::alloc(ElemType type, std::vector<int64_t> shape) {
  return ex.allocate(*this, type, std::move(shape), /*zeroed=*/false);
}

Tensor OpCtx::allocZeroed(ElemType type, std::vector<int64_t> shape) {
  return ex.allocate(*this, type, std::move(shape), /*zeroed=*/true);
}

Tensor Executor::allocate(const OpFrame<Tensor> &c, ElemType type, std::vector<int64_t> shape,
                          bool zeroed) {
  for (int64_t d : shape)
    if (d < 0)
      c.fail("would create a tensor with negative dimension " + std::to_string(d));
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  size_t bytes = 0;
  try {
    bytes = size_t(checkedMul(t.count(), int64_t(elemTypeSize(type)), "tensor"));
  } catch (const Error &e) {
    c.fail(std::string("would create a tensor that is too large: ") + e.what());
  }
  // The same limit as makeTensor: a hostile or mistaken size is an error, not an OOM kill.
  if (bytes > maxTensorBytes())
    c.fail("would create a tensor that is too large: tensor " + shapeString(t.shape, type) +
           " needs " + std::to_string(bytes) + " bytes, over the limit of " +
           std::to_string(maxTensorBytes()) + " (" + kMaxTensorBytesHint + ")");
  bool hit = false;
  t.storage = pool->get(bytes, zeroed, hit);
  t.data = t.storage.get();
  if (stats) {
    stats->poolHits += hit;
    if (!hit)
      stats->bytesAllocated += t.bytes();
    liveBytes += t.bytes();
    stats->peakBytes = std::max(stats->peakBytes, liveBytes);
  }
  return t;
}

bool useDnnlPrimitives() {
  static const bool use = [] {
    const char *v = std::getenv("HEED_CPU_NO_DNNL");
    return !(v && *v && std::string(v) != "0");
  }();
  return use;
}

//===----------------------------------------------------------------------===//
// BufferPool
//===----------------------------------------------------------------------===//

BufferPool::~BufferPool() {
  for (auto &[size, p] : free)
    freeTensorBytes(p, size);
}

std::shared_ptr<uint8_t> BufferPool::get(size_t bytes, bool zeroed, bool &hit) {
  size_t rounded = tensorAllocationSize(bytes);
  uint8_t *p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = free.find(rounded);
    if (it != free.end()) {
      p = it->second;
      free.erase(it);
      idle -= rounded;
    }
  }
  hit = p != nullptr;
  if (!p)
    p = allocateTensorBytes(rounded); // zeroed
  else if (zeroed)
    std::memset(p, 0, rounded);
  else // the slack past the data stays zero, as in a fresh buffer
    std::memset(p + bytes, 0, rounded - bytes);
  if (!zeroed && poisonAllocation())
    std::memset(p, 0xff, bytes);
  std::weak_ptr<BufferPool> self = weak_from_this();
  return std::shared_ptr<uint8_t>(p, [self, rounded](uint8_t *q) {
    if (auto pool = self.lock())
      pool->put(q, rounded);
    else
      freeTensorBytes(q, rounded);
  });
}

void BufferPool::put(uint8_t *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  if (idle + bytes > capacity) {
    freeTensorBytes(p, bytes);
    return;
  }
  free.emplace(bytes, p);
  idle += bytes;
}

//===----------------------------------------------------------------------===//
// gemm
//===----------------------------------------------------------------------===//

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
          int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M == 0 || N == 0)
    return;
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  dnnl_status_t st = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha, A, lda, B,
                                ldb, beta, C, ldc);
  if (st != dnnl_success)
    rt::fail(ErrorKind::runtime, "oneDNN sgemm failed with status " + std::to_string(int(st)));
}

//===----------------------------------------------------------------------===//
// Index arithmetic, values, scan
//===----------------------------------------------------------------------===//

namespace {

void binaryIndex(OpCtx &c) {
  int64_t r = 0;
  std::string error = evalIndexBinary(
      c.op.opKind, c.op.opKind == OpKind::ArithCmpi ? c.op.getInt(AttrId::predicate) : 0,
      c.scalar(0), c.scalar(1), r);
  if (!error.empty())
    c.fail(error);
  c.outScalar(0, r);
}

void arithConstant(OpCtx &c) { c.outScalar(0, c.op.getInt(AttrId::value)); }

void indexCast(OpCtx &c) { c.outScalar(0, c.scalar(0)); }

void select(OpCtx &c) { c.outScalar(0, c.scalar(0) ? c.scalar(1) : c.scalar(2)); }

void constant(OpCtx &c) { c.out(0, c.module.constants[size_t(c.op.getInt(AttrId::constant))]); }

void dim(OpCtx &c) {
  const Tensor &t = c.in(0);
  int64_t d = c.axis(c.op.getInt(AttrId::dim), t.rank());
  c.outScalar(0, t.dim(d));
}

void extract(OpCtx &c) {
  const Tensor &t = c.in(0);
  int64_t i = c.op.getInt(AttrId::index);
  if (std::string error = extractCheck(t.shape, t.type, i); !error.empty())
    c.fail(error);
  c.outScalar(0, loadIndex(t.data, t.type, i));
}

/// A float fill value as an integer, saturating: a plain cast of inf, NaN or
/// anything beyond int64 is undefined (masks fill with -inf).
int64_t saturatingInt(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775807.0)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

void full(OpCtx &c) {
  const ValueType &vt = c.resultType(0);
  std::vector<int64_t> dynamic, shape;
  for (size_t i = 0; i < c.numOperands(); ++i)
    dynamic.push_back(c.scalar(i));
  if (std::string error = fullShape(vt.dims, dynamic, shape); !error.empty())
    c.fail(error);
  Tensor t = c.alloc(vt.type, shape);
  int64_t n = t.count();
  // An integer fill value is exact as an integer; a float one saturates (masks fill with -inf).
  const Attr &value = c.op.getAttr(AttrId::value);
  double fv = c.op.getFloat(AttrId::value);
  int64_t iv = value.ints.empty() ? saturatingInt(fv) : value.ints[0];
  switch (t.type) {
  case ElemType::f32:
    std::fill(t.as<float>(), t.as<float>() + n, float(fv));
    break;
  case ElemType::f64:
    std::fill(t.as<double>(), t.as<double>() + n, fv);
    break;
  case ElemType::i32:
    std::fill(t.as<int32_t>(), t.as<int32_t>() + n, int32_t(iv));
    break;
  case ElemType::i64:
    std::fill(t.as<int64_t>(), t.as<int64_t>() + n, iv);
    break;
  case ElemType::boolean:
    std::fill(t.as<uint8_t>(), t.as<uint8_t>() + n, uint8_t(iv != 0 || fv != 0.0));
    break;
  case ElemType::u8: // the value's bits, truncated to the width (the writer sign-extends)
    std::fill(t.as<uint8_t>(), t.as<uint8_t>() + n, uint8_t(iv));
    break;
  case ElemType::u32:
    std::fill(t.as<uint32_t>(), t.as<uint32_t>() + n, uint32_t(iv));
    break;
  case ElemType::u64:
    std::fill(t.as<uint64_t>(), t.as<uint64_t>() + n, uint64_t(iv));
    break;
  default:
    c.fail("cannot fill this element type");
  }
  c.out(0, std::move(t));
}

void range(OpCtx &c) {
  int64_t start = c.scalar(0), limit = c.scalar(1), step = c.scalar(2), n = 0;
  if (std::string error = rangeLength(start, limit, step, n); !error.empty())
    c.fail(error);
  Tensor t = c.alloc(ElemType::i64, {n});
  for (int64_t i = 0; i < n; ++i)
    t.as<int64_t>()[i] = start + i * step;
  c.out(0, std::move(t));
}

} // namespace

void registerScalarKernels(KernelTable &m) {
  for (OpKind k :
       {OpKind::ArithAddi, OpKind::ArithSubi, OpKind::ArithMuli, OpKind::ArithDivsi,
        OpKind::ArithDivui, OpKind::ArithRemsi, OpKind::ArithRemui, OpKind::ArithCeildivsi,
        OpKind::ArithFloordivsi, OpKind::ArithMaxsi, OpKind::ArithMinsi})
    m[k] = binaryIndex;
  m[OpKind::ArithConstant] = arithConstant;
  m[OpKind::ArithIndexCast] = indexCast;
  m[OpKind::ArithCmpi] = binaryIndex;
  m[OpKind::ArithSelect] = select;
  m[OpKind::Constant] = constant;
  m[OpKind::Weight] = constant;
  m[OpKind::Dim] = dim;
  m[OpKind::Extract] = extract;
  m[OpKind::Check] = [](OpCtx &c) { c.evalCheck(); };
  m[OpKind::Full] = full;
  m[OpKind::Range] = range;
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

const KernelTable &cpuKernels() {
  static const KernelTable table = [] {
    KernelTable t;
    registerScalarKernels(t);
    registerElementwiseKernels(t);
    registerNnKernels(t);
    registerDataKernels(t);
    registerRecurrentKernels(t);
    registerAttentionKernels(t);
    return t;
  }();
  // Every op kind has a kernel or a reason (none is declined on the CPU today): checked where
  // every runtime is made, so a kind left unregistered fails the whole test suite at once.
  for (size_t k = 0; k < ops::kNumOpKinds; ++k)
    if (!table[OpKind(k)] && !ops::kOpSpecs[k].body && !cpuDeclines(OpKind(k)))
      rt::fail(ErrorKind::unimplemented, std::string("internal error: the CPU driver neither "
                                                     "runs nor declines '") +
                                             ops::kOpSpecs[k].name + "'");
  return table;
}

const char *cpuDeclines(OpKind) { return nullptr; }

Executor::Executor() {
  (void)cpuKernels();
#ifdef HEED_HAVE_CPU_KERNELS
  try { // HEED_CPU_ISA is read once: a bad value is the user's error, reported before any run
    (void)::heed::cpu::detail::microKernels();
  } catch (const std::runtime_error &e) {
    rt::fail(ErrorKind::invalidArgument, e.what());
  }
#endif
}

void Executor::prepare(const Module &module) {
  std::function<void(const Function &, const Plan &)> check = [&](const Function &f,
                                                                  const Plan &plan) {
    for (const PlanOp &op : plan.ops) {
      if (!cpuKernels()[op.opKind] && !op.body)
        rt::fail(ErrorKind::unimplemented, (op.loc.empty() ? f.name : op.loc) + ": '" + op.kind +
                                               "' has no CPU kernel in this build");
      if (op.body)
        check(f, *op.body);
    }
  };
  for (const Function &f : module.functions)
    check(f, f.plan);
}

void Executor::runOp(const Function &function, const PlanOp &op, std::vector<Slot> &slots) {
  if (reuseFoldedOp(function, op, slots))
    return;
  size_t operandBytes = 0;
  for (int32_t id : op.operands) {
    const Slot &s = slots[size_t(id)];
    if (s.set && !s.scalar)
      operandBytes += s.t.bytes();
  }
  SerialScope serial(sizedByOperands(op.opKind) && operandBytes < kParallelOperandBytes);
  OpCtx ctx(*this, *running, function, op, slots);
  runKernel(cpuKernels()[op.opKind], ctx, movesBytesOnly(op.opKind));
  keepFoldedOp(function, op, slots);
}

void Executor::opFinished(const PlanOp &op, const std::vector<Slot> &slots,
                          std::chrono::steady_clock::time_point start, int depth) {
  if (!stats)
    return;
  auto end = std::chrono::steady_clock::now();
  ++stats->opsExecuted;
  OpProfile &p = profile[size_t(op.opKind)];
  p.milliseconds += std::chrono::duration<double, std::milli>(end - start).count();
  ++p.calls;
  if (!tracing) // a scan's body ops are recorded before the scan (they end first)
    return;
  TraceEvent e;
  e.kind = op.kind;
  e.loc = op.loc;
  e.inputs = slotShapes(slots, op.operands);
  e.outputs = slotShapes(slots, op.results);
  e.startUs = std::chrono::duration<double, std::micro>(start - runStart).count();
  e.durationUs = std::chrono::duration<double, std::micro>(end - start).count();
  e.depth = depth;
  stats->trace.push_back(std::move(e));
}

void Executor::release(Slot &s) {
  if (s.t.storage && s.t.storage.use_count() == 1 && liveBytes >= s.t.bytes())
    liveBytes -= s.t.bytes();
  s = Slot();
}

Tensor Executor::stepSlice(const OpFrame<Tensor> &, size_t, const Tensor &s, int64_t t) {
  Tensor view;
  view.type = s.type;
  view.shape.assign(s.shape.begin() + 1, s.shape.end());
  view.storage = s.storage;
  view.data = s.data + size_t(t) * view.bytes();
  return view;
}

void Executor::storeStep(const OpFrame<Tensor> &, size_t, Tensor &stacked, const Tensor &y,
                         int64_t t) {
  size_t bytes = y.bytes();
  std::memcpy(stacked.data + size_t(t) * bytes, y.data, bytes);
}

std::vector<Tensor> Executor::invoke(const Module &module, const Function &function,
                                     const std::vector<Tensor> &inputs, RunStats &runStats) {
  std::vector<Slot> slots(function.values.size());
  for (size_t i = 0; i < function.inputs.size(); ++i) {
    Slot &s = slots[size_t(function.inputs[i])];
    if (function.values[size_t(function.inputs[i])].scalar) {
      s.scalar = true;
      s.s = inputs[i].type == ElemType::i32 ? *inputs[i].as<int32_t>() : *inputs[i].as<int64_t>();
    } else {
      s.t = inputs[i];
    }
    s.set = true;
  }
  runStats = RunStats();
  stats = &runStats;
  liveBytes = 0;
  profile.assign(ops::kNumOpKinds, OpProfile());
  runStart = std::chrono::steady_clock::now();
  running = &module;
  PlanRunner<Executor, Tensor>(*this).run(function, function.plan, slots);
  running = nullptr;
  stats = nullptr;
  for (size_t k = 0; k < profile.size(); ++k)
    if (profile[k].calls) {
      profile[k].kind = ops::kOpSpecs[k].name;
      runStats.profile.push_back(profile[k]);
    }
  std::sort(runStats.profile.begin(), runStats.profile.end(),
            [](const OpProfile &a, const OpProfile &b) { return a.milliseconds > b.milliseconds; });
  std::vector<Tensor> outputs;
  for (int32_t id : function.outputs) {
    Slot &s = slots[size_t(id)];
    if (!s.set)
      rt::fail(ErrorKind::invalidModule, "function '" + function.name + "' returns value " +
                                             std::to_string(id) + ", which no step computed");
    if (s.scalar) {
      Tensor t = makeTensor(ElemType::i64, {});
      *t.as<int64_t>() = s.s;
      outputs.push_back(std::move(t));
    } else {
      outputs.push_back(s.t);
    }
  }
  return outputs;
}

namespace {
class CpuDriver : public Driver {
public:
  const char *name() const override { return "cpu"; }
  void setTracing(bool enabled) override { executor.tracing = enabled; }
  void prepare(const Module &module) override { executor.prepare(module); }
  std::vector<Tensor> invoke(const Module &module, const Function &function,
                             const std::vector<Tensor> &inputs, RunStats &stats) override {
    // One invocation at a time per runtime (the executor keeps per-run statistics); kernels
    // parallelise inside. Use one heed_runtime per thread for concurrent requests.
    std::lock_guard<std::mutex> lock(mutex);
    return executor.invoke(module, function, inputs, stats);
  }

private:
  std::mutex mutex;
  Executor executor;
};
} // namespace

} // namespace heed::rt::cpu

namespace heed::rt {
std::unique_ptr<Driver> createCpuDriver() { return std::make_unique<cpu::CpuDriver>(); }

std::unique_ptr<Driver> createDriver(const std::string &device) {
  if (device == "cpu")
    return createCpuDriver();
  if (device == "vulkan" || device.rfind("vulkan:", 0) == 0) {
    int index = 0;
    if (device != "vulkan") { // "vulkan:" alone names no device
      std::string n = device.substr(7);
      if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
        fail(ErrorKind::notFound, "bad device '" + device + "'; expected vulkan:N");
      index = std::stoi(n);
    }
#ifdef HEED_HAVE_VULKAN
    return createVulkanDriver(index);
#else
    (void)index;
    fail(ErrorKind::unimplemented, "this build has no vulkan driver (HEED_ENABLE_VULKAN off)");
#endif
  }
  fail(ErrorKind::notFound, "unknown device '" + device + "'; expected cpu, vulkan or vulkan:N");
}
} // namespace heed::rt
