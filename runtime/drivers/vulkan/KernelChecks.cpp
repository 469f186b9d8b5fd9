//===- KernelChecks.cpp - A module's kernels against SPIR-V and the device ===//

#include "runtime/drivers/vulkan/KernelChecks.h"

#include "runtime/core/Escape.h"
#include "runtime/core/Tensor.h"

#include <spirv-tools/libspirv.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

namespace heed::rt::vk {

namespace {

// SPIR-V opcodes and enumerants (the SPIR-V specification, section 3).
constexpr uint32_t kOpEntryPoint = 15, kOpExecutionMode = 16, kOpConstant = 43,
                   kOpConstantComposite = 44, kOpDecorate = 71;
constexpr uint32_t kExecutionModelGLCompute = 5;
constexpr uint32_t kModeLocalSize = 17, kModeLocalSizeId = 38;
constexpr uint32_t kDecorationBuiltIn = 11, kBuiltInWorkgroupSize = 25;

/// The workgroup size the SPIR-V declares for its one entry point, after it
/// validated: every instruction's word count is then in range. glslang
/// writes both the LocalSize mode and, decorated WorkgroupSize, a constant
/// (x, y, z) that takes precedence: both must be literal and agree.
struct Declared {
  int entryPoints = 0;
  bool computeMain = false;
  int localSizes = 0;
  uint32_t size[3] = {0, 0, 0};
  bool sizeId = false;                    // LocalSizeId: sizes from (spec) constants
  uint32_t builtinSize = 0;               // the id decorated WorkgroupSize, 0 when none
  std::map<uint32_t, uint32_t> constants; // OpConstant id -> 32-bit value
  std::map<uint32_t, std::vector<uint32_t>> composites; // OpConstantComposite id -> parts
};

Declared scan(const uint32_t *words, size_t count) {
  Declared d;
  for (size_t at = 5; at < count;) {
    uint32_t n = words[at] >> 16, opcode = words[at] & 0xffff;
    if (n == 0 || at + n > count)
      break;
    if (opcode == kOpEntryPoint && n >= 4) {
      ++d.entryPoints;
      const char *name = reinterpret_cast<const char *>(words + at + 3);
      size_t room = (n - 3) * 4;
      d.computeMain = words[at + 1] == kExecutionModelGLCompute && strnlen(name, room) == 4 &&
                      std::memcmp(name, "main", 4) == 0;
    } else if (opcode == kOpExecutionMode && n >= 3) {
      if (words[at + 2] == kModeLocalSize && n == 6) {
        ++d.localSizes;
        std::memcpy(d.size, words + at + 3, sizeof d.size);
      } else if (words[at + 2] == kModeLocalSizeId) {
        d.sizeId = true;
      }
    } else if (opcode == kOpDecorate && n >= 4 && words[at + 2] == kDecorationBuiltIn &&
               words[at + 3] == kBuiltInWorkgroupSize) {
      d.builtinSize = words[at + 1];
    } else if (opcode == kOpConstant && n == 4) {
      d.constants[words[at + 2]] = words[at + 3];
    } else if (opcode == kOpConstantComposite && n >= 3) {
      d.composites[words[at + 2]].assign(words + at + 3, words + at + n);
    }
    at += n;
  }
  return d;
}

/// Whether the WorkgroupSize built-in, when there is one, is the literal LocalSize.
bool builtinMatches(const Declared &d) {
  if (!d.builtinSize)
    return true;
  auto composite = d.composites.find(d.builtinSize);
  if (composite == d.composites.end() || composite->second.size() != 3)
    return false; // a specialization constant, or not a vector of 3
  for (size_t i = 0; i < 3; ++i) {
    auto c = d.constants.find(composite->second[i]);
    if (c == d.constants.end() || c->second != d.size[i])
      return false;
  }
  return true;
}

} // namespace

uint32_t checkKernel(const fb::VkKernel &k, const std::string &moduleName,
                     const VkPhysicalDeviceLimits &limits) {
  std::string where = moduleName + ": invalid module: vulkan kernel '" +
                      escapeControls(k.name() ? k.name()->string_view() : "?") + "': ";
  auto bad = [&](const std::string &what) { fail(ErrorKind::invalidModule, where + what); };
  if (!k.spirv() || k.spirv()->size() < 5)
    bad("no SPIR-V");
  // The FlatBuffer vector is 4-byte aligned, as SPIR-V words need.
  const uint32_t *words = k.spirv()->data();
  size_t count = k.spirv()->size();

  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
  std::string first;
  tools.SetMessageConsumer(
      [&](spv_message_level_t, const char *, const spv_position_t &, const char *message) {
        if (first.empty())
          first = message;
      });
  if (!tools.Validate(words, count))
    bad("invalid SPIR-V: " + escapeControls(first.empty() ? "spirv-val failed" : first));

  Declared d = scan(words, count);
  if (d.entryPoints != 1 || !d.computeMain)
    bad("the SPIR-V must have exactly one entry point, a GLCompute 'main'");
  if (d.sizeId || d.localSizes != 1)
    bad("the SPIR-V must declare its workgroup size with exactly one literal LocalSize");
  uint32_t x = d.size[0], y = d.size[1], z = d.size[2];
  std::string declared = std::to_string(x) + "x" + std::to_string(y) + "x" + std::to_string(z);
  if (x > limits.maxComputeWorkGroupSize[0] || y > limits.maxComputeWorkGroupSize[1] ||
      z > limits.maxComputeWorkGroupSize[2] ||
      uint64_t(x) * y * z > limits.maxComputeWorkGroupInvocations)
    bad("workgroup size " + declared + " exceeds the device's limits (maxComputeWorkGroupSize " +
        std::to_string(limits.maxComputeWorkGroupSize[0]) + "x" +
        std::to_string(limits.maxComputeWorkGroupSize[1]) + "x" +
        std::to_string(limits.maxComputeWorkGroupSize[2]) + ", maxComputeWorkGroupInvocations " +
        std::to_string(limits.maxComputeWorkGroupInvocations) + ")");
  if (!builtinMatches(d))
    bad("the SPIR-V's WorkgroupSize built-in differs from its LocalSize " + declared);
  // The driver sizes every dispatch by local_size: it must be the shader's.
  if (k.local_size() <= 0 || uint32_t(k.local_size()) != x || y != 1 || z != 1)
    bad("local_size " + std::to_string(k.local_size()) + " does not match the SPIR-V's " +
        "workgroup size " + declared);
  if (k.bindings() < 0 || k.bindings() > 16 ||
      uint32_t(k.bindings()) > limits.maxPerStageDescriptorStorageBuffers)
    bad(std::to_string(k.bindings()) + " storage buffers; at most " +
        std::to_string(std::min<uint32_t>(16, limits.maxPerStageDescriptorStorageBuffers)) +
        " (the device's maxPerStageDescriptorStorageBuffers, and Heed's 16)");
  return x;
}

} // namespace heed::rt::vk
