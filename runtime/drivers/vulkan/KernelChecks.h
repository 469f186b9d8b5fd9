//===- KernelChecks.h - A module's kernels against SPIR-V and the device --===//
//
// The kernels of a module's vulkan section come from a file: before any of
// them reaches the Vulkan driver (which trusts SPIR-V: a forged id bound
// crashed lavapipe), each is validated with SPIRV-Tools and its dispatch
// parameters are checked against the SPIR-V and the device's limits.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_KERNELCHECKS_H
#define HEED_RUNTIME_DRIVERS_VULKAN_KERNELCHECKS_H

#include "runtime/module/heed_module_generated.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>

namespace heed::rt::vk {

/// Checks kernel `k` of module `moduleName`: its SPIR-V validates (Vulkan 1.2
/// environment, as heed-compile validated it), its workgroup size is the one
/// literal LocalSize x 1 x 1 that matches the module's `local_size` (the
/// driver sizes dispatches by it) and fits `limits`, and its binding count
/// fits. Fails with ErrorKind::invalidModule naming the module and kernel.
/// Returns the local size.
uint32_t checkKernel(const fb::VkKernel &k, const std::string &moduleName,
                     const VkPhysicalDeviceLimits &limits);

} // namespace heed::rt::vk

#endif // HEED_RUNTIME_DRIVERS_VULKAN_KERNELCHECKS_H
