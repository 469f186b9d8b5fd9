//===- Module.h - A loaded Heed module --------------------------*- C++ -*-===//
//
// The loader checks a module file completely before anything runs: header,
// version, sizes and CRC32, the FlatBuffer (flatbuffers::Verifier), and the
// semantics (value ids in range and defined before use, constant bytes
// inside the data section and matching their dims, known op kinds).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_MODULE_MODULE_H
#define HEED_RUNTIME_MODULE_MODULE_H

#include "runtime/core/Tensor.h"
#include "runtime/module/OpTable.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heed::rt {

struct ValueType {
  ElemType type = ElemType::f32;
  std::vector<int64_t> dims; // -1: dynamic
  bool scalar = false;
  std::string str() const;
};

struct Attr {
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string str;
};

struct Plan;

struct PlanOp {
  std::string kind; // "heed.matmul", "arith.addi" (messages and traces)
  ops::OpKind opKind = ops::OpKind::ArithConstant; // what drivers dispatch on
  std::vector<int32_t> operands, results;
  std::map<std::string, Attr> attrs; // as the file has them
  std::string loc;
  std::unique_ptr<Plan> body;
  /// Position in its function's plan in pre-order (a heed.scan's body follows the scan): how a
  /// driver finds per-op data such as the vulkan section's kernels.
  int32_t index = 0;

  /// The op kind's declared attributes (OpTable.h), checked by the loader, ODS defaults filled
  /// in. Reading one the kind does not declare, or an optional one that is absent (see has),
  /// throws: no silent fallback.
  int64_t getInt(ops::AttrId id) const;
  double getFloat(ops::AttrId id) const; // a Float, or an Int/Number attribute as a double
  bool getBool(ops::AttrId id) const;
  const std::vector<int64_t> &getInts(ops::AttrId id) const;
  const std::string &getStr(ops::AttrId id) const;
  /// A declared attribute as the file holds it (a Number may be an int or a float).
  const Attr &getAttr(ops::AttrId id) const { return declaredAttr(id); }
  /// Whether a declared attribute is set (false only for an absent optional one).
  bool has(ops::AttrId id) const;
  /// For ops with operandSegmentSizes: (first operand, count) of group `i`.
  std::pair<size_t, size_t> segment(size_t i) const;

  /// An attribute as the file has it, by name (nullptr when absent): for the loader's checks.
  const Attr *attr(const std::string &name) const;

  /// Parallel to the kind's AttrSpecs: each declared attribute, or nullopt when an optional
  /// one is absent (Module.cpp fills it).
  std::vector<std::optional<Attr>> declared;

private:
  const Attr &declaredAttr(ops::AttrId id) const;
};

struct Plan {
  std::vector<int32_t> args, yields;
  std::vector<PlanOp> ops;
  /// Values whose last use is op i (released after it runs).
  std::vector<std::vector<int32_t>> releaseAfter;
};

struct Function {
  std::string name, loc;
  std::vector<ValueType> values;
  std::vector<int32_t> inputs, outputs;
  std::vector<std::string> inputNames, outputNames; // heed.name ("" when absent)
  std::vector<std::string> inputDims, outputDims;   // heed.dims joined by "," ("" when absent)
  std::vector<std::string> inputTypes, outputTypes; // printable
  /// Per dim, the model's symbol from heed.dims ("B"); "" where it has none: no heed.dims, a
  /// count that differs from the rank, or an entry that is a number or "?".
  std::vector<std::vector<std::string>> inputSymbols, outputSymbols;
  Plan plan;
};

struct Module {
  std::string name, producer, target;
  std::shared_ptr<uint8_t> storage; // the whole file, 64-byte aligned
  size_t size = 0;
  std::vector<Function> functions;
  std::vector<Tensor> constants; // views into storage
};

/// Parses and checks a module file image. Throws Error(invalidModule) with a
/// message naming `name` and what is wrong. With an `owner` keeping `data`
/// alive (a read-only file mapping) and 64-byte-aligned data, constants are
/// views into it; otherwise the image is copied once.
std::unique_ptr<Module> loadModule(const void *data, size_t size, const std::string &name,
                                   std::shared_ptr<uint8_t> owner = nullptr);

/// The op kind named `name`, or nullopt for one this runtime does not know.
std::optional<ops::OpKind> lookupOpKind(std::string_view name);

} // namespace heed::rt

#endif // HEED_RUNTIME_MODULE_MODULE_H
