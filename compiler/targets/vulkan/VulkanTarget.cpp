//===- VulkanTarget.cpp - GLSL compute shaders per plan op ----------------===//
//
// One shader per op instance: element types, ranks, flags and float constants
// are baked into the source; sizes arrive at run time in the 128-byte
// push-constant block, so one module serves every sequence length. Sources are
// deduplicated, compiled with shaderc (libshaderc_combined.a, see
// docs/rationale.md) and validated with SPIRV-Tools before they are embedded.
//
// This file maps each op to its kernel family and writes the module's vulkan
// section. The families' generators are beside it, named as the driver's
// files that dispatch them (Kernels.h); each family's push-constant struct,
// kernel variants and flag bits are its ABI header in
// runtime/drivers/vulkan/abi, which both sides include.
//
// All index arithmetic is 32-bit: the driver refuses tensors of 2^31 or more
// elements (beyond lavapipe's 128 MiB storage-buffer range anyway).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/VulkanTarget.h"
#include "compiler/targets/vulkan/Kernels.h"
#include "runtime/module/OpTable.h"

#include "dialects/heed/IR/HeedOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <shaderc/shaderc.hpp>
#include <spirv-tools/libspirv.hpp>

#include <cstdlib>
#include <optional>

using namespace mlir;
namespace fb = ::heed::fb;
using ::heed::ops::Family;
using ::heed::ops::OpKind;

using namespace mlir::heed::vulkan::detail;

namespace {

/// heed.scan: the driver unrolls the steps while recording; these copy kernels slice step t out
/// of each sequence (one per sequence) and stack each per-step output (one per output), in that
/// order.
Lowered lowerScan(mlir::heed::ScanOp scan) {
  Lowered l;
  for (Value seq : scan.getSequences()) {
    auto t = tensorOf(seq);
    Lowered c = lowerCopy(*scan, t.getElementType(), int(t.getRank()) - 1);
    if (!c.unsupported.empty())
      return c;
    l.shaders.push_back(c.shaders[0]);
  }
  Operation *yield = scan.getBody().front().getTerminator();
  for (unsigned i = scan.getInitial().size(); i < yield->getNumOperands(); ++i) {
    auto t = tensorOf(yield->getOperand(i));
    if (!t)
      return unsupported("has a non-tensor per-step output");
    Lowered c = lowerCopy(*scan, t.getElementType(), int(t.getRank()));
    if (!c.unsupported.empty())
      return c;
    l.shaders.push_back(c.shaders[0]);
  }
  return l;
}

/// The kernels of one op: its family's generator (Kernels.h), or none for the ops the driver
/// runs on the host. A switch over the op table's families without a default: a new family does
/// not build here until it has a generator; a new op of an existing family goes to its
/// family's generator, which refuses a kind it does not know.
Lowered lowerOp(Operation &op) {
  std::string kind = op.getName().getStringRef().str();
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    if (isa<RankedTensorType>(c.getType()))
      kind = "heed.constant";
  std::optional<OpKind> k = ::heed::ops::lookup(kind);
  if (!k)
    return unsupported("is not a plan op");
  switch (::heed::ops::family(*k)) {
  // Host-side: index arithmetic, shapes, constants (uploaded once), views.
  case Family::Index:
  case Family::Shape:
  case Family::Constant:
    return {};
  case Family::Elementwise:
    return lowerElementwise(op, kind);
  case Family::Copy: {
    auto out = tensorOf(op.getResult(0));
    return lowerCopy(op, out.getElementType(), int(out.getRank()));
  }
  case Family::Matmul:
    return lowerMatmul(op);
  case Family::Linear:
    return lowerLinear(op);
  case Family::Softmax:
    return lowerSoftmax(op, *k == OpKind::LogSoftmax);
  case Family::LayerNorm:
    return lowerLayerNorm(op);
  case Family::Reduce:
    return *k == OpKind::Cumsum ? lowerCumsum(op) : lowerReduce(op);
  case Family::Attention:
    return lowerAttention(op);
  case Family::AdditiveAttention:
    return lowerAdditiveAttention(op);
  case Family::Cell:
    return lowerCell(op, kind);
  case Family::Sequence:
    return lowerSequence(op, kind);
  case Family::Scan:
    return lowerScan(cast<mlir::heed::ScanOp>(op));
  case Family::Select:
    return *k == OpKind::TopK ? lowerTopK(op) : lowerArgmax(op);
  case Family::Gather:
    return *k == OpKind::GatherElements ? lowerGatherElements(op)
                                        : lowerGather(op, *k == OpKind::Embedding);
  case Family::Generator:
    return lowerGenerator(op, kind);
  }
  return unsupported("has no vulkan shader yet");
}

class SectionBuilder {
public:
  SectionBuilder(flatbuffers::FlatBufferBuilder &fbb, bool strict) : fbb(fbb), strict(strict) {}

  LogicalResult addBlock(Block &block, std::vector<flatbuffers::Offset<fb::VkOp>> &ops) {
    for (Operation &op : block) {
      if (isa<func::ReturnOp, mlir::heed::YieldOp>(op))
        continue;
      Lowered l = lowerOp(op);
      std::vector<int32_t> kernels;
      if (l.unsupported.empty()) {
        for (const Shader &s : l.shaders) {
          std::string error, source;
          std::optional<int32_t> k = addKernel(s, error, source);
          if (k) {
            kernels.push_back(*k);
            continue;
          }
          // A generator bug: with --target=vulkan a located error; with --target=all the op
          // is recorded as CPU-only (the reason below) and the compile goes on.
          if (strict)
            return op.emitError() << "internal error: " << error << "\n" << source;
          op.emitWarning() << "internal error: " << error
                           << " (recorded as unimplemented on vulkan)";
          kernels.clear();
          l.unsupported = "has no vulkan shader: internal error: " + firstLine(error);
          break;
        }
      } else if (strict) {
        return op.emitError() << "'" << op.getName() << "' " << l.unsupported
                              << " (unimplemented on vulkan)";
      }
      ops.push_back(fb::CreateVkOpDirect(fbb, &kernels,
                                         l.unsupported.empty() ? nullptr : l.unsupported.c_str()));
      if (auto scan = dyn_cast<mlir::heed::ScanOp>(op))
        if (failed(addBlock(scan.getBody().front(), ops)))
          return failure();
    }
    return success();
  }

  std::vector<flatbuffers::Offset<fb::VkKernel>> kernels;

private:
  flatbuffers::FlatBufferBuilder &fbb;
  bool strict;
  llvm::StringMap<int32_t> bySource;
  shaderc::Compiler compiler;

  static std::string firstLine(const std::string &text) { return text.substr(0, text.find('\n')); }

  /// The kernel's index, or none with `error` (and the GLSL in `source`).
  std::optional<int32_t> addKernel(const Shader &s, std::string &error, std::string &source) {
    std::string src = s.render();
    // A test hook: a correct generator never emits a shader that fails to compile, so the tests
    // break one on purpose to reach the failure paths (test/e2e/vulkan/shader_failure.mlir).
    if (const char *broken = std::getenv("HEED_VULKAN_BREAK_KERNEL"); broken && s.name == broken)
      src += "#error broken on purpose (HEED_VULKAN_BREAK_KERNEL)\n";
    if (std::getenv("HEED_VULKAN_DUMP_GLSL"))
      llvm::errs() << "// kernel " << s.name << "\n" << src;
    auto it = bySource.find(src);
    if (it != bySource.end())
      return it->second;
    shaderc::CompileOptions options;
    options.SetTargetEnvironment(shaderc_target_env_vulkan, shaderc_env_version_vulkan_1_2);
    options.SetOptimizationLevel(shaderc_optimization_level_performance);
    auto result = compiler.CompileGlslToSpv(src, shaderc_compute_shader, s.name.c_str(), options);
    if (result.GetCompilationStatus() != shaderc_compilation_status_success) {
      error = "vulkan shader '" + s.name +
              "' does not compile: " + StringRef(result.GetErrorMessage()).rtrim().str();
      source = src;
      return std::nullopt;
    }
    std::vector<uint32_t> words(result.cbegin(), result.cend());
    spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
    std::string messages;
    tools.SetMessageConsumer([&](spv_message_level_t, const char *, const spv_position_t &,
                                 const char *m) { messages += std::string(m) + "\n"; });
    if (!tools.Validate(words)) {
      error =
          "vulkan shader '" + s.name + "' fails spirv-val: " + StringRef(messages).rtrim().str();
      source = src;
      return std::nullopt;
    }
    int32_t index = int32_t(kernels.size());
    kernels.push_back(
        fb::CreateVkKernelDirect(fbb, s.name.c_str(), &words, int32_t(s.buffers.size()), s.local));
    bySource[src] = index;
    return index;
  }
};

} // namespace

FailureOr<flatbuffers::Offset<fb::VulkanSection>>
mlir::heed::vulkan::buildSection(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb,
                                 bool strict) {
  SectionBuilder builder(fbb, strict);
  std::vector<flatbuffers::Offset<fb::VkFunction>> functions;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    std::vector<flatbuffers::Offset<fb::VkOp>> ops;
    if (failed(builder.addBlock(fn.getBody().front(), ops)))
      return failure();
    functions.push_back(fb::CreateVkFunctionDirect(fbb, &ops));
  }
  return fb::CreateVulkanSectionDirect(fbb, &builder.kernels, &functions);
}
