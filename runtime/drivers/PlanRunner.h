//===- PlanRunner.h - The plan walk both drivers share ----------*- C++ -*-===//
//
// A driver maps an op to its kernels and nothing else: walking a plan (slots, the order of ops,
// freeing each value after its last use, per-op timing and trace hooks), stepping heed.scan and
// checking an op's operands and results against the declared types live here once, with one
// wording for every message. The CPU driver instantiates it with host tensors, the Vulkan
// driver with device tensors; each supplies the few hooks only it can implement (how a step's
// slice of a sequence is made, how a step's output is stored).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_PLANRUNNER_H
#define HEED_RUNTIME_DRIVERS_PLANRUNNER_H

#include "runtime/drivers/rules/DataRules.h"
#include "runtime/module/Module.h"

#include <string>
#include <utility>
#include <vector>

namespace heed::rt {

/// One value of a running function: a tensor of the driver's kind, an index scalar, or not yet
/// computed.
template <typename T> struct PlanSlot {
  T t;
  int64_t s = 0;
  bool scalar = false;
  bool set = false;
};

/// One op's view of the slots: operand and result access with the checks and messages both
/// drivers give ("loc: 'heed.kind' operand 1 is not a tensor").
template <typename T> class OpFrame {
public:
  using Slot = PlanSlot<T>;
  OpFrame(const Function &function, const PlanOp &op, std::vector<Slot> &slots)
      : function(function), op(op), slots(slots) {}

  const Function &function;
  const PlanOp &op;
  std::vector<Slot> &slots;

  /// "loc: 'heed.kind'" (the function's name where the op has no location).
  std::string where() const {
    return (op.loc.empty() ? function.name : op.loc) + ": '" + op.kind + "'";
  }
  [[noreturn]] void fail(const std::string &message) const {
    rt::fail(ErrorKind::runtime, where() + " " + message);
  }
  size_t numOperands() const { return op.operands.size(); }
  const Slot &operand(size_t i) const {
    if (i >= op.operands.size())
      fail("is missing operand " + std::to_string(i));
    return slots[size_t(op.operands[i])];
  }
  const T &tensor(size_t i) const {
    const Slot &s = operand(i);
    if (!s.set || s.scalar)
      fail("operand " + std::to_string(i) + " is not a tensor");
    return s.t;
  }
  int64_t scalar(size_t i) const {
    const Slot &s = operand(i);
    if (!s.set || !s.scalar)
      fail("operand " + std::to_string(i) + " is not a scalar");
    return s.s;
  }
  const ValueType &declaredResult(size_t i) const {
    if (i >= op.results.size())
      fail("is missing result " + std::to_string(i));
    return function.values[size_t(op.results[i])];
  }
  /// Fails unless a tensor of `type` and `shape` fits `declared` (result i's type).
  void checkResult(size_t i, const ValueType &declared, ElemType type,
                   const std::vector<int64_t> &shape) const {
    bool ok = !declared.scalar && declared.type == type && declared.dims.size() == shape.size();
    for (size_t d = 0; ok && d < shape.size(); ++d)
      ok = declared.dims[d] < 0 || declared.dims[d] == shape[d];
    if (!ok)
      fail("produced " + shapeString(shape, type) + " but its result " + std::to_string(i) +
           " is declared " + declared.str());
  }
  /// Sets result i to `t`, after checking it against the declared type.
  void setResult(size_t i, T t) {
    checkResult(i, declaredResult(i), t.type, t.shape);
    storeResult(i, std::move(t));
  }
  /// Sets result i without a check: for a caller that checked it already.
  void storeResult(size_t i, T t) {
    Slot &s = slots[size_t(op.results[i])];
    s = Slot();
    s.t = std::move(t);
    s.set = true;
  }
  void setScalar(size_t i, int64_t v) {
    if (i >= op.results.size() || !declaredResult(i).scalar)
      fail("produced a scalar for result " + std::to_string(i) + ", which is not declared one");
    Slot &s = slots[size_t(op.results[i])];
    s = Slot();
    s.s = v;
    s.scalar = true;
    s.set = true;
  }
  /// Maps a possibly negative axis into [0, rank) or fails.
  int64_t axis(int64_t a, int64_t rank) const {
    int64_t r = 0;
    if (std::string error = resolveAxis(a, rank, r); !error.empty())
      fail(error);
    return r;
  }
  /// The scalar operands from `first` on (run-time axes, dims).
  std::vector<int64_t> scalarsFrom(size_t first) const {
    std::vector<int64_t> values;
    for (size_t i = first; i < numOperands(); ++i)
      values.push_back(scalar(i));
    return values;
  }
  /// heed.check, on the host for every driver: unless every condition holds, fails with the
  /// op's message followed by its values.
  void evalCheck() const {
    auto [first, count] = op.segment(0);
    for (size_t i = first; i < first + count; ++i) {
      if (scalar(i) != 0)
        continue;
      auto [valuesFirst, valuesCount] = op.segment(1);
      std::string text = op.getStr(ops::AttrId::message);
      for (size_t j = 0; j < valuesCount; ++j)
        text += (j ? ", " : " ") + std::to_string(scalar(valuesFirst + j));
      fail(text);
    }
  }
};

/// Walks plans for a driver `D`, which provides (T is its tensor type, with `type` and `shape`):
///   void runOp(const Function &, const PlanOp &, std::vector<PlanSlot<T>> &);  every op but scan
///   Token opStarted(const PlanOp &);                      before an op (timers, GPU queries)
///   void opFinished(const PlanOp &, const std::vector<PlanSlot<T>> &, Token, int depth);
///   void release(PlanSlot<T> &);                          a value past its last use
///   T alloc(const OpFrame<T> &, ElemType, std::vector<int64_t> shape);
///   T stepSlice(const OpFrame<T> &scan, size_t seq, const T &sequence, int64_t step);
///   void storeStep(const OpFrame<T> &scan, size_t out, T &stacked, const T &y, int64_t step);
template <typename D, typename T> class PlanRunner {
public:
  using Slot = PlanSlot<T>;
  explicit PlanRunner(D &driver) : driver(driver) {}

  /// Runs `plan` in the frame `slots` (a function's, or a scan body's inside it).
  void run(const Function &function, const Plan &plan, std::vector<Slot> &slots) {
    ++depth;
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      const PlanOp &op = plan.ops[i];
      auto token = driver.opStarted(op);
      if (op.opKind == ops::OpKind::Scan)
        runScan(function, op, slots);
      else
        driver.runOp(function, op, slots);
      driver.opFinished(op, slots, token, depth);
      for (int32_t id : plan.releaseAfter[i])
        driver.release(slots[size_t(id)]);
    }
    --depth;
  }

private:
  D &driver;
  int depth = -1; // 0 for a function's ops, 1 inside a scan body, ...

  /// heed.scan: carried values pass from step to step, each sequence operand is sliced along
  /// dim 0, per-step outputs are stacked into [steps, ...].
  void runScan(const Function &function, const PlanOp &op, std::vector<Slot> &slots) {
    OpFrame<T> c(function, op, slots);
    const Plan &body = *op.body; // the loader guarantees a scan has one
    auto [initStart, numInit] = op.segment(0);
    auto [seqStart, numSeq] = op.segment(1);
    auto [lenStart, numLen] = op.segment(2);
    int64_t steps = -1;
    for (size_t i = 0; i < numSeq; ++i) {
      const T &s = c.tensor(seqStart + i);
      if (s.shape.empty())
        c.fail("sequence operand " + std::to_string(i) + " has rank 0");
      if (steps >= 0 && s.shape[0] != steps)
        c.fail("sequences have different lengths " + std::to_string(steps) + " and " +
               std::to_string(s.shape[0]));
      steps = s.shape[0];
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
      carried[i] = c.operand(initStart + i);
    std::vector<T> stacked(numOut);
    bool reverse = op.getBool(ops::AttrId::reverse);
    for (int64_t k = 0; k < steps; ++k) {
      int64_t t = reverse ? steps - 1 - k : k;
      for (size_t i = 0; i < numInit; ++i)
        slots[size_t(body.args[i])] = carried[i];
      for (size_t i = 0; i < numSeq; ++i) {
        Slot slot;
        slot.t = driver.stepSlice(c, i, c.tensor(seqStart + i), t);
        slot.set = true;
        slots[size_t(body.args[numInit + i])] = std::move(slot);
      }
      run(function, body, slots);
      for (size_t i = 0; i < numInit; ++i) {
        const Slot &y = slots[size_t(body.yields[i])];
        if (!y.set || (!y.scalar && y.t.shape.size() != c.declaredResult(i).dims.size()))
          c.fail("body changed the rank of carried value " + std::to_string(i));
        carried[i] = y;
      }
      for (size_t i = 0; i < numOut; ++i) {
        const Slot &y = slots[size_t(body.yields[numInit + i])];
        if (!y.set || y.scalar)
          c.fail("per-step output " + std::to_string(i) + " is not a tensor");
        if (k == 0) {
          std::vector<int64_t> shape{steps};
          shape.insert(shape.end(), y.t.shape.begin(), y.t.shape.end());
          stacked[i] = driver.alloc(c, y.t.type, shape);
        } else if (y.t.shape !=
                       std::vector<int64_t>(stacked[i].shape.begin() + 1, stacked[i].shape.end()) ||
                   y.t.type != stacked[i].type) {
          c.fail("per-step output " + std::to_string(i) + " changed shape at step " +
                 std::to_string(t));
        }
        driver.storeStep(c, i, stacked[i], y.t, t);
      }
    }
    for (size_t i = 0; i < numInit; ++i) {
      if (carried[i].scalar)
        c.setScalar(i, carried[i].s);
      else
        c.setResult(i, carried[i].t);
    }
    for (size_t i = 0; i < numOut; ++i) {
      if (steps == 0) {
        // No step ran: the per-step shape comes from the declared type (dynamic dims are 0).
        const ValueType &vt = c.declaredResult(numInit + i);
        std::vector<int64_t> shape;
        for (int64_t d : vt.dims)
          shape.push_back(d < 0 ? 0 : d);
        if (shape.empty())
          c.fail("per-step output " + std::to_string(i) + " is declared without a step dim");
        shape[0] = 0;
        stacked[i] = driver.alloc(c, vt.type, shape);
      }
      c.setResult(numInit + i, std::move(stacked[i]));
    }
  }
};

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_PLANRUNNER_H
