//===- ShaderSource.h - GLSL building blocks of the vulkan kernels -*- C++ -*-===//
//
// Shared by the kernel generators of compiler/targets/vulkan: the Shader a
// generator fills (buffers, helpers, body) and renders to GLSL, attribute and
// type helpers, and the GLSL snippets several kernels use.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H
#define HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <string>
#include <vector>

namespace mlir::heed::vulkan::detail {

constexpr int kLocal = 64;
constexpr int kPush = 32; // ints

/// GLSL storage type of an element type, or "" when the backend lacks it.
std::string storageType(Type t);
/// The type values are computed in (bool as uint 0/1).
std::string computeType(Type t);
/// A GLSL float literal that round-trips `v` as f32 (inf and NaN as bit casts).
std::string floatLiteral(double v);
/// The printed form of a type, for kernel names.
std::string suffixOf(Type t);

struct Shader {
  std::string name;
  std::vector<std::string> buffers; // storage types, binding order
  size_t outputs = 1;               // the last `outputs` buffers are written
  std::string extensions;           // extra #extension lines
  std::string helpers, body;
  int local = kLocal;

  std::string render() const;
};

/// erf_, tanh_ and pow_ with the CPU reference's edge cases.
extern const char *const kMathHelpers;
/// rowSum_ and rowMax_: workgroup-wide reductions over shared memory.
extern const char *const kRowHelpers;
/// The same two with subgroup arithmetic (one shared slot per subgroup); the
/// kernel needs kSubgroupExtensions and full subgroups (the driver's rule).
extern const char *const kSubgroupRowHelpers;
extern const char *const kSubgroupExtensions;

/// The unrolled index decomposition shared by ew/copy shaders: walks `rank`
/// dims at pc.p[dimAt..], accumulating offsets o<k> with strides at
/// pc.p[strideAt[k]..].
std::string decompose(int rank, int dimAt, const std::vector<int> &strideAt,
                      const std::vector<std::string> &names, const std::string &index);

int64_t intAttr(Operation &op, StringRef name, int64_t fallback);
double floatAttr(Operation &op, StringRef name, double fallback);
inline RankedTensorType tensorOf(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

/// What one op needs: shaders (in dispatch order of distinct kernels) or why not.
struct Lowered {
  std::vector<Shader> shaders;
  std::string unsupported;
};

inline Lowered unsupported(std::string why) { return {{}, std::move(why)}; }

/// A kernel that reduces rows with kRowHelpers as two kernels: itself, and
/// the same with kSubgroupRowHelpers (name suffix _sg), which the driver
/// prefers where the device can run it (kernel 1 of softmax, layer_norm and
/// additive attention).
Lowered withSubgroupRows(Shader s);

/// heed.attention (AttentionKernels.cpp).
Lowered lowerAttention(Operation &op);
/// heed.additive_attention (AttentionKernels.cpp).
Lowered lowerAdditiveAttention(Operation &op);

} // namespace mlir::heed::vulkan::detail

#endif // HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H
