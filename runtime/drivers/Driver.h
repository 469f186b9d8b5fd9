//===- Driver.h - One interface for every execution device ------*- C++ -*-===//
//
// A driver runs a loaded module's functions on one device: the CPU driver with
// oneDNN and Heed's own kernels, the Vulkan driver with the module's SPIR-V
// kernels. Both walk plans with PlanRunner.h and check shapes with rules/.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_DRIVER_H
#define HEED_RUNTIME_DRIVERS_DRIVER_H

#include "runtime/module/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace heed::rt {

struct OpProfile {
  std::string kind;
  double milliseconds = 0; // inclusive: a heed.scan includes its body's ops
  uint64_t calls = 0;
};

/// One executed op, recorded only while tracing is on (heed_runtime_set_tracing).
struct TraceEvent {
  std::string kind;    // the op kind, e.g. heed.attention
  std::string loc;     // the op's source location ("" if none)
  std::string inputs;  // operand shapes, e.g. "1x8x128x64xf32, index"
  std::string outputs; // result shapes
  double startUs = 0;  // from the start of the invoke
  double durationUs = 0;
  int depth = 0; // 0 for the function's ops, 1 for a heed.scan body's, ...
};

/// "2x3xf32, index, ?" for the plan slots `ids` (set / scalar / tensor), in a trace event; the
/// CPU and Vulkan drivers' slot types both fit.
template <typename Slot>
std::string slotShapes(const std::vector<Slot> &slots, const std::vector<int32_t> &ids) {
  std::string s;
  for (int32_t id : ids) {
    const Slot &slot = slots[size_t(id)];
    s += s.empty() ? "" : ", ";
    s += !slot.set ? "?" : slot.scalar ? "index" : shapeString(slot.t.shape, slot.t.type);
  }
  return s;
}

struct RunStats {
  std::vector<OpProfile> profile; // per op kind, by time, descending
  uint64_t opsExecuted = 0;
  uint64_t bytesAllocated = 0;
  uint64_t peakBytes = 0;
  uint64_t poolHits = 0;
  std::vector<TraceEvent> trace; // the last invoke's ops, when tracing
};

class Driver {
public:
  virtual ~Driver() = default;
  virtual const char *name() const = 0;
  /// Records one TraceEvent per executed op in RunStats::trace from the next invoke on.
  virtual void setTracing(bool enabled) { (void)enabled; }
  /// Checks that every op of `module` can run here (throws Error(unimplemented)).
  virtual void prepare(const Module &module) = 0;
  /// Runs `function`; inputs were checked against the declared types by the
  /// caller (Session). Throws Error on failure.
  virtual std::vector<Tensor> invoke(const Module &module, const Function &function,
                                     const std::vector<Tensor> &inputs, RunStats &stats) = 0;
};

/// Creates the driver for `device` ("cpu", "vulkan", "vulkan:N"); throws
/// Error(unimplemented / notFound) for one this build lacks.
std::unique_ptr<Driver> createDriver(const std::string &device);

std::unique_ptr<Driver> createCpuDriver();
/// The Vulkan driver on physical device `deviceIndex` (builds with HEED_ENABLE_VULKAN).
std::unique_ptr<Driver> createVulkanDriver(int deviceIndex);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_DRIVER_H
