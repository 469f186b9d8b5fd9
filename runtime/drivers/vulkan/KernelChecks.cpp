//===- KernelChecks.cpp - A module's kernels against SPIR-V and the device ===//

#include "runtime/drivers/vulkan/KernelChecks.h"

#include "runtime/core/Escape.h"
#include "runtime/core/Tensor.h"

#include <spirv-tools/libspirv.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace heed::rt::vk {

namespace {

// SPIR-V opcodes and enumerants (the SPIR-V specification, section 3).
constexpr uint32_t kOpEntryPoint = 15, kOpExecutionMode = 16, kOpTypeBool = 20, kOpTypeInt = 21,
                   kOpTypeFloat = 22, kOpTypeVector = 23, kOpTypeMatrix = 24, kOpTypeArray = 28,
                   kOpTypeStruct = 30, kOpTypePointer = 32, kOpConstant = 43,
                   kOpConstantComposite = 44, kOpVariable = 59, kOpDecorate = 71;
constexpr uint32_t kStorageWorkgroup = 4;
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
  /// Types by id: opcode and operands (after the result id).
  std::map<uint32_t, std::pair<uint32_t, std::vector<uint32_t>>> types;
  std::vector<uint32_t> workgroupPointers; // pointer types of Workgroup variables
};

/// The bytes of type `id` without padding (a lower bound of what the device
/// reserves), saturating at 2^64 - 1; nothing for a size from a
/// specialization constant or a type shared memory cannot hold.
std::optional<uint64_t> typeBytes(const Declared &d, uint32_t id, int depth = 0) {
  auto t = d.types.find(id);
  if (t == d.types.end() || depth > 32)
    return std::nullopt;
  const auto &[opcode, ops] = t->second;
  auto times = [](uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
  };
  switch (opcode) {
  case kOpTypeBool:
    return 4;
  case kOpTypeInt:
  case kOpTypeFloat:
    if (ops.empty())
      return std::nullopt;
    return (uint64_t(ops[0]) + 7) / 8;
  case kOpTypeVector:
  case kOpTypeMatrix: {
    auto e = ops.size() == 2 ? typeBytes(d, ops[0], depth + 1) : std::nullopt;
    if (!e)
      return std::nullopt;
    return times(*e, ops[1]);
  }
  case kOpTypeArray: {
    auto e = ops.size() == 2 ? typeBytes(d, ops[0], depth + 1) : std::nullopt;
    auto n = ops.size() == 2 ? d.constants.find(ops[1]) : d.constants.end();
    if (!e || n == d.constants.end())
      return std::nullopt;
    return times(*e, n->second);
  }
  case kOpTypeStruct: {
    uint64_t sum = 0;
    for (uint32_t member : ops) {
      auto m = typeBytes(d, member, depth + 1);
      if (!m)
        return std::nullopt;
      if (__builtin_add_overflow(sum, *m, &sum))
        return UINT64_MAX;
    }
    return sum;
  }
  default:
    return std::nullopt;
  }
}

/// The shared memory the kernel declares, or nothing when a size is not
/// literal.
std::optional<uint64_t> sharedBytes(const Declared &d) {
  uint64_t sum = 0;
  for (uint32_t pointer : d.workgroupPointers) {
    auto p = d.types.find(pointer);
    if (p == d.types.end() || p->second.first != kOpTypePointer || p->second.second.size() != 2)
      return std::nullopt;
    auto bytes = typeBytes(d, p->second.second[1]);
    if (!bytes)
      return std::nullopt;
    if (__builtin_add_overflow(sum, *bytes, &sum))
      return UINT64_MAX;
  }
  return sum;
}

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
    } else if ((opcode >= kOpTypeBool && opcode <= kOpTypeMatrix) || opcode == kOpTypeArray ||
               opcode == kOpTypeStruct || opcode == kOpTypePointer) {
      if (n >= 2)
        d.types[words[at + 1]] = {opcode, std::vector<uint32_t>(words + at + 2, words + at + n)};
    } else if (opcode == kOpVariable && n >= 4 && words[at + 3] == kStorageWorkgroup) {
      d.workgroupPointers.push_back(words[at + 1]);
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
  // Shared memory is reserved per workgroup: a forged array length must not reach the driver.
  std::optional<uint64_t> shared = sharedBytes(d);
  if (!shared)
    bad("the SPIR-V declares shared memory of a size that is not a literal");
  if (*shared > limits.maxComputeSharedMemorySize)
    bad("the SPIR-V declares " + std::to_string(*shared) +
        " bytes of shared memory, more than the device's maxComputeSharedMemorySize (" +
        std::to_string(limits.maxComputeSharedMemorySize) + ")");
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
