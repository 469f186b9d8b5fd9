//===- CopyKernels.cpp - The strided-copy vulkan kernel -------------------===//
//
// The GLSL of the strided copy behind transpose, broadcast, slice, concat,
// heed.scan's step slices and the batch-first recurrent output (driven by
// runtime/drivers/vulkan/OpKernels.cpp and Executor.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "runtime/drivers/vulkan/abi/Copy.h"

namespace mlir::heed::vulkan::detail {

Lowered lowerCopy(Operation &op, Type elem, int rank) {
  std::string st = storageType(elem);
  if (st.empty())
    return unsupported("has element type " + suffixOf(elem) +
                       ", which the vulkan backend does not support");
  if (rank > ::heed::vkabi::kCopyMaxRank)
    return unsupported("has rank " + std::to_string(rank) + " (the vulkan copy kernel takes " +
                       std::to_string(::heed::vkabi::kCopyMaxRank) + ")");
  Shader s;
  s.name = "copy_" + suffixOf(elem) + "_r" + std::to_string(rank);
  s.buffers = {st, st};
  s.usePush<::heed::vkabi::CopyPush>();
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n";
  s.body += decompose(rank, "pc.shape", ::heed::vkabi::copyDimsAt(),
                      {::heed::vkabi::copyInStridesAt(rank), ::heed::vkabi::copyOutStridesAt(rank)},
                      {"oi", "oo"}, "i");
  s.body += "  b1.d[pc.outBase + oo] = b0.d[pc.inBase + oi];\n";
  return {{s}, ""};
}

} // namespace mlir::heed::vulkan::detail
