//===- Driver.h - One interface for every execution device ------*- C++ -*-===//
//
// A driver runs a loaded module's functions on one device. The CPU driver
// interprets the plan with oneDNN and Heed's own kernels; a Vulkan driver will
// sit behind the same interface.
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

struct RunStats {
  std::vector<OpProfile> profile; // per op kind, by time, descending
  uint64_t opsExecuted = 0;
  uint64_t bytesAllocated = 0;
  uint64_t peakBytes = 0;
  uint64_t poolHits = 0;
};

class Driver {
public:
  virtual ~Driver() = default;
  virtual const char *name() const = 0;
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
