//===- ShaderSource.h - GLSL building blocks of the vulkan kernels -*- C++ -*-===//
//
// Shared by the kernel generators of compiler/targets/vulkan: the Shader a
// generator fills (buffers, helpers, body) and renders to GLSL, attribute and
// type helpers, and the GLSL snippets several kernels use.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H
#define HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <iterator>
#include <string>
#include <vector>

namespace mlir::heed::vulkan::detail {

constexpr int kLocal = 64;

/// The GLSL `layout(push_constant)` block of `fields`: one int (or int array)
/// member per field, in order, so that `pc.<name>` reads what the driver
/// wrote into the field of the same name.
std::string pushBlock(const ::heed::vkabi::PushField *fields, size_t count);

/// GLSL storage type of an element type, or "" when the backend lacks it.
std::string storageType(Type t);
/// The type values are computed in (bool as uint 0/1).
std::string computeType(Type t);
/// f32, f64, f16 or bf16: computed as floats (f16 and bf16 in f32, f64 in double).
bool isFloatLike(Type t);
/// The GLSL expression of compute type that reads the stored element `raw` of type `t`
/// (f16 and bf16 widen exactly from their bits).
std::string loadValue(Type t, const std::string &raw);
/// The GLSL expression of storage type that stores `value` (of compute type) as `t`: f16 and
/// bf16 round once, to nearest-even, as the CPU backend does (runtime/core/Float16.h).
std::string storeValue(Type t, const std::string &value);
/// A GLSL float literal that round-trips `v` as f32 (inf and NaN as bit casts).
std::string floatLiteral(double v);
/// The printed form of a type, for kernel names.
std::string suffixOf(Type t);

struct Shader {
  std::string name;
  std::vector<std::string> buffers; // storage types, binding order
  size_t outputs = 1;               // the last `outputs` buffers are written
  std::string extensions;           // extra #extension lines
  std::string push;                 // the push-constant block (usePush)
  std::string helpers, body;
  int local = kLocal;

  /// Declares the push constants as the ABI struct `Push` (runtime/drivers/vulkan/abi).
  template <class Push> void usePush() {
    const auto &fields = ::heed::vkabi::PushLayout<Push>::fields;
    push = pushBlock(fields, std::size(fields));
  }
  std::string render() const;
};

/// erf_, tanh_ and pow_ with the CPU reference's edge cases.
extern const char *const kMathHelpers;
/// h2f_, f2h_ and f2bf_ (f16 bits to f32, f32 to f16 and bf16 bits) and bfq_ (f2bf_ with
/// the canonical NaN): 32-bit integer arithmetic only.
extern const char *const kHalfHelpers;
/// f2i_: a float truncated into 64 bits as the CPU's cast does (needs shaderInt64).
extern const char *const kIntHelpers;
/// d2h_, d2bf_ (a double to f16 and bf16 bits, rounded once, not through f32), d2i_ (f2i_ of
/// a double) and pow64_: these need shaderFloat64 and shaderInt64.
extern const char *const kDoubleHelpers;
/// Appends to `s.helpers` the helper snippets its body calls (math, half, double).
void addHelpers(Shader &s);
/// rowSum_ and rowMax_: workgroup-wide reductions over shared memory.
extern const char *const kRowHelpers;
/// The same two with subgroup arithmetic (one shared slot per subgroup); the
/// kernel needs kSubgroupExtensions and full subgroups (the driver's rule).
extern const char *const kSubgroupRowHelpers;
extern const char *const kSubgroupExtensions;

/// The unrolled index decomposition shared by the shaders of rank-packed push
/// constants: walks `rank` dims at `array`[dimAt..] (a push-constant array
/// member, e.g. "pc.shape"), accumulating offsets <names[k]> with strides at
/// `array`[strideAt[k]..].
std::string decompose(int rank, const std::string &array, int dimAt,
                      const std::vector<int> &strideAt, const std::vector<std::string> &names,
                      const std::string &index);

int64_t intAttr(Operation &op, StringRef name, int64_t fallback);
double floatAttr(Operation &op, StringRef name, double fallback);
inline RankedTensorType tensorOf(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

/// What one op needs: shaders (in dispatch order of distinct kernels) or why not.
struct Lowered {
  std::vector<Shader> shaders;
  std::string unsupported;
};

inline Lowered unsupported(std::string why) { return {{}, std::move(why)}; }

/// Puts `s` at `kernel`'s index in the op's kernel list: the kernel variant
/// enums of the ABI headers (runtime/drivers/vulkan/abi) say which index the
/// driver picks for what, so the generators place by them, not by call order.
template <class Kernel> void place(Lowered &l, Kernel kernel, Shader s) {
  size_t i = size_t(kernel);
  if (l.shaders.size() <= i)
    l.shaders.resize(i + 1);
  l.shaders[i] = std::move(s);
}

/// A kernel that reduces rows with kRowHelpers as two kernels: itself
/// (RowKernel::shared), and the same with kSubgroupRowHelpers (name suffix
/// _sg, RowKernel::subgroup), which the driver prefers where the device can
/// run it (softmax, layer_norm and additive attention; abi/Rows.h).
Lowered withSubgroupRows(Shader s);

} // namespace mlir::heed::vulkan::detail

#endif // HEED_COMPILER_TARGETS_VULKAN_SHADERSOURCE_H
