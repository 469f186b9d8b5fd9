//===- OpRun.h - One plan op recorded as Vulkan dispatches ------*- C++ -*-===//
//
// What recording one op needs: its operands and results in the function's
// slots, its kernels in the module, and failures that name the op. One
// member per op family, in the file of its topic:
//   OpKernels.cpp      dispatch by kind; index arithmetic, constants, layout
//                      (reshape, transpose, broadcast, slice, concat), elementwise
//   NnOps.cpp          matmul, linear, row ops, reductions, gather, generators
//   AttentionOps.cpp   attention and additive attention
//   RecurrentOps.cpp   rnn/gru/lstm cells and whole sequences
// Push constants are the kernel family's struct and kernel variants its enum,
// both from runtime/drivers/vulkan/abi (the header the GLSL generator reads).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_OPRUN_H
#define HEED_RUNTIME_DRIVERS_VULKAN_OPRUN_H

#include "runtime/drivers/rules/DataRules.h"
#include "runtime/drivers/vulkan/VulkanDriver.h"
#include "runtime/drivers/vulkan/abi/PushBlock.h"

#include <array>
#include <cstring>
#include <type_traits>

namespace heed::rt::vk {

/// One op being recorded: its operands and results (OpFrame: the checks and messages both
/// drivers share), the driver and the op's kernels.
class OpRun : public OpFrame<DTensor> {
public:
  OpRun(VulkanDriver &driver, VulkanDriver::ModuleState &ms, const Module &module,
        const Function &function, const PlanOp &op, std::vector<Slot> &slots, const fb::VkOp *vkop);
  /// Records the op's dispatches and sets its results.
  void run();
  /// Kernel `kernelIndex` (a copy_* kernel) copying the strided `dims` of src (from element
  /// inBase) into dst: data movement ops, and heed.scan's per-step slices and outputs.
  void copy(const DTensor &src, const DTensor &dst, const std::vector<int64_t> &dims,
            const std::vector<int64_t> &inStrides, const std::vector<int64_t> &outStrides,
            int64_t inBase, int64_t outBase, size_t kernelIndex = 0) const;

private:
  VulkanDriver &driver;
  VulkanDriver::ModuleState &ms;
  const Module &module;
  const fb::VkOp *vkop;
  const std::string where; // "loc: 'heed.kind'", the start of every message

  // Operands and results.
  [[noreturn]] void opFail(const std::string &m) const { fail(m); }
  /// Fails with a shape rule's message unless it is empty (runtime/drivers/rules).
  void check(const std::string &error) const {
    if (!error.empty())
      fail(error);
  }
  const DTensor &in(size_t i) const { return tensor(i); }
  const ValueType &resultType(size_t i) const { return declaredResult(i); }
  /// Sets result i, after checking it against the declared type.
  void out(size_t i, DTensor t) { setResult(i, std::move(t)); }
  void outScalar(size_t i, int64_t v) { setScalar(i, v); }
  int64_t axisOf(int64_t a, int64_t rank) const { return axis(a, rank); }

  // Kernels and the driver's recording.
  const Pipeline &kernel(size_t i) const;
  /// Kernel i when the module has it and the device can run it (variants).
  const Pipeline *variant(size_t i) const;
  /// The same by a kernel variant enum of the ABI headers (AttentionKernel, ...).
  template <class Kernel, class = std::enable_if_t<std::is_enum_v<Kernel>>>
  const Pipeline &kernel(Kernel k) const {
    return kernel(size_t(k));
  }
  template <class Kernel, class = std::enable_if_t<std::is_enum_v<Kernel>>>
  const Pipeline *variant(Kernel k) const {
    return variant(size_t(k));
  }
  /// Softmax, layer_norm and additive attention: RowKernel::subgroup, when the
  /// module has it and the device can run it, else RowKernel::shared.
  const Pipeline &rowKernel() const;
  DTensor alloc(ElemType type, std::vector<int64_t> shape) const;
  /// Dispatches `p` with `push`, the kernel family's push-constant struct
  /// (runtime/drivers/vulkan/abi), as the start of the 128-byte block.
  template <class Push>
  void dispatch(const Pipeline &p, const std::vector<const Buffer *> &buffers, const Push &push,
                uint64_t groups) const {
    static_assert(std::is_trivially_copyable_v<Push> &&
                      sizeof(::heed::vkabi::PushLayout<Push>::fields) > 0,
                  "push constants are an ABI struct");
    std::vector<int32_t> ints(sizeof(Push) / sizeof(int32_t));
    std::memcpy(ints.data(), &push, sizeof(Push));
    driver.dispatch(p, buffers, ints, groups);
  }
  /// Writes `values` into the rank-packed push-constant array `field` from
  /// index `at`; an op whose rank leaves them no room fails.
  template <size_t N>
  void pack(int32_t (&field)[N], int at, const std::vector<int64_t> &values) const {
    if (at < 0 || size_t(at) + values.size() > N)
      opFail("has a rank beyond the vulkan kernel's push constants");
    for (size_t i = 0; i < values.size(); ++i)
      field[size_t(at) + i] = int32_t(values[i]);
  }

  // OpKernels.cpp
  void runIndexArith();
  void runDim();
  void runExtract();
  void runConstant();
  void runReshape();
  void runElementwise();
  void runTranspose();
  void runBroadcast();
  void runSlice();
  void runConcat();
  // NnOps.cpp
  void runMatmul();
  void runLinear();
  void runSoftmax();
  void runLayerNorm();
  void runReduce(); // and runCumsum
  void runCumsum();
  void runArgmaxTopK(); // argmax, argmin, top_k
  void runGather();     // and runGatherElements
  void runGatherElements();
  void runGenerator();
  // AttentionOps.cpp
  /// The op's mask operand (operand `at`), checked against the scores (AttentionRules.h) with
  /// its [B, H, Lq, Lk] strides in `strides`; null when mask_kind needs none.
  const DTensor *checkMask(size_t at, int64_t batch, const std::vector<int64_t> &scores,
                           const std::vector<int> &pos, std::array<int64_t, 4> &strides) const;
  void runAttention();
  void runAdditiveAttention();
  // RecurrentOps.cpp
  void runCell();
  void runRecurrent();
};

} // namespace heed::rt::vk

#endif // HEED_RUNTIME_DRIVERS_VULKAN_OPRUN_H
