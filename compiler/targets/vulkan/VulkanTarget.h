//===- VulkanTarget.h - SPIR-V kernels for the Vulkan driver ----*- C++ -*-===//
//
// Internal to compiler/targets: generates one GLSL compute shader per plan op
// instance (element types, ranks and constant attributes baked in; dims come
// in push constants at run time), compiles it to SPIR-V with shaderc,
// validates it with SPIRV-Tools and returns the module's vulkan section. Each
// kernel family's push constants and kernel variants are its header in
// runtime/drivers/vulkan/abi, which the driver fills from too.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_TARGETS_VULKAN_VULKANTARGET_H
#define HEED_COMPILER_TARGETS_VULKAN_VULKANTARGET_H

#include "runtime/module/heed_module_generated.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::heed::vulkan {

/// The vulkan section for every non-external func.func of `module`, in the
/// order the module writer lowers them. With `strict` (--target=vulkan) an op
/// without a shader is an error; otherwise (--target=all) it is recorded as
/// unsupported and the runtime refuses it at prepare time.
FailureOr<flatbuffers::Offset<::heed::fb::VulkanSection>>
buildSection(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb, bool strict);

} // namespace mlir::heed::vulkan

#endif // HEED_COMPILER_TARGETS_VULKAN_VULKANTARGET_H
