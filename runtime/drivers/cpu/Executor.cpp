//===- Executor.cpp - The CPU driver's plan interpreter -------------------===//

#include "runtime/drivers/cpu/Executor.h"
#include "runtime/core/IndexArith.h"

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

void OpCtx::fail(const std::string &message) const {
  std::string where = op.loc.empty() ? function.name : op.loc;
  rt::fail(ErrorKind::runtime, where + ": '" + op.kind + "' " + message);
}

const Tensor &OpCtx::in(size_t i) const {
  if (i >= op.operands.size())
    fail("is missing operand " + std::to_string(i));
  const Slot &s = slots[size_t(op.operands[i])];
  if (!s.set || s.scalar)
    fail("operand " + std::to_string(i) + " is not a tensor");
  if (wideOperands && (*wideOperands)[i].data)
    return (*wideOperands)[i];
  return s.t;
}

int64_t OpCtx::scalar(size_t i) const {
  if (i >= op.operands.size())
    fail("is missing operand " + std::to_string(i));
  const Slot &s = slots[size_t(op.operands[i])];
  if (!s.set || !s.scalar)
    fail("operand " + std::to_string(i) + " is not a scalar");
  return s.s;
}

const ValueType &OpCtx::resultType(size_t i) const {
  if (i >= op.results.size())
    fail("is missing result " + std::to_string(i));
  if (wideResults)
    return (*wideResults)[i];
  return function.values[size_t(op.results[i])];
}

void OpCtx::out(size_t i, Tensor t) {
  if (i >= op.results.size())
    fail("produced too many results");
  const ValueType &vt = resultType(i);
  if (vt.scalar || vt.type != t.type || vt.dims.size() != t.shape.size())
    fail("produced " + shapeString(t.shape, t.type) + " but its result " + std::to_string(i) +
         " is declared " + vt.str());
  for (size_t d = 0; d < vt.dims.size(); ++d)
    if (vt.dims[d] >= 0 && vt.dims[d] != t.shape[d])
      fail("produced " + shapeString(t.shape, t.type) + " but its result " + std::to_string(i) +
           " is declared " + vt.str());
  ElemType declared = function.values[size_t(op.results[i])].type;
  if (wideResults && declared != t.type)
    t = narrowFromF32(*this, t, declared);
  Slot &s = slots[size_t(op.results[i])];
  s.t = std::move(t);
  s.scalar = false;
  s.set = true;
}

void OpCtx::outScalar(size_t i, int64_t v) {
  if (i >= op.results.size() || !resultType(i).scalar)
    fail("produced a scalar for result " + std::to_string(i) + ", which is not declared one");
  Slot &s = slots[size_t(op.results[i])];
  s.t = Tensor();
  s.s = v;
  s.scalar = true;
  s.set = true;
}

Tensor OpCtx::alloc(ElemType type, std::vector<int64_t> shape) {
  for (int64_t d : shape)
    if (d < 0)
      fail("would create a tensor with negative dimension " + std::to_string(d));
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  size_t bytes = 0;
  try {
    bytes = size_t(checkedMul(t.count(), int64_t(elemTypeSize(type)), "tensor"));
  } catch (const Error &e) {
    fail(std::string("would create a tensor that is too large: ") + e.what());
  }
  // The same limit as makeTensor: a hostile or mistaken size is an error, not an OOM kill.
  if (bytes > maxTensorBytes())
    fail("would create a tensor that is too large: tensor " + shapeString(t.shape, type) +
         " needs " + std::to_string(bytes) + " bytes, over the limit of " +
         std::to_string(maxTensorBytes()) + " (" + kMaxTensorBytesHint + ")");
  bool hit = false;
  t.storage = ex.pool->get(bytes, hit);
  t.data = t.storage.get();
  if (ex.stats) {
    ex.stats->poolHits += hit;
    if (!hit)
      ex.stats->bytesAllocated += t.bytes();
    ex.liveBytes += t.bytes();
    ex.stats->peakBytes = std::max(ex.stats->peakBytes, ex.liveBytes);
  }
  return t;
}

int64_t OpCtx::axis(int64_t a, int64_t rank) const {
  int64_t r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank)
    fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
  return r;
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
  for (auto &[bytes, p] : free)
    std::free(p);
}

std::shared_ptr<uint8_t> BufferPool::get(size_t bytes, bool &hit) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0)
    rounded = 64;
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
  if (!p) {
    p = static_cast<uint8_t *>(std::aligned_alloc(64, rounded));
    if (!p)
      throw std::bad_alloc();
  }
  std::memset(p, 0, rounded);
  std::weak_ptr<BufferPool> self = weak_from_this();
  return std::shared_ptr<uint8_t>(p, [self, rounded](uint8_t *q) {
    if (auto pool = self.lock())
      pool->put(q, rounded);
    else
      std::free(q);
  });
}

void BufferPool::put(uint8_t *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  if (idle + bytes > capacity) {
    std::free(p);
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
  std::string error =
      evalIndexBinary(c.op.kind, c.op.getInt("predicate", 0), c.scalar(0), c.scalar(1), r);
  if (!error.empty())
    c.fail(error);
  c.outScalar(0, r);
}

void arithConstant(OpCtx &c) {
  if (!c.op.has("value"))
    c.fail("has no value");
  c.outScalar(0, c.op.getInt("value", 0));
}

void indexCast(OpCtx &c) { c.outScalar(0, c.scalar(0)); }

void select(OpCtx &c) { c.outScalar(0, c.scalar(0) ? c.scalar(1) : c.scalar(2)); }

void constant(OpCtx &c) { c.out(0, c.module.constants[size_t(c.op.getInt("constant", 0))]); }

void dim(OpCtx &c) {
  const Tensor &t = c.in(0);
  int64_t d = c.axis(c.op.getInt("dim", 0), t.rank());
  c.outScalar(0, t.dim(d));
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
  std::vector<int64_t> shape;
  size_t next = 0;
  for (int64_t d : vt.dims) {
    if (d >= 0) {
      shape.push_back(d);
      continue;
    }
    if (next >= c.numOperands())
      c.fail("has fewer dynamic dims than its type needs");
    int64_t v = c.scalar(next++);
    if (v < 0)
      c.fail("got negative dimension " + std::to_string(v));
    shape.push_back(v);
  }
  Tensor t = c.alloc(vt.type, shape);
  int64_t n = t.count();
  double fv = c.op.getFloat("value", 0.0);
  int64_t iv = c.op.getInt("value", saturatingInt(fv));
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
  int64_t start = c.scalar(0), limit = c.scalar(1), step = c.scalar(2);
  if (step == 0)
    c.fail("has step 0");
  // In 128 bits: limit - start overflows int64 for hostile operands.
  __int128 count = 0;
  if ((step > 0 && limit > start) || (step < 0 && limit < start))
    count = (__int128(limit) - start + step + (step > 0 ? -1 : 1)) / step;
  if (count > (__int128(1) << 48))
    c.fail("would give more than 2^48 elements");
  int64_t n = int64_t(count);
  Tensor t = c.alloc(ElemType::i64, {n});
  for (int64_t i = 0; i < n; ++i)
    t.as<int64_t>()[i] = start + i * step;
  c.out(0, std::move(t));
}

/// Copies `src` into row `t` of `dst` ([T, ...]).
void storeStep(OpCtx &c, Tensor &dst, const Tensor &src, int64_t t) {
  size_t bytes = src.bytes();
  std::memcpy(dst.data + size_t(t) * bytes, src.data, bytes);
}

void scan(OpCtx &c) {
  if (!c.op.body)
    c.fail("has no body");
  const Plan &body = *c.op.body;
  auto [initStart, numInit] = c.op.segment(0);
  auto [seqStart, numSeq] = c.op.segment(1);
  auto [lenStart, numLen] = c.op.segment(2);
  int64_t steps = -1;
  for (size_t i = 0; i < numSeq; ++i) {
    const Tensor &s = c.in(seqStart + i);
    if (s.rank() < 1)
      c.fail("sequence operand " + std::to_string(i) + " has rank 0");
    if (steps >= 0 && s.dim(0) != steps)
      c.fail("sequences have different lengths " + std::to_string(steps) + " and " +
             std::to_string(s.dim(0)));
    steps = s.dim(0);
  }
  if (numLen) {
    int64_t n = c.scalar(lenStart);
    if (n < 0)
      c.fail("got a negative step count " + std::to_string(n));
    if (steps >= 0 && steps != n)
      c.fail("step count " + std::to_string(n) + " differs from the sequence length " +
             std::to_string(steps));
    steps = n;
  }
  if (steps < 0)
    c.fail("has neither sequences nor a step count");
  if (body.args.size() != numInit + numSeq || body.yields.size() < numInit)
    c.fail("has a body that does not match its operands");
  size_t numOut = body.yields.size() - numInit;
  std::vector<Slot> carried(numInit);
  for (size_t i = 0; i < numInit; ++i)
    carried[i] = c.slots[size_t(c.op.operands[initStart + i])];
  std::vector<Tensor> stacked(numOut);
  bool reverse = c.op.getBool("reverse", false);
  for (int64_t k = 0; k < steps; ++k) {
    int64_t t = reverse ? steps - 1 - k : k;
    for (size_t i = 0; i < numInit; ++i)
      c.slots[size_t(body.args[i])] = carried[i];
    for (size_t i = 0; i < numSeq; ++i) {
      const Tensor &s = c.in(seqStart + i);
      Tensor view;
      view.type = s.type;
      view.shape.assign(s.shape.begin() + 1, s.shape.end());
      view.storage = s.storage;
      view.data = s.data + size_t(t) * view.bytes();
      Slot &slot = c.slots[size_t(body.args[numInit + i])];
      slot.t = std::move(view);
      slot.scalar = false;
      slot.set = true;
    }
    c.ex.runPlan(c.module, c.function, body, c.slots);
    for (size_t i = 0; i < numInit; ++i) {
      const Slot &y = c.slots[size_t(body.yields[i])];
      const ValueType &vt = c.resultType(i);
      if (!y.scalar && y.t.rank() != int64_t(vt.dims.size()))
        c.fail("body changed the rank of carried value " + std::to_string(i));
      carried[i] = y;
    }
    for (size_t i = 0; i < numOut; ++i) {
      const Slot &y = c.slots[size_t(body.yields[numInit + i])];
      if (y.scalar)
        c.fail("per-step output " + std::to_string(i) + " is a scalar");
      if (k == 0) {
        std::vector<int64_t> shape{steps};
        shape.insert(shape.end(), y.t.shape.begin(), y.t.shape.end());
        stacked[i] = c.alloc(y.t.type, shape);
      } else if (y.t.shape !=
                     std::vector<int64_t>(stacked[i].shape.begin() + 1, stacked[i].shape.end()) ||
                 y.t.type != stacked[i].type) {
        c.fail("per-step output " + std::to_string(i) + " changed shape at step " +
               std::to_string(t));
      }
      storeStep(c, stacked[i], y.t, t);
    }
  }
  for (size_t i = 0; i < numInit; ++i) {
    if (carried[i].scalar)
      c.outScalar(i, carried[i].s);
    else
      c.out(i, carried[i].t);
  }
  for (size_t i = 0; i < numOut; ++i) {
    if (steps == 0) {
      // No step ran: the per-step shape comes from the declared type (dynamic dims are 0).
      std::vector<int64_t> shape;
      for (int64_t d : c.resultType(numInit + i).dims)
        shape.push_back(d < 0 ? 0 : d);
      if (shape.empty())
        c.fail("per-step output " + std::to_string(i) + " is declared without a step dim");
      shape[0] = 0;
      stacked[i] = c.alloc(c.resultType(numInit + i).type, shape);
    }
    c.out(numInit + i, std::move(stacked[i]));
  }
}

} // namespace

void registerScalarKernels(KernelMap &m) {
  for (const char *k :
       {"arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
        "arith.remui", "arith.ceildivsi", "arith.floordivsi", "arith.maxsi", "arith.minsi"})
    m[k] = binaryIndex;
  m["arith.constant"] = arithConstant;
  m["arith.index_cast"] = indexCast;
  m["arith.cmpi"] = binaryIndex;
  m["arith.select"] = select;
  m["heed.constant"] = constant;
  m["heed.weight"] = constant;
  m["heed.dim"] = dim;
  m["heed.full"] = full;
  m["heed.range"] = range;
  m["heed.scan"] = scan;
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

Executor::Executor() {
  KernelMap map;
  registerScalarKernels(map);
  registerElementwiseKernels(map);
  registerNnKernels(map);
  registerDataKernels(map);
  registerRecurrentKernels(map);
  registerAttentionKernels(map);
  for (const std::string &kind : knownOpKinds()) {
    auto it = map.find(kind);
    kernels.push_back(it == map.end() ? nullptr : it->second);
    bytesOnly.push_back(movesBytesOnly(kind));
  }
}

void Executor::prepare(const Module &module) {
  std::function<void(const Function &, const Plan &)> check = [&](const Function &f,
                                                                  const Plan &plan) {
    for (const PlanOp &op : plan.ops) {
      if (op.kindId < 0 || size_t(op.kindId) >= kernels.size() || !kernels[size_t(op.kindId)])
        rt::fail(ErrorKind::unimplemented, (op.loc.empty() ? f.name : op.loc) + ": '" + op.kind +
                                               "' has no CPU kernel in this build");
      if (op.body)
        check(f, *op.body);
    }
  };
  for (const Function &f : module.functions)
    check(f, f.plan);
}

void Executor::traceOp(const PlanOp &op, const std::vector<Slot> &slots, double startUs,
                       double endUs) {
  TraceEvent e;
  e.kind = op.kind;
  e.loc = op.loc;
  e.inputs = slotShapes(slots, op.operands);
  e.outputs = slotShapes(slots, op.results);
  e.startUs = startUs;
  e.durationUs = endUs - startUs;
  e.depth = depth;
  stats->trace.push_back(std::move(e));
}

void Executor::runPlan(const Module &module, const Function &function, const Plan &plan,
                       std::vector<Slot> &slots) {
  ++depth;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const PlanOp &op = plan.ops[i];
    OpCtx ctx{*this, module, function, op, slots};
    auto start = std::chrono::steady_clock::now();
    runKernel(kernels[size_t(op.kindId)], ctx, bytesOnly[size_t(op.kindId)]);
    if (stats) {
      auto end = std::chrono::steady_clock::now();
      ++stats->opsExecuted;
      OpProfile &p = profile[size_t(op.kindId)];
      p.milliseconds += std::chrono::duration<double, std::milli>(end - start).count();
      ++p.calls;
      if (tracing) // a scan's body ops are recorded before the scan (they end first)
        traceOp(op, slots, std::chrono::duration<double, std::micro>(start - runStart).count(),
                std::chrono::duration<double, std::micro>(end - runStart).count());
    }
    for (int32_t id : plan.releaseAfter[i]) {
      Slot &s = slots[size_t(id)];
      if (s.t.storage && s.t.storage.use_count() == 1 && liveBytes >= s.t.bytes())
        liveBytes -= s.t.bytes();
      s = Slot();
    }
  }
  --depth;
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
  profile.assign(kernels.size(), OpProfile());
  runStart = std::chrono::steady_clock::now();
  depth = -1;
  runPlan(module, function, function.plan, slots);
  stats = nullptr;
  for (size_t k = 0; k < profile.size(); ++k)
    if (profile[k].calls) {
      profile[k].kind = knownOpKinds()[k];
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
