//===- PushBlock.h - How a kernel family declares its ABI -------*- C++ -*-===//
//
// The contract between the GLSL generators (compiler/targets/vulkan) and the
// driver (runtime/drivers/vulkan) lives in this folder, one header per kernel
// family, so that neither side writes a push-constant position by hand. A
// family lists its int32 fields once, as an X-macro of HEED_VK_INT(name) and
// HEED_VK_INTS(name, n); HEED_VK_PUSH turns the list into the C++ struct the
// driver fills and into the field table the compiler emits as the GLSL
// `layout(push_constant)` block with the same names. The headers are plain
// C++ (no MLIR, no Vulkan): both trees include them.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_PUSHBLOCK_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_PUSHBLOCK_H

#include <cstddef>
#include <cstdint>

namespace heed::vkabi {

/// Every kernel sees one 128-byte push-constant block (lavapipe's limit and
/// Vulkan's guaranteed minimum); the driver always pushes all of it.
constexpr int kPushInts = 32;
constexpr size_t kPushBytes = kPushInts * sizeof(int32_t);

/// One field of a push-constant struct: `count` consecutive int32 values.
struct PushField {
  const char *name;
  int count;
};

/// The field table of a push-constant struct (specialized by HEED_VK_PUSH).
template <class Push> struct PushLayout;

/// The ints the field table covers, for the checks HEED_VK_PUSH makes.
template <size_t N> constexpr int intsOf(const PushField (&fields)[N]) {
  int n = 0;
  for (const PushField &f : fields)
    n += f.count;
  return n;
}

} // namespace heed::vkabi

#define HEED_VK_CXX_INT(name) int32_t name = 0;
#define HEED_VK_CXX_INTS(name, n) int32_t name[n] = {};
#define HEED_VK_TABLE_INT(name) ::heed::vkabi::PushField{#name, 1},
#define HEED_VK_TABLE_INTS(name, n) ::heed::vkabi::PushField{#name, n},

/// Declares struct `Type` from FIELDS (a macro taking the two field macros)
/// and its PushLayout; fails to compile when the block exceeds 128 bytes or
/// the struct is not exactly its fields (no padding, no other members).
#define HEED_VK_PUSH(Type, FIELDS)                                                                 \
  struct Type {                                                                                    \
    FIELDS(HEED_VK_CXX_INT, HEED_VK_CXX_INTS)                                                      \
  };                                                                                               \
  static_assert(sizeof(Type) <= ::heed::vkabi::kPushBytes, #Type " exceeds 128 bytes");            \
  template <> struct PushLayout<Type> {                                                            \
    static constexpr ::heed::vkabi::PushField fields[] = {                                         \
        FIELDS(HEED_VK_TABLE_INT, HEED_VK_TABLE_INTS)};                                            \
  };                                                                                               \
  static_assert(::heed::vkabi::intsOf(PushLayout<Type>::fields) * sizeof(int32_t) == sizeof(Type), \
                #Type " is not exactly its field table")

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_PUSHBLOCK_H
