//===- Import.cpp - ONNX model importer ------------------------------------===//
//
// ModelProto -> heed IR. The importer checks the graph itself (names, order,
// opsets, tensor sizes) before building anything, so a malformed model gives
// a located error and never a crash.
//
// Shape plumbing (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ...) is
// evaluated at import time: small integer tensors are tracked as "known"
// values whose elements are either constants or index SSA values (heed.dim
// and arith index ops). Only what a real op needs is materialized as a
// tensor, so static shapes fold away and dynamic ones become static reshape
// specs (0 copies a dim, -1 infers one), heed.full dynamic dims or
// heed.range operands.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"
#include "runtime/core/Escape.h"
#include "runtime/files/SafeFiles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::heed;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;
/// Largest rank accepted anywhere.
constexpr int64_t kMaxRank = 8;
/// Largest dim accepted for a graph input or a tensor literal.
constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
/// Largest element count of a tensor literal (initializer, Constant).
constexpr int64_t kMaxElements = int64_t{1} << 31;
/// Integer tensors up to this many elements are tracked for folding.
constexpr int64_t kMaxKnownElements = 4096;
/// Newest default-domain opset understood.
constexpr int64_t kMaxOpset = 24;

/// One element of a known integer tensor: a constant, or an index value.
struct Sym {
  int64_t value = 0;
  Value dyn;
  bool isStatic() const { return !dyn; }
};

/// A small integer/bool tensor whose elements are known at import time.
struct Known {
  SmallVector<int64_t> shape;
  SmallVector<Sym> elems;
  Type elementType; // i1, i32 or i64
  bool isStatic() const {
    return llvm::all_of(elems, [](const Sym &s) { return s.isStatic(); });
  }
  SmallVector<int64_t> values() const {
    return llvm::map_to_vector(elems, [](const Sym &s) { return s.value; });
  }
};

struct Entry {
  Value value;
  std::optional<Known> known;
};

std::optional<int64_t> product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (llvm::MulOverflow(n, d, n))
      return std::nullopt;
  }
  return n;
}

class Importer {
public:
  Importer(MLIRContext &context, StringRef path, ::onnx::ModelProto &model)
      : context(context), builder(&context), path(path), model(model),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)), loc(fileLoc) {}

  OwningOpRef<ModuleOp> run();

private:
  // Diagnostics.
  InFlightDiagnostic error() { return emitError(loc); }
  InFlightDiagnostic graphError() { return emitError(fileLoc); }
  /// "node 'name' (OpType)" (or "node #index" when unnamed) within the file.
  Location nodeLocation(int n) {
    const auto &node = model.graph().node(n);
    std::string name = node.name().empty() ? "#" + std::to_string(n) : "'" + node.name() + "'";
    return NameLoc::get(builder.getStringAttr("node " + name + " (" + node.op_type() + ")"),
                        fileLoc);
  }

  // Graph checks and set-up.
  LogicalResult readOpset();
  LogicalResult sortNodes(SmallVectorImpl<const ::onnx::NodeProto *> &order);
  FailureOr<RankedTensorType> valueInfoType(const ::onnx::ValueInfoProto &info);
  /// The dims as declared (["B", "S", "256"], "?" when unnamed), as the .heed
  /// frontend's `heed.dims`, when any is symbolic; null otherwise.
  Attribute dimNames(const ::onnx::ValueInfoProto &info);
  FailureOr<Type> elementType(int32_t dataType, StringRef what);
  LogicalResult importTensor(const ::onnx::TensorProto &tensor, Entry &entry);
  FailureOr<std::unique_ptr<llvm::MemoryBuffer>> readExternal(const ::onnx::TensorProto &tensor,
                                                              int64_t bytes);

  // Values.
  Value get(StringRef name);
  const Known *known(StringRef name);
  bool has(const ::onnx::NodeProto &node, int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  Value input(const ::onnx::NodeProto &node, int i) { return get(node.input(i)); }
  LogicalResult define(const ::onnx::NodeProto &node, int i, Value value);
  LogicalResult define(const ::onnx::NodeProto &node, int i, Known k);
  Value materialize(const Known &k);
  Value index(const Sym &s);
  Value constantI64(ArrayRef<int64_t> values, ArrayRef<int64_t> shape);
  Value scalarConstant(Type elementType, double value);

  // Building ops with inferred result types; null on error (reported).
  Operation *build(StringRef opName, ValueRange operands, ArrayRef<NamedAttribute> attrs = {},
                   unsigned numResults = 1);
  Value op(StringRef opName, ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    Operation *o = build(opName, operands, attrs, 1);
    return o ? o->getResult(0) : Value();
  }
  Value reshape(Value x, ArrayRef<int64_t> spec);
  Value slice(Value x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
  Value concat(ValueRange xs, int64_t axis);
  Value transpose(Value x, ArrayRef<int64_t> perm);
  NamedAttribute attr(StringRef name, Attribute a) { return builder.getNamedAttr(name, a); }
  NamedAttribute i64(StringRef name, int64_t v) { return attr(name, builder.getI64IntegerAttr(v)); }

  // Attributes.
  const ::onnx::AttributeProto *attribute(const ::onnx::NodeProto &node, StringRef name);
  int64_t intAttr(const ::onnx::NodeProto &node, StringRef name, int64_t dflt);
  float floatAttr(const ::onnx::NodeProto &node, StringRef name, float dflt);
  std::string stringAttr(const ::onnx::NodeProto &node, StringRef name, StringRef dflt);
  std::optional<SmallVector<int64_t>> intsAttr(const ::onnx::NodeProto &node, StringRef name);
  FailureOr<SmallVector<int64_t>> staticInts(const ::onnx::NodeProto &node, int i, StringRef what);
  /// Squeeze/Unsqueeze of an input with dims `dims` (kDyn when dynamic): the result's dims,
  /// each the index of the input dim it keeps or -1 for a new 1. Squeezing a dim known not to
  /// be 1 is an error; without axes, Squeeze drops the dims known to be 1.
  FailureOr<SmallVector<int64_t>> squeezedDims(const ::onnx::NodeProto &node,
                                               ArrayRef<int64_t> dims);

  // Ops.
  LogicalResult importNode(const ::onnx::NodeProto &node);
  LogicalResult foldNode(const ::onnx::NodeProto &node, bool &folded);
  LogicalResult importRecurrent(const ::onnx::NodeProto &node);
  LogicalResult importAttention(const ::onnx::NodeProto &node);
  /// An Attention attn_mask whose last dim is shorter than the keys' sequence axis, padded.
  Value padMaskToKeys(Value mask, Value keys, int64_t seqAxis);
  LogicalResult importReshape(const ::onnx::NodeProto &node);

public:
  /// A dynamic dim, named by the (value, dim) it is a copy of.
  using Root = std::pair<Value, int64_t>;
  /// coeff * product of roots, or opaque (not a product of dims).
  struct Monomial {
    int64_t coeff = 1;
    SmallVector<Root> roots;
    bool opaque = false;
  };

private:
  Root rootOf(Value v, int64_t i);
  Monomial monomialOf(Value index);
  Monomial monomialOf(const Sym &s);
  SmallVector<Monomial> dimsOf(Value x);
  Value reshapeTo(Value x, ArrayRef<Monomial> target, StringRef what);
  Value reshapeToImpl(Value x, ArrayRef<Monomial> target, StringRef what);
  Value reshapeThroughLinear(Value x, ArrayRef<Monomial> target);
  bool quietReshape = false;
  /// "[B, 2*S, ?]": dims by their dim_param names where they have one.
  std::string describe(ArrayRef<Monomial> dims);
  llvm::DenseMap<Root, std::string> rootNames;
  llvm::DenseMap<Root, Root> rootMemo, argRoots;
  LogicalResult importShapeLike(const ::onnx::NodeProto &node, StringRef kind);
  FailureOr<int64_t> axisOf(int64_t axis, int64_t rank);
  /// `v` converted to element type `to` (itself if it has it already).
  Value castTo(Value v, Type to);

  MLIRContext &context;
  OpBuilder builder;
  std::string path;
  ::onnx::ModelProto &model;
  Location fileLoc;
  Location loc;
  int64_t opset = 0;
  llvm::StringMap<Entry> values;
};

//===----------------------------------------------------------------------===//
// Set-up and checks
//===----------------------------------------------------------------------===//

LogicalResult Importer::readOpset() {
  for (const auto &entry : model.opset_import()) {
    if (entry.domain().empty() || entry.domain() == "ai.onnx") {
      if (opset)
        return graphError() << "the default opset is imported twice";
      opset = entry.version();
    }
  }
  if (!opset)
    return graphError() << "the model imports no default ONNX opset (opset_import is missing)";
  if (opset < 1 || opset > kMaxOpset)
    return graphError() << "unknown ONNX opset " << opset << "; this importer reads opsets 1 to "
                        << kMaxOpset;
  return success();
}

FailureOr<Type> Importer::elementType(int32_t dataType, StringRef what) {
  switch (dataType) {
  case ::onnx::TensorProto::FLOAT:
    return Type(builder.getF32Type());
  case ::onnx::TensorProto::DOUBLE:
    return Type(builder.getF64Type());
  case ::onnx::TensorProto::FLOAT16:
    return Type(builder.getF16Type());
  case ::onnx::TensorProto::BFLOAT16:
    return Type(builder.getBF16Type());
  case ::onnx::TensorProto::INT32:
    return Type(builder.getI32Type());
  case ::onnx::TensorProto::INT64:
    return Type(builder.getI64Type());
  case ::onnx::TensorProto::BOOL:
    return Type(builder.getI1Type());
  case ::onnx::TensorProto::UINT8:
    return Type(builder.getIntegerType(8, /*isSigned=*/false));
  case ::onnx::TensorProto::UINT32:
    return Type(builder.getIntegerType(32, /*isSigned=*/false));
  case ::onnx::TensorProto::UINT64:
    return Type(builder.getIntegerType(64, /*isSigned=*/false));
  default:
    break;
  }
  if (::onnx::TensorProto::DataType_IsValid(dataType))
    return error() << what << " has element type "
                   << ::onnx::TensorProto::DataType_Name(
                          static_cast<::onnx::TensorProto::DataType>(dataType))
                   << ", which Heed does not support (float, double, float16, bfloat16, int32, "
                      "int64, uint8, uint32, uint64 and bool are)";
  return error() << what << " has an unknown element type " << dataType;
}

FailureOr<RankedTensorType> Importer::valueInfoType(const ::onnx::ValueInfoProto &info) {
  std::string what = "graph input '" + info.name() + "'";
  if (!info.type().has_tensor_type())
    return error() << what << " is not a tensor";
  const auto &tensorType = info.type().tensor_type();
  FailureOr<Type> element = elementType(tensorType.elem_type(), what);
  if (failed(element))
    return failure();
  if (!tensorType.has_shape())
    return error() << what << " has no shape; Heed needs at least the rank";
  if (tensorType.shape().dim_size() > kMaxRank)
    return error() << what << " has rank " << tensorType.shape().dim_size() << "; at most "
                   << kMaxRank << " is supported";
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (dim.has_dim_value()) {
      int64_t d = dim.dim_value();
      if (d < 0)
        return error() << what << " has a negative dim " << d;
      if (d > kMaxDim)
        return error() << what << " has a dim of " << d << ", above the limit " << kMaxDim;
      shape.push_back(d);
    } else {
      shape.push_back(kDyn); // dim_param or unknown: symbolic
    }
  }
  return RankedTensorType::get(shape, *element);
}

Attribute Importer::dimNames(const ::onnx::ValueInfoProto &info) {
  if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
    return {};
  SmallVector<Attribute> names;
  bool symbolic = false;
  for (const auto &dim : info.type().tensor_type().shape().dim()) {
    if (dim.has_dim_value()) {
      names.push_back(builder.getStringAttr(std::to_string(dim.dim_value())));
      continue;
    }
    symbolic = true;
    names.push_back(builder.getStringAttr(
        dim.has_dim_param() && !dim.dim_param().empty() ? dim.dim_param() : "?"));
  }
  return symbolic ? builder.getArrayAttr(names) : Attribute();
}

LogicalResult Importer::sortNodes(SmallVectorImpl<const ::onnx::NodeProto *> &order) {
  const auto &graph = model.graph();
  // Every name defined once.
  llvm::StringMap<int> producer; // value name -> node index, or -1 for graph-level
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer()) {
    if (init.name().empty())
      return graphError() << "an initializer has no name";
    if (!initializerNames.insert(init.name()).second)
      return graphError() << "initializer '" << init.name() << "' is defined twice";
    producer[init.name()] = -1;
  }
  llvm::StringSet<> inputNames;
  for (const auto &in : graph.input()) {
    if (in.name().empty())
      return graphError() << "a graph input has no name";
    if (!inputNames.insert(in.name()).second)
      return graphError() << "graph input '" << in.name() << "' is declared twice";
    producer[in.name()] = -1;
  }
  for (int n = 0; n < graph.node_size(); ++n) {
    for (const std::string &out : graph.node(n).output()) {
      if (out.empty())
        continue;
      auto [it, inserted] = producer.try_emplace(out, n);
      if (!inserted)
        return emitError(nodeLocation(n)) << "value '" << out << "' is defined twice";
    }
  }
  // Kahn's algorithm: nodes in an order where inputs come first.
  SmallVector<int> pending(graph.node_size(), 0);
  llvm::DenseMap<int, SmallVector<int>> users;
  for (int n = 0; n < graph.node_size(); ++n) {
    const auto &node = graph.node(n);
    for (const std::string &in : node.input()) {
      if (in.empty())
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return emitError(nodeLocation(n)) << "uses value '" << in << "', which nothing defines";
      if (it->second >= 0) {
        ++pending[n];
        users[it->second].push_back(n);
      }
    }
  }
  SmallVector<int> ready;
  for (int n = graph.node_size() - 1; n >= 0; --n)
    if (pending[n] == 0)
      ready.push_back(n);
  while (!ready.empty()) {
    int n = ready.pop_back_val();
    order.push_back(&graph.node(n));
    for (int u : users[n])
      if (--pending[u] == 0)
        ready.push_back(u);
  }
  if (static_cast<int>(order.size()) != graph.node_size()) {
    for (int n = 0; n < graph.node_size(); ++n)
      if (pending[n])
        return emitError(nodeLocation(n)) << "the graph has a cycle through this node";
  }
  for (const auto &out : graph.output())
    if (!producer.count(out.name()))
      return graphError() << "graph output '" << out.name() << "' is not defined";
  return success();
}

FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
Importer::readExternal(const ::onnx::TensorProto &tensor, int64_t bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : tensor.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      StringRef text = kv.value();
      int64_t v;
      if (text.getAsInteger(10, v) || v < 0)
        return error() << "invalid external data " << kv.key() << " '" << kv.value() << "'";
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  std::string what = "external data";
  if (location.empty())
    return error() << "external data without a location";
  namespace fs = llvm::sys::fs;
  namespace sp = llvm::sys::path;
  if (sp::is_absolute(location) || sp::is_absolute(location, sp::Style::windows) ||
      location.find('\0') != std::string::npos)
    return error() << "external data path '" << location
                   << "' is absolute; it must be relative to the model's directory";
  for (auto it = sp::begin(location), e = sp::end(location); it != e; ++it)
    if (*it == "..")
      return error() << "external data path '" << location << "' leaves the model's directory";
  SmallString<256> dir(path);
  sp::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  SmallString<256> realDir, realFile, file(dir);
  sp::append(file, location);
  if (fs::real_path(dir, realDir) || fs::real_path(file, realFile))
    return error() << "cannot open external data file '" << location << "'";
  StringRef prefix = realDir;
  if (!StringRef(realFile).starts_with(prefix) || realFile.size() <= prefix.size() ||
      !sp::is_separator(realFile[prefix.size()]))
    return error() << "external data file '" << location
                   << "' resolves outside the model's directory";
  // Through the runtime's opener: a FIFO, directory or device is refused without blocking,
  // and the size and the bytes come from the one descriptor checked.
  std::string openError;
  int fd = ::heed::files::openRegularFile(std::string(realFile), openError);
  if (fd < 0) {
    std::string prefix = std::string(realFile) + ": ";
    StringRef why(openError);
    why.consume_front(prefix);
    return error() << "cannot read external data file '" << location << "': " << why;
  }
  llvm::scope_exit closeFd([fd] { ::close(fd); });
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return error() << "cannot read external data file '" << location << "'";
  uint64_t fileSize = uint64_t(st.st_size);
  if (length < 0)
    length = static_cast<int64_t>(fileSize) - offset;
  if (length != bytes)
    return error() << "the tensor needs " << bytes << " bytes but its external data length is "
                   << length;
  int64_t end;
  if (llvm::AddOverflow(offset, length, end))
    return error() << "external data offset " << offset << " + length " << length << " overflows";
  if (end > static_cast<int64_t>(fileSize))
    return error() << "external data [" << offset << ", " << end << ") is beyond the end of '"
                   << location << "' (" << fileSize << " bytes)";
  auto buffer = llvm::MemoryBuffer::getOpenFileSlice(fd, realFile, length, offset);
  if (!buffer)
    return error() << "cannot read external data file '" << location
                   << "': " << buffer.getError().message();
  return std::move(*buffer);
}

LogicalResult Importer::importTensor(const ::onnx::TensorProto &tensor, Entry &entry) {
  std::string what = "tensor '" + tensor.name() + "'";
  FailureOr<Type> element = elementType(tensor.data_type(), what);
  if (failed(element))
    return failure();
  if (tensor.dims_size() > kMaxRank)
    return error() << what << " has rank " << tensor.dims_size() << "; at most " << kMaxRank
                   << " is supported";
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return error() << what << " has a negative dim " << d;
    if (d > kMaxDim)
      return error() << what << " has a dim of " << d << ", above the limit " << kMaxDim;
    shape.push_back(d);
  }
  std::optional<int64_t> count = product(shape);
  if (!count || *count > kMaxElements)
    return error() << what << " has too many elements (the limit is " << kMaxElements << ")";
  Type et = *element;
  int64_t width = et.isInteger(1) ? 1 : et.getIntOrFloatBitWidth() / 8;
  int64_t bytes = *count * width;
  auto type = RankedTensorType::get(shape, et);

  // Gather the little-endian raw bytes of the elements.
  std::unique_ptr<llvm::MemoryBuffer> external;
  std::string converted;
  StringRef raw;
  if (tensor.data_location() == ::onnx::TensorProto::EXTERNAL) {
    auto buffer = readExternal(tensor, bytes);
    if (failed(buffer))
      return failure();
    external = std::move(*buffer);
    raw = external->getBuffer();
  } else if (tensor.has_raw_data()) {
    raw = tensor.raw_data();
    if (static_cast<int64_t>(raw.size()) != bytes)
      return error() << what << " has " << raw.size() << " bytes of raw data but its dims "
                     << "and type need " << bytes;
  } else {
    auto typed = [&](int64_t n, auto append) -> LogicalResult {
      if (n != *count)
        return error() << what << " has " << n << " elements but its dims need " << *count;
      converted.reserve(bytes);
      for (int64_t i = 0; i < n; ++i)
        append(i);
      return success();
    };
    auto put = [&](auto v) { converted.append(reinterpret_cast<const char *>(&v), sizeof(v)); };
    LogicalResult ok = success();
    switch (tensor.data_type()) {
    case ::onnx::TensorProto::FLOAT:
      ok = typed(tensor.float_data_size(), [&](int64_t i) { put(tensor.float_data(i)); });
      break;
    case ::onnx::TensorProto::DOUBLE:
      ok = typed(tensor.double_data_size(), [&](int64_t i) { put(tensor.double_data(i)); });
      break;
    case ::onnx::TensorProto::INT64:
      ok = typed(tensor.int64_data_size(), [&](int64_t i) { put(tensor.int64_data(i)); });
      break;
    case ::onnx::TensorProto::INT32:
      ok = typed(tensor.int32_data_size(), [&](int64_t i) { put(tensor.int32_data(i)); });
      break;
    case ::onnx::TensorProto::BOOL:
      ok = typed(tensor.int32_data_size(),
                 [&](int64_t i) { put(static_cast<uint8_t>(tensor.int32_data(i) != 0)); });
      break;
    case ::onnx::TensorProto::UINT8:
      ok = typed(tensor.int32_data_size(),
                 [&](int64_t i) { put(static_cast<uint8_t>(tensor.int32_data(i))); });
      break;
    case ::onnx::TensorProto::UINT32:
      ok = typed(tensor.uint64_data_size(),
                 [&](int64_t i) { put(static_cast<uint32_t>(tensor.uint64_data(i))); });
      break;
    case ::onnx::TensorProto::UINT64:
      ok = typed(tensor.uint64_data_size(), [&](int64_t i) { put(tensor.uint64_data(i)); });
      break;
    default: // float16 / bfloat16 bit patterns in int32_data
      ok = typed(tensor.int32_data_size(),
                 [&](int64_t i) { put(static_cast<uint16_t>(tensor.int32_data(i))); });
      break;
    }
    if (failed(ok))
      return failure();
    raw = converted;
  }

  // Signless integer tensors small enough are tracked for folding (shape arithmetic is signed;
  // unsigned tensors are data, never shapes).
  if (et.isSignlessInteger() && *count <= kMaxKnownElements) {
    Known k;
    k.shape = shape;
    k.elementType = et;
    for (int64_t i = 0; i < *count; ++i) {
      int64_t v = 0;
      if (et.isInteger(1))
        v = raw[i] != 0;
      else if (et.isInteger(32))
        v = static_cast<int32_t>(llvm::support::endian::read32le(raw.data() + 4 * i));
      else
        v = static_cast<int64_t>(llvm::support::endian::read64le(raw.data() + 8 * i));
      k.elems.push_back({v, Value()});
    }
    entry.known = std::move(k);
    return success();
  }
  DenseElementsAttr attrValue;
  if (et.isInteger(1)) {
    SmallVector<bool> bits = llvm::map_to_vector(raw, [](char c) { return c != 0; });
    attrValue = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else {
    attrValue = DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(raw.data(), raw.size()));
  }
  entry.value = ConstantOp::create(builder, loc, attrValue).getResult();
  return success();
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Value Importer::index(const Sym &s) {
  if (s.dyn)
    return s.dyn;
  return arith::ConstantIndexOp::create(builder, loc, s.value);
}

Value Importer::constantI64(ArrayRef<int64_t> vals, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder.getI64Type());
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, vals)).getResult();
}

Value Importer::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute a;
  if (isa<FloatType>(elementType))
    a = DenseElementsAttr::get(type, builder.getFloatAttr(elementType, value));
  else if (elementType.isInteger(1))
    a = DenseElementsAttr::get(type, value != 0);
  else
    a = DenseElementsAttr::get(type, builder.getIntegerAttr(elementType, (int64_t)value));
  return ConstantOp::create(builder, loc, cast<DenseElementsAttr>(a)).getResult();
}

Value Importer::materialize(const Known &k) {
  auto type = RankedTensorType::get(k.shape, k.elementType);
  if (k.isStatic()) {
    DenseElementsAttr a;
    if (k.elementType.isInteger(1)) {
      SmallVector<bool> bits =
          llvm::map_to_vector(k.elems, [](const Sym &s) { return s.value != 0; });
      a = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    } else {
      SmallVector<APInt> ints = llvm::map_to_vector(k.elems, [&](const Sym &s) {
        return APInt(k.elementType.getIntOrFloatBitWidth(), s.value, /*isSigned=*/true);
      });
      a = DenseElementsAttr::get(type, ints);
    }
    return ConstantOp::create(builder, loc, a).getResult();
  }
  // Each dynamic element becomes range(v, v+1, 1) = [v]; then concat, reshape.
  SmallVector<Value> parts;
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  for (const Sym &s : k.elems) {
    if (s.isStatic()) {
      parts.push_back(constantI64({s.value}, {1}));
      continue;
    }
    Value next = arith::AddIOp::create(builder, loc, s.dyn, one);
    Value r = op(RangeOp::getOperationName(), {s.dyn, next, one});
    if (!r)
      return {};
    // The range has a dynamic length; pin it to 1.
    parts.push_back(reshape(r, {1}));
  }
  Value flat = parts.size() == 1 ? parts[0] : concat(parts, 0);
  if (!flat)
    return {};
  Value shaped = k.shape.size() == 1 ? flat : reshape(flat, k.shape);
  if (shaped && !k.elementType.isInteger(64))
    shaped = op(CastOp::getOperationName(), {shaped}, {attr("to", TypeAttr::get(k.elementType))});
  return shaped;
}

Value Importer::get(StringRef name) {
  auto it = values.find(name);
  if (it == values.end())
    return {}; // names are checked before import; this is defensive
  Entry &e = it->second;
  if (!e.value && e.known)
    e.value = materialize(*e.known);
  return e.value;
}

const Known *Importer::known(StringRef name) {
  if (name.empty())
    return nullptr;
  auto it = values.find(name);
  if (it == values.end() || !it->second.known)
    return nullptr;
  return &*it->second.known;
}

LogicalResult Importer::define(const ::onnx::NodeProto &node, int i, Value value) {
  if (!value)
    return failure();
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)].value = value;
  return success();
}

LogicalResult Importer::define(const ::onnx::NodeProto &node, int i, Known k) {
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)].known = std::move(k);
  return success();
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

Operation *Importer::build(StringRef opName, ValueRange operands, ArrayRef<NamedAttribute> attrs,
                           unsigned numResults) {
  for (Value v : operands)
    if (!v)
      return nullptr;
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  SmallVector<Type> placeholder(numResults, builder.getNoneType());
  state.addTypes(placeholder);
  Operation *o = Operation::create(state);
  auto infer = dyn_cast<InferTypeOpInterface>(o);
  SmallVector<Type> types;
  if (!infer ||
      failed(infer.inferReturnTypes(&context, loc, o->getOperands(), o->getRawDictionaryAttrs(),
                                    o->getPropertiesStorage(), o->getRegions(), types)) ||
      types.size() != numResults) {
    o->destroy();
    return nullptr;
  }
  for (auto [result, type] : llvm::zip(o->getResults(), types))
    result.setType(type);
  builder.insert(o);
  return o;
}

Value Importer::reshape(Value x, ArrayRef<int64_t> spec) {
  return op(ReshapeOp::getOperationName(), {x},
            {attr("shape", builder.getDenseI64ArrayAttr(spec))});
}

Value Importer::slice(Value x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  return op(SliceOp::getOperationName(), {x},
            {i64("axis", axis), i64("start", start), i64("end", end), i64("step", step)});
}

Value Importer::concat(ValueRange xs, int64_t axis) {
  if (xs.size() == 1)
    return xs[0];
  return op(ConcatOp::getOperationName(), xs, {i64("axis", axis)});
}

Value Importer::transpose(Value x, ArrayRef<int64_t> perm) {
  return op(TransposeOp::getOperationName(), {x},
            {attr("permutation", builder.getDenseI64ArrayAttr(perm))});
}

Value Importer::castTo(Value v, Type to) {
  if (!v || cast<RankedTensorType>(v.getType()).getElementType() == to)
    return v;
  return op(CastOp::getOperationName(), {v}, {attr("to", TypeAttr::get(to))});
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const ::onnx::AttributeProto *Importer::attribute(const ::onnx::NodeProto &node, StringRef name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::intAttr(const ::onnx::NodeProto &node, StringRef name, int64_t dflt) {
  const auto *a = attribute(node, name);
  return a ? a->i() : dflt;
}

float Importer::floatAttr(const ::onnx::NodeProto &node, StringRef name, float dflt) {
  const auto *a = attribute(node, name);
  return a ? a->f() : dflt;
}

std::string Importer::stringAttr(const ::onnx::NodeProto &node, StringRef name, StringRef dflt) {
  const auto *a = attribute(node, name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>> Importer::intsAttr(const ::onnx::NodeProto &node,
                                                       StringRef name) {
  const auto *a = attribute(node, name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<SmallVector<int64_t>> Importer::staticInts(const ::onnx::NodeProto &node, int i,
                                                     StringRef what) {
  const Known *k = known(node.input(i));
  if (!k || !k->isStatic())
    return error() << "unsupported dynamic " << what
                   << ": it must be known when the model is imported";
  return k->values();
}

FailureOr<SmallVector<int64_t>> Importer::squeezedDims(const ::onnx::NodeProto &node,
                                                       ArrayRef<int64_t> dims) {
  int64_t rank = dims.size();
  SmallVector<int64_t> axes;
  if (opset >= 13 && has(node, 1)) {
    auto v = staticInts(node, 1, "axes");
    if (failed(v))
      return failure();
    axes = *v;
  } else if (auto a = intsAttr(node, "axes")) {
    axes = *a;
  }
  // The dims the axes name: among the result's for Unsqueeze, the input's for Squeeze.
  bool unsqueeze = node.op_type() == "Unsqueeze";
  int64_t outRank = unsqueeze ? rank + int64_t(axes.size()) : rank;
  SmallVector<bool> marked(outRank, false);
  for (int64_t a : axes) {
    auto n = axisOf(a, outRank);
    if (failed(n))
      return failure();
    if (marked[*n])
      return error() << "axis " << a << " is repeated";
    marked[*n] = true;
  }
  SmallVector<int64_t> from;
  if (unsqueeze) {
    for (int64_t i = 0, j = 0; i < outRank; ++i)
      from.push_back(marked[i] ? -1 : j++);
    return from;
  }
  for (int64_t i = 0; i < rank; ++i) {
    bool drop = axes.empty() ? dims[i] == 1 : marked[i];
    if (drop && dims[i] != kDyn && dims[i] != 1)
      return error() << "cannot squeeze dim " << i << " of size " << dims[i];
    if (!drop)
      from.push_back(i);
  }
  return from;
}

FailureOr<int64_t> Importer::axisOf(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return error() << "axis " << axis << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Folding of integer shape plumbing
//===----------------------------------------------------------------------===//

/// Elementwise binary op on known tensors (same shape, or one is a scalar).
std::optional<Known> knownBinary(const Known &a, const Known &b,
                                 llvm::function_ref<Sym(const Sym &, const Sym &)> fn) {
  Known r;
  if (a.elems.size() == b.elems.size() && a.shape == b.shape) {
    r.shape = a.shape;
  } else if (b.elems.size() == 1 && b.shape.size() <= a.shape.size()) {
    r.shape = a.shape;
  } else if (a.elems.size() == 1 && a.shape.size() <= b.shape.size()) {
    r.shape = b.shape;
  } else {
    return std::nullopt;
  }
  r.elementType = a.elementType;
  size_t n = std::max(a.elems.size(), b.elems.size());
  for (size_t i = 0; i < n; ++i)
    r.elems.push_back(
        fn(a.elems[a.elems.size() == 1 ? 0 : i], b.elems[b.elems.size() == 1 ? 0 : i]));
  return r;
}

LogicalResult Importer::foldNode(const ::onnx::NodeProto &node, bool &folded) {
  folded = false;
  StringRef type = node.op_type();
  auto allKnown = [&](int first, int count) {
    for (int i = first; i < first + count; ++i)
      if (!has(node, i) || !known(node.input(i)))
        return false;
    return true;
  };
  auto done = [&](Known k) {
    folded = true;
    return define(node, 0, std::move(k));
  };
  auto indexSym = [&](Value v) { return Sym{0, v}; };

  if (type == "Constant") {
    folded = true;
    Entry e;
    if (const auto *a = attribute(node, "value")) {
      if (failed(importTensor(a->t(), e)))
        return failure();
    } else if (const auto *a = attribute(node, "value_int")) {
      e.known = Known{{}, {Sym{a->i(), Value()}}, builder.getI64Type()};
    } else if (const auto *a = attribute(node, "value_ints")) {
      Known k{{a->ints_size()}, {}, builder.getI64Type()};
      for (int64_t v : a->ints())
        k.elems.push_back({v, Value()});
      e.known = k;
    } else if (const auto *a = attribute(node, "value_float")) {
      e.value = scalarConstant(builder.getF32Type(), a->f());
    } else if (const auto *a = attribute(node, "value_floats")) {
      SmallVector<float> fs(a->floats().begin(), a->floats().end());
      auto t = RankedTensorType::get({(int64_t)fs.size()}, builder.getF32Type());
      e.value = ConstantOp::create(builder, loc, DenseElementsAttr::get(t, ArrayRef<float>(fs)));
    } else {
      return error() << "unsupported Constant: expects value, value_int(s) or value_float(s)";
    }
    values[node.output(0)] = std::move(e);
    return success();
  }

  if (type == "Shape") {
    auto t = cast<RankedTensorType>(input(node, 0).getType());
    int64_t rank = t.getRank();
    int64_t start = intAttr(node, "start", 0), end = intAttr(node, "end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    Known k{{std::max<int64_t>(end - start, 0)}, {}, builder.getI64Type()};
    for (int64_t i = start; i < end; ++i) {
      if (!t.isDynamicDim(i))
        k.elems.push_back({t.getDimSize(i), Value()});
      else
        k.elems.push_back(indexSym(DimOp::create(builder, loc, builder.getIndexType(),
                                                 input(node, 0), builder.getI64IntegerAttr(i))));
    }
    return done(k);
  }
  if (type == "Size") {
    auto t = cast<RankedTensorType>(input(node, 0).getType());
    if (!t.hasStaticShape())
      return success();
    return done(Known{{}, {Sym{t.getNumElements(), Value()}}, builder.getI64Type()});
  }

  if (type == "Identity" || type == "Dropout") {
    if (!allKnown(0, 1))
      return success();
    if (node.output_size() > 1 && !node.output(1).empty())
      return success();
    // A training_mode input is checked where Dropout is imported (training is refused).
    if (type == "Dropout" && opset >= 12 && has(node, 2))
      return success();
    return done(*known(node.input(0)));
  }

  if ((type == "Unsqueeze" || type == "Squeeze" || type == "Reshape" || type == "Flatten") &&
      allKnown(0, 1)) {
    const Known &k = *known(node.input(0));
    int64_t rank = k.shape.size();
    SmallVector<int64_t> shape;
    if (type == "Reshape") {
      if (!allKnown(1, 1) || !known(node.input(1))->isStatic())
        return success();
      SmallVector<int64_t> spec = known(node.input(1))->values();
      int64_t inferred = -1, prod = 1;
      for (size_t i = 0; i < spec.size(); ++i) {
        int64_t d = spec[i];
        if (d == 0 && !intAttr(node, "allowzero", 0))
          d = i < k.shape.size() ? k.shape[i] : -1;
        if (d == -1) {
          if (inferred >= 0)
            return success();
          inferred = i;
        } else if (d < 0) {
          return success();
        } else {
          prod *= d;
        }
        shape.push_back(d);
      }
      if (inferred >= 0) {
        if (prod == 0 || k.elems.size() % prod)
          return success();
        shape[inferred] = k.elems.size() / prod;
      }
    } else if (type == "Flatten") {
      auto axis = axisOf(intAttr(node, "axis", 1), rank + 1);
      if (failed(axis))
        return failure();
      int64_t a = 1, b = 1;
      for (int64_t i = 0; i < rank; ++i)
        (i < *axis ? a : b) *= k.shape[i];
      shape = {a, b};
    } else {
      auto from = squeezedDims(node, k.shape);
      if (failed(from))
        return failure();
      for (int64_t f : *from)
        shape.push_back(f < 0 ? 1 : k.shape[f]);
    }
    std::optional<int64_t> n = product(shape);
    if (!n || *n != static_cast<int64_t>(k.elems.size()))
      return success(); // let the op report it
    Known r = k;
    r.shape = shape;
    return done(r);
  }

  if (type == "Concat" && allKnown(0, node.input_size())) {
    Known r;
    const Known &first = *known(node.input(0));
    int64_t rank = first.shape.size();
    if (rank == 0)
      return success();
    auto axis = axisOf(intAttr(node, "axis", 0), rank);
    if (failed(axis))
      return failure();
    if (*axis != 0)
      return success();
    r.shape = first.shape;
    r.shape[0] = 0;
    r.elementType = first.elementType;
    for (const auto &name : node.input()) {
      const Known &k = *known(name);
      if (k.shape.size() != first.shape.size() ||
          !std::equal(k.shape.begin() + 1, k.shape.end(), first.shape.begin() + 1) ||
          k.elementType != first.elementType)
        return success();
      r.shape[0] += k.shape[0];
      r.elems.append(k.elems.begin(), k.elems.end());
    }
    return done(r);
  }

  if (type == "Gather" && allKnown(0, 2) && known(node.input(1))->isStatic()) {
    const Known &data = *known(node.input(0));
    const Known &idx = *known(node.input(1));
    int64_t rank = data.shape.size();
    if (rank == 0)
      return success();
    auto axis = axisOf(intAttr(node, "axis", 0), rank);
    if (failed(axis))
      return failure();
    int64_t outer = 1, inner = 1, n = data.shape[*axis];
    for (int64_t i = 0; i < *axis; ++i)
      outer *= data.shape[i];
    for (int64_t i = *axis + 1; i < rank; ++i)
      inner *= data.shape[i];
    Known r;
    r.elementType = data.elementType;
    r.shape.append(data.shape.begin(), data.shape.begin() + *axis);
    r.shape.append(idx.shape.begin(), idx.shape.end());
    r.shape.append(data.shape.begin() + *axis + 1, data.shape.end());
    for (int64_t o = 0; o < outer; ++o)
      for (const Sym &s : idx.elems) {
        int64_t j = s.value < 0 ? s.value + n : s.value;
        if (j < 0 || j >= n)
          return error() << "index " << s.value << " is out of range for a dim of size " << n;
        for (int64_t in = 0; in < inner; ++in)
          r.elems.push_back(data.elems[(o * n + j) * inner + in]);
      }
    return done(r);
  }

  if (type == "Slice" && allKnown(0, 1)) {
    const Known &data = *known(node.input(0));
    if (data.shape.size() != 1)
      return success();
    SmallVector<int64_t> starts, ends, axes{0}, steps{1};
    if (opset >= 10) {
      if (!allKnown(1, 2) || !known(node.input(1))->isStatic() || !known(node.input(2))->isStatic())
        return success();
      starts = known(node.input(1))->values();
      ends = known(node.input(2))->values();
      if (has(node, 3)) {
        if (!allKnown(3, 1) || !known(node.input(3))->isStatic())
          return success();
        axes = known(node.input(3))->values();
      }
      if (has(node, 4)) {
        if (!allKnown(4, 1) || !known(node.input(4))->isStatic())
          return success();
        steps = known(node.input(4))->values();
      }
    } else {
      starts = intsAttr(node, "starts").value_or(SmallVector<int64_t>{});
      ends = intsAttr(node, "ends").value_or(SmallVector<int64_t>{});
      axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>{0});
    }
    if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1 || steps.size() != 1 ||
        (axes[0] != 0 && axes[0] != -1) || steps[0] == 0)
      return success();
    int64_t n = data.elems.size(), step = steps[0];
    // NumPy/Python slice clamping, for either sign of step.
    auto clampIdx = [&](int64_t v) {
      if (v < 0)
        v += n;
      if (step > 0)
        return std::clamp<int64_t>(v, 0, n);
      return std::clamp<int64_t>(v, -1, n - 1);
    };
    int64_t s = clampIdx(starts[0]), e = clampIdx(ends[0]);
    Known r;
    r.elementType = data.elementType;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
      r.elems.push_back(data.elems[i]);
    r.shape = {static_cast<int64_t>(r.elems.size())};
    return done(r);
  }

  if (type == "Cast" && allKnown(0, 1)) {
    FailureOr<Type> to = elementType(intAttr(node, "to", 0), "Cast's 'to'");
    if (failed(to))
      return failure();
    if (!to->isSignlessInteger())
      return success();
    Known r = *known(node.input(0));
    r.elementType = *to;
    for (Sym &s : r.elems) {
      if (!s.isStatic())
        continue;
      if (to->isInteger(1))
        s.value = s.value != 0;
      else if (to->isInteger(32))
        s.value = static_cast<int32_t>(s.value);
    }
    return done(r);
  }

  if ((type == "Add" || type == "Sub" || type == "Mul" || type == "Div") && allKnown(0, 2)) {
    const Known &a = *known(node.input(0)), &b = *known(node.input(1));
    if (a.elementType.isInteger(1))
      return success();
    bool divByZero = false, overflow = false;
    auto fn = [&](const Sym &x, const Sym &y) -> Sym {
      if (x.isStatic() && y.isStatic()) {
        int64_t v = 0;
        if (type == "Add")
          overflow |= llvm::AddOverflow(x.value, y.value, v);
        else if (type == "Sub")
          overflow |= llvm::SubOverflow(x.value, y.value, v);
        else if (type == "Mul")
          overflow |= llvm::MulOverflow(x.value, y.value, v);
        else if (y.value == 0)
          divByZero = true;
        else if (y.value == -1 && x.value == std::numeric_limits<int64_t>::min())
          overflow = true;
        else
          v = x.value / y.value;
        return {v, Value()};
      }
      Value l = index(x), r = index(y), v;
      if (type == "Add")
        v = arith::AddIOp::create(builder, loc, l, r);
      else if (type == "Sub")
        v = arith::SubIOp::create(builder, loc, l, r);
      else if (type == "Mul")
        v = arith::MulIOp::create(builder, loc, l, r);
      else
        v = arith::DivSIOp::create(builder, loc, l, r);
      return {0, v};
    };
    std::optional<Known> r = knownBinary(a, b, fn);
    if (!r)
      return success();
    if (divByZero)
      return error() << "integer division by zero";
    if (overflow)
      return error() << "integer overflow in shape arithmetic";
    return done(*r);
  }

  if ((type == "Equal" || type == "Less" || type == "Greater") && allKnown(0, 2) &&
      known(node.input(0))->isStatic() && known(node.input(1))->isStatic()) {
    std::optional<Known> r =
        knownBinary(*known(node.input(0)), *known(node.input(1)), [&](const Sym &x, const Sym &y) {
          bool v = type == "Equal" ? x.value == y.value
                                   : (type == "Less" ? x.value < y.value : x.value > y.value);
          return Sym{v, Value()};
        });
    if (!r)
      return success();
    r->elementType = builder.getI1Type();
    return done(*r);
  }

  if (type == "Not" && allKnown(0, 1) && known(node.input(0))->isStatic()) {
    Known r = *known(node.input(0));
    for (Sym &s : r.elems)
      s.value = !s.value;
    return done(r);
  }

  if (type == "Where" && allKnown(0, 3)) {
    const Known &c = *known(node.input(0)), &x = *known(node.input(1)), &y = *known(node.input(2));
    if (!c.isStatic() || c.shape != x.shape || x.shape != y.shape)
      return success();
    Known r = x;
    for (size_t i = 0; i < r.elems.size(); ++i)
      r.elems[i] = c.elems[i].value ? x.elems[i] : y.elems[i];
    return done(r);
  }

  if (type == "ConstantOfShape" && allKnown(0, 1) && known(node.input(0))->isStatic()) {
    Type et = builder.getF32Type();
    int64_t v = 0;
    if (const auto *a = attribute(node, "value")) {
      Entry e;
      if (failed(importTensor(a->t(), e)))
        return failure();
      if (!e.known || e.known->elems.size() != 1)
        return success();
      et = e.known->elementType;
      v = e.known->elems[0].value;
    }
    if (!et.isInteger())
      return success();
    SmallVector<int64_t> shape = known(node.input(0))->values();
    std::optional<int64_t> n = product(shape);
    if (!n || *n > kMaxKnownElements)
      return success();
    Known r{shape, SmallVector<Sym>(*n, Sym{v, Value()}), et};
    return done(r);
  }

  if (type == "Range" && allKnown(0, 3)) {
    const Known &s = *known(node.input(0)), &l = *known(node.input(1)), &d = *known(node.input(2));
    if (s.elems.size() != 1 || l.elems.size() != 1 || d.elems.size() != 1)
      return success();
    if (s.isStatic() && l.isStatic() && d.isStatic()) {
      int64_t start = s.elems[0].value, limit = l.elems[0].value, delta = d.elems[0].value;
      if (delta == 0)
        return error() << "Range with a zero delta";
      __int128 count =
          (static_cast<__int128>(limit) - start + delta + (delta > 0 ? -1 : 1)) / delta;
      if (count > kMaxKnownElements)
        return success();
      int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
      Known r{{n}, {}, s.elementType};
      for (int64_t i = 0; i < n; ++i)
        r.elems.push_back({start + i * delta, Value()});
      return done(r);
    }
    return success();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Symbolic dims
//===----------------------------------------------------------------------===//
//
// A dynamic dim is named by its root: the (value, dim) it was copied from,
// followed back through the ops that pass dims through unchanged (elementwise
// ops, transposes, reshape copies, matmul rows, ...), and graph inputs with one
// dim_param share one root. Reshapes compare roots to turn target dims read
// from other tensors into copies (0) or into transposes around the reshape.

Importer::Root Importer::rootOf(Value v, int64_t i) {
  Root self{v, i};
  auto memo = rootMemo.find(self);
  if (memo != rootMemo.end())
    return memo->second;
  auto t = cast<RankedTensorType>(v.getType());
  int64_t rank = t.getRank();
  std::optional<Root> found;
  auto from = [&](Value u, int64_t j) -> std::optional<Root> {
    auto ut = cast<RankedTensorType>(u.getType());
    if (j < 0 || j >= ut.getRank() || !ut.isDynamicDim(j))
      return std::nullopt;
    return rootOf(u, j);
  };
  auto broadcastFrom = [&](ValueRange operands) -> std::optional<Root> {
    for (Value u : operands) {
      auto ut = dyn_cast<RankedTensorType>(u.getType());
      if (!ut)
        continue;
      if (auto r = from(u, i - (rank - ut.getRank())))
        return r;
    }
    return std::nullopt;
  };
  auto norm = [&](int64_t axis, int64_t r) { return axis < 0 ? axis + r : axis; };
  if (isa<BlockArgument>(v)) {
    auto it = argRoots.find(self);
    if (it != argRoots.end())
      found = it->second;
  } else if (Operation *op = v.getDefiningOp()) {
    unsigned resultNumber = cast<OpResult>(v).getResultNumber();
    if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, AndOp, OrOp, CompareOp, WhereOp,
            BroadcastOp>(op)) {
      found = broadcastFrom(op->getOperands());
    } else if (op->hasTrait<OpTrait::Elementwise>() ||
               isa<SoftmaxOp, LogSoftmaxOp, LayerNormOp>(op)) {
      found = from(op->getOperand(0), i);
    } else if (auto o = dyn_cast<TransposeOp>(op)) {
      found = from(o.getInput(), o.getPermutation()[i]);
    } else if (auto o = dyn_cast<ReshapeOp>(op)) {
      if (o.getShape()[i] == 0)
        found = from(o.getInput(), i);
    } else if (auto o = dyn_cast<MatmulOp>(op)) {
      int64_t lr = o.getLhs().getType().getRank(), rr = o.getRhs().getType().getRank();
      if (i == rank - 2)
        found = from(o.getLhs(), o.getTransposeA() ? lr - 1 : lr - 2);
      else if (i == rank - 1)
        found = from(o.getRhs(), o.getTransposeB() ? rr - 2 : rr - 1);
      else if (!(found = from(o.getLhs(), i - (rank - lr))))
        found = from(o.getRhs(), i - (rank - rr));
    } else if (auto o = dyn_cast<LinearOp>(op)) {
      if (i < rank - 1)
        found = from(o.getInput(), i);
    } else if (auto o = dyn_cast<SliceOp>(op)) {
      if (i != norm(o.getAxis(), rank) ||
          (o.getStart() == 0 && o.getEnd() == std::numeric_limits<int64_t>::max() &&
           o.getStep() == 1))
        found = from(o.getInput(), i);
    } else if (auto o = dyn_cast<ConcatOp>(op)) {
      if (i != norm(o.getAxis(), rank))
        for (Value u : o.getInputs())
          if ((found = from(u, i)))
            break;
    } else if (auto o = dyn_cast<GatherOp>(op)) {
      int64_t axis = norm(o.getAxis(), o.getInput().getType().getRank());
      int64_t ir = o.getIndices().getType().getRank();
      if (i < axis)
        found = from(o.getInput(), i);
      else if (i < axis + ir)
        found = from(o.getIndices(), i - axis);
      else
        found = from(o.getInput(), i - ir + 1);
    } else if (auto o = dyn_cast<EmbeddingOp>(op)) {
      if (i < rank - 1)
        found = from(o.getIds(), i);
    } else if (auto o = dyn_cast<FullOp>(op)) {
      int64_t k = llvm::count_if(t.getShape().take_front(i),
                                 [](int64_t d) { return d == ShapedType::kDynamic; });
      if (auto dim = o.getDynamicDims()[k].getDefiningOp<DimOp>())
        found = from(dim.getInput(), norm(dim.getDim(), dim.getInput().getType().getRank()));
    } else if (auto o = dyn_cast<RangeOp>(op)) {
      auto start = getConstantIntValue(o.getStart()), step = getConstantIntValue(o.getStep());
      if (start == 0 && step == 1)
        if (auto dim = o.getLimit().getDefiningOp<DimOp>())
          found = from(dim.getInput(), norm(dim.getDim(), dim.getInput().getType().getRank()));
    } else if (auto o = dyn_cast<ReduceOp>(op)) {
      int64_t inRank = o.getInput().getType().getRank();
      SmallVector<bool> reduced(inRank, false);
      for (int64_t a : o.getAxes())
        reduced[norm(a, inRank)] = true;
      if (o.getKeepDims()) {
        if (!reduced[i])
          found = from(o.getInput(), i);
      } else {
        for (int64_t j = 0, k = 0; j < inRank; ++j)
          if (!reduced[j] && k++ == i)
            found = from(o.getInput(), j);
      }
    } else if (isa<LstmOp, GruOp, RnnOp>(op)) {
      auto batchFirst = op->getAttrOfType<BoolAttr>("batch_first");
      bool bf = batchFirst && batchFirst.getValue();
      if (resultNumber == 0 && i < 2)
        found = from(op->getOperand(0), i);
      else if (resultNumber > 0 && i == 1)
        found = from(op->getOperand(0), bf ? 0 : 1);
    } else if (auto o = dyn_cast<AttentionOp>(op)) {
      if (resultNumber == 0) {
        if (o.getNumHeads() == 0)
          found = i < rank - 1 ? from(o.getQuery(), i) : from(o.getValue(), i);
        else if (i < 2)
          found = from(o.getQuery(), i);
      }
    }
  }
  Root root = found ? *found : self;
  rootMemo[self] = root;
  return root;
}

Importer::Monomial Importer::monomialOf(Value index) {
  Monomial m;
  if (auto dim = index.getDefiningOp<DimOp>()) {
    auto t = dim.getInput().getType();
    int64_t i = dim.getDim() < 0 ? dim.getDim() + t.getRank() : dim.getDim();
    if (t.isDynamicDim(i))
      m.roots.push_back(rootOf(dim.getInput(), i));
    else
      m.coeff = t.getDimSize(i);
  } else if (auto c = getConstantIntValue(index)) {
    m.coeff = *c;
  } else if (auto mul = index.getDefiningOp<arith::MulIOp>()) {
    Monomial a = monomialOf(mul.getLhs()), b = monomialOf(mul.getRhs());
    m.opaque = a.opaque || b.opaque || llvm::MulOverflow(a.coeff, b.coeff, m.coeff);
    m.roots = a.roots;
    m.roots.append(b.roots);
  } else if (auto div = index.getDefiningOp<arith::DivSIOp>()) {
    Monomial a = monomialOf(div.getLhs()), b = monomialOf(div.getRhs());
    if (a.opaque || b.opaque || !b.roots.empty() || b.coeff == 0 || a.coeff % b.coeff)
      m.opaque = true;
    m.coeff = b.coeff ? a.coeff / b.coeff : 0;
    m.roots = a.roots;
  } else {
    m.opaque = true;
  }
  llvm::sort(m.roots, [](const Root &a, const Root &b) {
    return std::make_pair(a.first.getAsOpaquePointer(), a.second) <
           std::make_pair(b.first.getAsOpaquePointer(), b.second);
  });
  return m;
}

Importer::Monomial Importer::monomialOf(const Sym &s) {
  if (s.isStatic()) {
    Monomial m;
    m.coeff = s.value;
    return m;
  }
  return monomialOf(s.dyn);
}

SmallVector<Importer::Monomial> Importer::dimsOf(Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<Monomial> dims;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    Monomial m;
    if (t.isDynamicDim(i))
      m.roots.push_back(rootOf(x, i));
    else
      m.coeff = t.getDimSize(i);
    dims.push_back(m);
  }
  return dims;
}

namespace {
bool isStaticMonomial(const Importer::Monomial &m) { return !m.opaque && m.roots.empty(); }
bool isSingleRoot(const Importer::Monomial &m) {
  return !m.opaque && m.coeff == 1 && m.roots.size() == 1;
}
bool sameRoot(const Importer::Monomial &a, const Importer::Monomial &b) {
  return isSingleRoot(a) && isSingleRoot(b) && a.roots[0] == b.roots[0];
}
} // namespace

Value Importer::reshapeToImpl(Value x, ArrayRef<Monomial> target, StringRef what) {
  SmallVector<Monomial> in = dimsOf(x);
  int64_t rank = in.size();
  if (static_cast<int64_t>(target.size()) > kMaxRank) {
    error() << "a target rank of " << target.size() << " exceeds the limit " << kMaxRank;
    return {};
  }
  // 1. Direct: static dims, same-position copies and at most one -1.
  SmallVector<int64_t> spec;
  SmallVector<size_t> unknown;
  for (auto [j, m] : llvm::enumerate(target)) {
    if (isStaticMonomial(m) && m.coeff != -1) {
      if (m.coeff < 0) {
        if (!quietReshape)
          error() << "invalid dim " << m.coeff << " in the target shape";
        return {};
      }
      spec.push_back(m.coeff);
    } else if (static_cast<int64_t>(j) < rank && sameRoot(m, in[j])) {
      spec.push_back(0);
    } else {
      unknown.push_back(j);
      spec.push_back(-1);
    }
  }
  if (unknown.size() <= 1)
    return reshape(x, spec);
  size_t literal = llvm::count_if(
      target, [](const Monomial &m) { return isStaticMonomial(m) && m.coeff == -1; });
  if (literal > 1) {
    if (!quietReshape)
      error() << "the target shape has more than one -1";
    return {};
  }
  // 2. One free dim (a -1 or an opaque expression) whose size follows from the
  //    others: element count of the input over the product of the rest.
  SmallVector<size_t> free = llvm::filter_to_vector(
      unknown, [&](size_t j) { return target[j].opaque || isStaticMonomial(target[j]); });
  if (free.size() == 1) {
    Monomial quotient;
    bool ok = true;
    for (const Monomial &m : in) {
      ok &= !llvm::MulOverflow(quotient.coeff, m.coeff, quotient.coeff);
      quotient.roots.append(m.roots);
    }
    for (auto [j, m] : llvm::enumerate(target)) {
      if (j == free[0])
        continue;
      const Monomial &d = spec[j] == 0 ? in[j] : m;
      if (d.coeff == 0 || quotient.coeff % d.coeff) {
        ok = false;
        break;
      }
      quotient.coeff /= d.coeff;
      for (Root r : d.roots) {
        auto it = llvm::find(quotient.roots, r);
        if (it == quotient.roots.end()) {
          ok = false;
          break;
        }
        quotient.roots.erase(it);
      }
    }
    if (ok && quotient.roots.empty()) {
      spec[free[0]] = quotient.coeff;
      unknown.erase(llvm::find(unknown, free[0]));
      if (unknown.size() <= 1)
        return reshape(x, spec);
    }
  }
  // 3. Dims that pass through unchanged but move: transpose them to the
  //    front, reshape the rest, transpose into place.
  SmallVector<int64_t> matchOf(target.size(), -1);
  SmallVector<bool> inMatched(rank, false);
  int64_t last = -1;
  for (auto [j, m] : llvm::enumerate(target)) {
    if (!isSingleRoot(m))
      continue;
    for (int64_t i = last + 1; i < rank; ++i)
      if (sameRoot(m, in[i])) {
        matchOf[j] = i;
        inMatched[i] = true;
        last = i;
        break;
      }
  }
  // Segments between matched dims must hold the same number of elements; at
  // most one segment may be dynamic (its -1 is then inferred).
  int dynamicSegments = 0, minusOnes = 0;
  bool ok = true;
  int64_t i = 0;
  size_t j = 0;
  while (ok && (i <= rank || j <= target.size())) {
    int64_t inProd = 1, outProd = 1;
    bool dynamic = false;
    // Products of hostile dims overflow int64 (found by fuzz-onnx): not a match.
    for (; i < rank && !inMatched[i]; ++i) {
      dynamic |= !isStaticMonomial(in[i]);
      ok &= !llvm::MulOverflow(inProd, in[i].coeff, inProd);
    }
    for (; j < target.size() && matchOf[j] < 0; ++j) {
      if (!isStaticMonomial(target[j]) || target[j].coeff == -1) {
        dynamic = true;
        ++minusOnes;
      } else {
        ok &= !llvm::MulOverflow(outProd, target[j].coeff, outProd);
      }
    }
    if (dynamic)
      ++dynamicSegments;
    else if (inProd != outProd)
      ok = false;
    // Both sides now stand at a matched pair (or at their ends).
    if (i == rank && j == target.size())
      break;
    if (i == rank || j == target.size() || matchOf[j] != i)
      ok = false;
    ++i;
    ++j;
  }
  if (!ok || dynamicSegments > 1 || minusOnes > 1) {
    if (!quietReshape)
      error() << "unsupported dynamic " << what
              << ": the target dims cannot be expressed as copies of input dims plus one "
                 "inferred dim (input "
              << describe(in) << ", target " << describe(target) << ")";
    return {};
  }
  SmallVector<int64_t> perm, spec2;
  for (int64_t k = 0; k < rank; ++k)
    if (inMatched[k])
      perm.push_back(k);
  int64_t passed = perm.size();
  for (int64_t k = 0; k < rank; ++k)
    if (!inMatched[k])
      perm.push_back(k);
  spec2.assign(passed, 0);
  SmallVector<int64_t> outPerm;
  int64_t nextPassed = 0, nextOther = passed;
  for (auto [k, m] : llvm::enumerate(target)) {
    if (matchOf[k] >= 0) {
      outPerm.push_back(nextPassed++);
      continue;
    }
    outPerm.push_back(nextOther++);
    spec2.push_back(isStaticMonomial(m) ? m.coeff : -1);
  }
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [k, v] : llvm::enumerate(p))
      if (static_cast<int64_t>(k) != v)
        return false;
    return true;
  };
  Value y = isIdentity(perm) ? x : transpose(x, perm);
  y = y ? reshape(y, spec2) : Value();
  if (y && !isIdentity(outPerm))
    y = transpose(y, outPerm);
  return y;
}

/// ONNX Gemm is 2-D, so exporters flatten [L, B, K] to [L*B, K] before it
/// and split [L*B, N] back to [L, B, N] after it. With L and B both dynamic
/// the split has no static spec; but heed.linear / heed.matmul take [..., K],
/// so the reshape moves before the product: linear(reshape(z, [L, B, K])).
Value Importer::reshapeThroughLinear(Value x, ArrayRef<Monomial> target) {
  Operation *def = x.getDefiningOp();
  if (!def || target.size() < 2 || !isStaticMonomial(target.back()))
    return {};
  Value flat;
  std::function<Value(Value)> rebuild;
  if (auto linear = dyn_cast<LinearOp>(def)) {
    flat = linear.getInput();
    rebuild = [&, linear](Value in) mutable {
      SmallVector<Value> operands{in, linear.getWeight()};
      if (linear.getBias())
        operands.push_back(linear.getBias());
      return op(LinearOp::getOperationName(), operands,
                {attr("transpose_weight", builder.getBoolAttr(linear.getTransposeWeight()))});
    };
  } else if (auto matmul = dyn_cast<MatmulOp>(def)) {
    if (matmul.getTransposeA() || matmul.getRhs().getType().getRank() != 2)
      return {};
    flat = matmul.getLhs();
    rebuild = [&, matmul](Value in) mutable {
      return op(MatmulOp::getOperationName(), {in, matmul.getRhs()},
                {attr("transpose_b", builder.getBoolAttr(matmul.getTransposeB()))});
    };
  } else {
    return {};
  }
  auto flatType = cast<RankedTensorType>(flat.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  auto source = flat.getDefiningOp<ReshapeOp>();
  if (!source || flatType.getRank() != 2 || flatType.isDynamicDim(1) || xType.isDynamicDim(1) ||
      xType.getDimSize(1) != target.back().coeff)
    return {};
  SmallVector<Monomial> unflattened(target.begin(), target.end());
  unflattened.back() = Monomial();
  unflattened.back().coeff = flatType.getDimSize(1);
  Value z = reshapeTo(source.getInput(), unflattened, "Reshape");
  return z ? rebuild(z) : Value();
}

std::string Importer::describe(ArrayRef<Monomial> dims) {
  std::string text = "[";
  for (auto [i, m] : llvm::enumerate(dims)) {
    if (i)
      text += ", ";
    if (m.opaque) {
      text += "?";
      continue;
    }
    SmallVector<std::string> factors;
    if (m.coeff != 1 || m.roots.empty())
      factors.push_back(std::to_string(m.coeff));
    for (Root r : m.roots) {
      auto it = rootNames.find(r);
      factors.push_back(it != rootNames.end() ? it->second
                                              : "d" + std::to_string(rootNames.size()));
      if (it == rootNames.end())
        rootNames[r] = factors.back();
    }
    text += llvm::join(factors, "*");
  }
  return text + "]";
}

Value Importer::reshapeTo(Value x, ArrayRef<Monomial> target, StringRef what) {
  Value y = reshapeToImpl(x, target, what);
  if (!y)
    return y;
  // A target dim that is a copy of a known dim keeps its root, even where the
  // reshape spells it -1 or moves it with transposes.
  auto t = cast<RankedTensorType>(y.getType());
  for (auto [j, m] : llvm::enumerate(target))
    if (isSingleRoot(m) && t.isDynamicDim(j))
      rootMemo[{y, static_cast<int64_t>(j)}] = m.roots[0];
  return y;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult Importer::importReshape(const ::onnx::NodeProto &node) {
  Value x = input(node, 0);
  if (!x)
    return failure();
  const Known *k = known(node.input(1));
  if (!k)
    return error() << "unsupported dynamic Reshape: the target shape must be computable from "
                      "dims when the model is imported";
  if (k->shape.size() != 1)
    return error() << "expects a 1-D shape, got rank " << k->shape.size();
  bool allowZero = intAttr(node, "allowzero", 0);
  SmallVector<Monomial> in = dimsOf(x), target;
  auto isStatic = [&](int64_t v) {
    return llvm::any_of(k->elems, [&](const Sym &s) { return s.isStatic() && s.value == v; });
  };
  // ONNX: with allowzero=1 a 0 is a zero-sized dim, and then no dim may be -1.
  if (allowZero && isStatic(0) && isStatic(-1))
    return error() << "Reshape with allowzero=1 cannot have both 0 and -1 in the target shape";
  if (allowZero && isStatic(0)) {
    // A zero-sized dim: the result has no elements, so it is an empty tensor of the target
    // shape (heed.reshape's 0 means "copy the input dim", as ONNX's does without allowzero).
    auto xt = cast<RankedTensorType>(x.getType());
    if (!llvm::is_contained(xt.getShape(), 0))
      return error() << "Reshape with allowzero=1 gives a tensor with no elements, but the input "
                     << xt << " is not statically empty";
    SmallVector<int64_t> shape;
    for (const Sym &s : k->elems) {
      if (!s.isStatic())
        return error() << "unsupported Reshape with allowzero=1, a 0 and a dynamic dim in the "
                          "target shape";
      shape.push_back(s.value);
    }
    Type et = xt.getElementType();
    TypedAttr zero = isa<FloatType>(et)        ? TypedAttr(builder.getFloatAttr(et, 0))
                     : et.isSignlessInteger(1) ? TypedAttr(builder.getBoolAttr(false))
                                               : TypedAttr(builder.getIntegerAttr(et, 0));
    return define(node, 0,
                  FullOp::create(builder, loc, RankedTensorType::get(shape, et), zero, ValueRange())
                      .getResult());
  }
  for (auto [j, s] : llvm::enumerate(k->elems)) {
    if (s.isStatic() && s.value == 0) {
      if (j >= in.size())
        return error() << "the target shape copies dim " << j << " (0) of a rank-" << in.size()
                       << " input";
      target.push_back(in[j]);
      continue;
    }
    if (s.isStatic() && s.value < -1)
      return error() << "invalid dim " << s.value << " in the target shape";
    target.push_back(monomialOf(s));
  }
  // Quietly first: a split of a merged dim may still work through the linear
  // that needed the merge; then loudly, for the error.
  quietReshape = true;
  Value y = reshapeTo(x, target, "Reshape");
  if (!y)
    y = reshapeThroughLinear(x, target);
  quietReshape = false;
  if (!y)
    y = reshapeTo(x, target, "Reshape");
  return y ? define(node, 0, y) : failure();
}

LogicalResult Importer::importRecurrent(const ::onnx::NodeProto &node) {
  StringRef type = node.op_type();
  int64_t gates = type == "LSTM" ? 4 : type == "GRU" ? 3 : 1;
  std::string direction = stringAttr(node, "direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return error() << "unknown direction '" << direction
                   << "'; expected forward, reverse or bidirectional";
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  std::optional<double> clip;
  if (const auto *a = attribute(node, "clip")) {
    clip = a->f();
    if (!(*clip > 0))
      return error() << "expects a positive 'clip', got " << *clip;
  }
  bool peepholes = type == "LSTM" && has(node, 7);
  bool inputForget = type == "LSTM" && intAttr(node, "input_forget", 0) != 0;
  bool batchFirst = intAttr(node, "layout", 0) == 1;
  RnnActivation activation = RnnActivation::tanh;
  if (auto *a = attribute(node, "activations")) {
    SmallVector<std::string> acts(a->strings().begin(), a->strings().end());
    SmallVector<std::string> expected;
    if (type == "LSTM")
      expected = {"Sigmoid", "Tanh", "Tanh"};
    else if (type == "GRU")
      expected = {"Sigmoid", "Tanh"};
    else
      expected = {acts.empty() ? "Tanh" : acts[0]};
    SmallVector<std::string> full;
    for (int64_t d = 0; d < dirs; ++d)
      full.append(expected);
    if (type == "RNN" && !acts.empty() && acts[0] == "Relu")
      activation = RnnActivation::relu;
    if (acts != full &&
        !(acts.size() * dirs == full.size() &&
          SmallVector<std::string>(full.begin(), full.begin() + acts.size()) == acts))
      return error() << "unsupported activations; Heed's cells use the defaults (and Relu "
                        "for RNN)";
    if (type == "RNN" && acts[0] != "Tanh" && acts[0] != "Relu")
      return error() << "unsupported RNN activation '" << acts[0] << "'";
  }
  Value x = input(node, 0), w = input(node, 1), r = input(node, 2);
  if (!x || !w || !r)
    return failure();
  auto wt = cast<RankedTensorType>(w.getType()), rt = cast<RankedTensorType>(r.getType());
  if (wt.getRank() != 3 || rt.getRank() != 3 || wt.isDynamicDim(1) || rt.isDynamicDim(2))
    return error() << "expects W [dirs, G*H, I] and R [dirs, G*H, H] with static sizes";
  int64_t hidden = intAttr(node, "hidden_size", rt.getDimSize(2));
  if (hidden <= 0 || wt.getDimSize(1) != gates * hidden || rt.getDimSize(2) != hidden)
    return error() << "W/R shapes " << wt << " and " << rt << " do not match hidden_size " << hidden
                   << " with " << gates << " gates";
  int64_t inputSize = wt.getDimSize(2);
  // ONNX gate chunks -> PyTorch order.
  SmallVector<int64_t> order = type == "LSTM"  ? SmallVector<int64_t>{0, 2, 3, 1}
                               : type == "GRU" ? SmallVector<int64_t>{1, 0, 2}
                                               : SmallVector<int64_t>{0};
  auto reorder = [&](Value m) -> Value {
    if (gates == 1)
      return m;
    SmallVector<Value> chunks;
    for (int64_t g : order)
      chunks.push_back(slice(m, 0, g * hidden, (g + 1) * hidden));
    return concat(chunks, 0);
  };
  Value b = has(node, 3) ? input(node, 3) : Value();
  Value p = peepholes ? input(node, 7) : Value();
  if (peepholes && !p)
    return failure();
  if (p) {
    auto pt = cast<RankedTensorType>(p.getType());
    if (pt.getRank() != 2 || pt.getDimSize(0) != dirs || pt.getDimSize(1) != 3 * hidden)
      return error() << "expects peepholes P of shape [" << dirs << ", " << 3 * hidden << "], got "
                     << pt;
  }
  SmallVector<Value> weights;
  for (int64_t d = 0; d < dirs; ++d) {
    weights.push_back(reorder(reshape(slice(w, 0, d, d + 1), {gates * hidden, inputSize})));
    weights.push_back(reorder(reshape(slice(r, 0, d, d + 1), {gates * hidden, hidden})));
    if (b) {
      Value bd = reshape(slice(b, 0, d, d + 1), {2 * gates * hidden});
      weights.push_back(reorder(slice(bd, 0, 0, gates * hidden)));
      weights.push_back(reorder(slice(bd, 0, gates * hidden, 2 * gates * hidden)));
    }
    if (p) {
      // ONNX P[iof] -> heed.lstm's i, f, o.
      Value pd = reshape(slice(p, 0, d, d + 1), {3 * hidden});
      weights.push_back(concat({slice(pd, 0, 0, hidden), slice(pd, 0, 2 * hidden, 3 * hidden),
                                slice(pd, 0, hidden, 2 * hidden)},
                               0));
    }
  }
  if (llvm::any_of(weights, [](Value v) { return !v; }))
    return failure();
  auto stateIn = [&](int i) -> Value {
    if (!has(node, i))
      return {};
    Value s = input(node, i);
    return batchFirst ? transpose(s, {1, 0, 2}) : s;
  };
  Value h0 = stateIn(5), c0 = type == "LSTM" ? stateIn(6) : Value();
  Value lengths = has(node, 4) ? input(node, 4) : Value();
  if (type == "LSTM" && (bool(h0) != bool(c0))) {
    // heed.lstm takes both initial states or neither: fill in zeros.
    Value given = h0 ? h0 : c0;
    Value zero =
        op(MulOp::getOperationName(),
           {given, scalarConstant(cast<RankedTensorType>(given.getType()).getElementType(), 0)});
    (h0 ? c0 : h0) = zero;
  }
  SmallVector<Value> operands{x};
  SmallVector<int32_t> segments{1};
  if (h0) {
    operands.push_back(h0);
    segments.push_back(1);
  } else {
    segments.push_back(0);
  }
  if (type == "LSTM") {
    if (c0)
      operands.push_back(c0);
    segments.push_back(c0 ? 1 : 0);
  }
  if (lengths)
    operands.push_back(lengths);
  segments.push_back(lengths ? 1 : 0);
  operands.append(weights);
  segments.push_back(weights.size());
  SmallVector<NamedAttribute> attrs{
      i64("hidden_size", hidden), attr("bidirectional", builder.getBoolAttr(dirs == 2)),
      attr("batch_first", builder.getBoolAttr(batchFirst)),
      attr("has_biases", builder.getBoolAttr(bool(b))),
      attr("operandSegmentSizes", builder.getDenseI32ArrayAttr(segments))};
  if (direction == "reverse")
    attrs.push_back(attr("reverse", builder.getBoolAttr(true)));
  if (clip)
    attrs.push_back(attr("clip", builder.getF64FloatAttr(*clip)));
  if (peepholes)
    attrs.push_back(attr("peepholes", builder.getBoolAttr(true)));
  if (inputForget)
    attrs.push_back(attr("input_forget", builder.getBoolAttr(true)));
  StringRef opName = LstmOp::getOperationName();
  if (type == "GRU") {
    opName = GruOp::getOperationName();
    attrs.push_back(attr("linear_before_reset",
                         builder.getBoolAttr(intAttr(node, "linear_before_reset", 0) != 0)));
  } else if (type == "RNN") {
    opName = RnnOp::getOperationName();
    attrs.push_back(attr("activation", RnnActivationAttr::get(&context, activation)));
  }
  Operation *o = build(opName, operands, attrs, type == "LSTM" ? 3 : 2);
  if (!o)
    return failure();
  // Y: heed [T, B, dirs*H] -> ONNX [T, dirs, B, H] (batch first: [B, T, dirs, H]).
  if (node.output_size() > 0 && !node.output(0).empty()) {
    Value y = reshape(o->getResult(0), {0, 0, dirs, hidden});
    if (!batchFirst)
      y = transpose(y, {0, 2, 1, 3});
    if (failed(define(node, 0, y)))
      return failure();
  }
  for (int i = 1; i < static_cast<int>(o->getNumResults()); ++i) {
    Value s = o->getResult(i);
    if (batchFirst)
      s = transpose(s, {1, 0, 2});
    if (node.output_size() > i && failed(define(node, i, s)))
      return failure();
  }
  return success();
}

LogicalResult Importer::importAttention(const ::onnx::NodeProto &node) {
  Value q = input(node, 0), k = input(node, 1), v = input(node, 2);
  if (!q || !k || !v)
    return failure();
  if (floatAttr(node, "softcap", 0.0f) != 0.0f)
    return error() << "unsupported softcap";
  auto qt = cast<RankedTensorType>(q.getType());
  bool past = has(node, 4) || has(node, 5);
  if (past) {
    if (!has(node, 4) || !has(node, 5))
      return error() << "expects both past_key and past_value, or neither";
    if (qt.getRank() != 4)
      return error() << "unsupported past_key/past_value with 3-D inputs";
    if (has(node, 6))
      return error() << "unsupported: both past_key/past_value and nonpad_kv_seqlen";
  }
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty() && (i == 3 || qt.getRank() != 4))
      return error() << "unsupported output " << i
                     << (i == 3 ? " (qk_matmul_output is not produced)"
                                : " (present_key and present_value need 4-D inputs)");
  int64_t qHeads = intAttr(node, "q_num_heads", 0), kvHeads = intAttr(node, "kv_num_heads", 0);
  int64_t headSize;
  if (qt.getRank() == 4) {
    headSize = qt.getDimSize(3);
  } else if (qt.getRank() == 3) {
    if (qHeads <= 0 || kvHeads <= 0)
      return error() << "3-D inputs need q_num_heads and kv_num_heads";
    headSize = qt.isDynamicDim(2) ? kDyn : qt.getDimSize(2) / qHeads;
  } else {
    return error() << "expects 3-D or 4-D query, got " << qt;
  }
  float scale = floatAttr(node, "scale", 0.0f);
  if (!attribute(node, "scale")) {
    if (headSize == kDyn || headSize <= 0)
      return error() << "unsupported dynamic head size without an explicit scale";
    scale = 1.0f / std::sqrt(static_cast<float>(headSize));
  }
  // The sequence axis of q, k and v: [B, H, L, D] or [B, L, H*D].
  const int64_t seqAxis = qt.getRank() == 4 ? 2 : 1;
  if (past) {
    // The cache grows by the new keys and values: present = concat(past, new) on the
    // sequence axis, which is also what the queries attend to.
    k = concat({input(node, 4), k}, seqAxis);
    v = concat({input(node, 5), v}, seqAxis);
    if (failed(define(node, 1, k)) || failed(define(node, 2, v)))
      return failure();
  } else if ((node.output_size() > 1 && !node.output(1).empty() && failed(define(node, 1, k))) ||
             (node.output_size() > 2 && !node.output(2).empty() && failed(define(node, 2, v)))) {
    return failure();
  }
  auto dimOf = [&](Value x, int64_t d) -> Value {
    return DimOp::create(builder, loc, builder.getIndexType(), x, builder.getI64IntegerAttr(d));
  };
  bool causal = intAttr(node, "is_causal", 0) != 0;
  MaskKind kind = MaskKind::none;
  SmallVector<Value> operands{q, k, v};
  if (has(node, 3)) {
    Value mask = padMaskToKeys(input(node, 3), k, seqAxis);
    if (!mask)
      return failure();
    kind = cast<RankedTensorType>(mask.getType()).getElementType().isInteger(1)
               ? MaskKind::boolean
               : MaskKind::additive;
    operands.push_back(mask);
  }
  if (has(node, 6)) {
    if (has(node, 3))
      return error() << "unsupported: both attn_mask and nonpad_kv_seqlen";
    Value lengths = input(node, 6);
    if (!causal) {
      kind = MaskKind::lengths;
      operands.push_back(lengths);
    } else {
      // The causal diagonal sits at each row's own end: query i of batch b sees key j iff
      // j <= i + nonpad_kv_seqlen[b] - Lq (which also keeps j < nonpad_kv_seqlen[b]), i.e.
      // (j - (i - Lq)) <= nonpad_kv_seqlen[b]. heed.attention's causal_align cannot say
      // "per row", so the frontend builds that [B, 1, Lq, Lk] boolean mask.
      Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
      Value one = arith::ConstantIndexOp::create(builder, loc, 1);
      Value lq = dimOf(q, seqAxis);
      Value rows = op(RangeOp::getOperationName(),
                      {arith::SubIOp::create(builder, loc, zero, lq), zero, one}); // i - Lq
      Value cols = op(RangeOp::getOperationName(), {zero, dimOf(k, seqAxis), one});
      Value diff = op(SubOp::getOperationName(), {reshape(cols, {1, -1}), reshape(rows, {-1, 1})});
      Value len = reshape(castTo(lengths, builder.getI64Type()), {-1, 1, 1, 1});
      Value keep = op(CompareOp::getOperationName(), {diff, len},
                      {attr("predicate", CompareKindAttr::get(&context, CompareKind::le))});
      if (!keep)
        return failure();
      kind = MaskKind::boolean;
      operands.push_back(keep);
      causal = false;
    }
  }
  if (causal)
    kind = kind | MaskKind::causal;
  SmallVector<NamedAttribute> attrs{
      attr("scale", builder.getF32FloatAttr(scale)),
      attr("mask_kind", MaskKindAttr::get(&context, kind)),
      attr("masked_rows",
           MaskedRowsAttr::get(&context, opset >= 24 ? MaskedRows::zero : MaskedRows::nan))};
  // With a cache the new queries are the last Lq positions: query i sees the past and the new
  // keys up to itself (bottom-right); without one the spec's cut is upper-left (the default).
  if (past && causal)
    attrs.push_back(
        attr("causal_align", CausalAlignAttr::get(&context, CausalAlign::bottom_right)));
  if (qt.getRank() == 3) {
    attrs.push_back(i64("num_heads", qHeads));
    attrs.push_back(i64("num_kv_heads", kvHeads));
  }
  return define(node, 0, op(AttentionOp::getOperationName(), operands, attrs));
}

Value Importer::padMaskToKeys(Value mask, Value keys, int64_t seqAxis) {
  // The spec pads an attn_mask shorter than the keys with -inf (false) up to the key length;
  // it does not broadcast it.
  if (!mask)
    return {};
  auto mt = cast<RankedTensorType>(mask.getType());
  auto kt = cast<RankedTensorType>(keys.getType());
  int64_t last = mt.getRank() - 1;
  if (last < 0)
    return mask; // a scalar mask broadcasts (the heed op checks it)
  int64_t m = mt.getDimSize(last), n = kt.getDimSize(seqAxis);
  if (m != kDyn && m == n)
    return mask;
  auto dimOf = [&](Value x, int64_t d) -> Value {
    return DimOp::create(builder, loc, builder.getIndexType(), x, builder.getI64IntegerAttr(d));
  };
  SmallVector<int64_t> padShape(mt.getShape());
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < last; ++i)
    if (mt.isDynamicDim(i))
      dynamic.push_back(dimOf(mask, i));
  if (m != kDyn && n != kDyn) {
    if (n < m) {
      error() << "has an attn_mask over " << m << " keys, more than the " << n << " keys";
      return {};
    }
    padShape[last] = n - m;
  } else {
    padShape[last] = kDyn; // a mask longer than the keys gives a negative size: a run error
    dynamic.push_back(arith::SubIOp::create(builder, loc, dimOf(keys, seqAxis), dimOf(mask, last)));
  }
  Type et = mt.getElementType();
  TypedAttr fill =
      et.isInteger(1)
          ? TypedAttr(builder.getBoolAttr(false))
          : TypedAttr(builder.getFloatAttr(et, -std::numeric_limits<double>::infinity()));
  Value pad =
      FullOp::create(builder, loc, RankedTensorType::get(padShape, et), fill, dynamic).getResult();
  return concat({mask, pad}, last);
}

LogicalResult Importer::importNode(const ::onnx::NodeProto &node) {
  StringRef type = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return error() << "unsupported operator '" << node.domain() << "." << type << "'";
  if (llvm::all_of(node.output(), [](const std::string &o) { return o.empty(); }) ||
      (type == "Constant" && node.output(0).empty()))
    return error() << "has no output";
  // Inputs that must be present (non-empty names).
  static const llvm::StringMap<int> required = {{"Add", 2},
                                                {"Sub", 2},
                                                {"Mul", 2},
                                                {"Div", 2},
                                                {"Pow", 2},
                                                {"And", 2},
                                                {"Or", 2},
                                                {"Equal", 2},
                                                {"Less", 2},
                                                {"LessOrEqual", 2},
                                                {"Greater", 2},
                                                {"GreaterOrEqual", 2},
                                                {"MatMul", 2},
                                                {"Gemm", 2},
                                                {"Where", 3},
                                                {"Reshape", 2},
                                                {"Gather", 2},
                                                {"Expand", 2},
                                                {"Range", 3},
                                                {"LSTM", 3},
                                                {"GRU", 3},
                                                {"RNN", 3},
                                                {"Attention", 3},
                                                {"Constant", 0},
                                                {"Slice", opset >= 10 ? 3 : 1}};
  auto req = required.find(type);
  int needed = req == required.end() ? 1 : req->second;
  if (type == "Concat" || type == "Max" || type == "Min")
    needed = std::max(1, node.input_size());
  for (int i = 0; i < needed; ++i)
    if (!has(node, i))
      return error() << "expects input " << i << " (" << needed << " required), got "
                     << (i < node.input_size() ? "an empty name" : "none");
  for (int i = 0; i < node.input_size(); ++i)
    if (has(node, i) && !known(node.input(i)) && !values[node.input(i)].value)
      return error() << "uses value '" << node.input(i) << "', which its producer does not define";
  bool folded;
  if (failed(foldNode(node, folded)))
    return failure();
  if (folded)
    return success();
  // Every branch below reads input 0's type: a known value whose materialization
  // failed (reported) is null here, not an operand (found by fuzz-onnx).
  if (has(node, 0) && !input(node, 0))
    return failure();

  auto unary = [&](StringRef name) { return define(node, 0, op(name, {input(node, 0)})); };
  auto binary = [&](StringRef name) {
    return define(node, 0, op(name, {input(node, 0), input(node, 1)}));
  };
  auto compare = [&](CompareKind kind) {
    return define(node, 0,
                  op(CompareOp::getOperationName(), {input(node, 0), input(node, 1)},
                     {attr("predicate", CompareKindAttr::get(&context, kind))}));
  };
  auto rankOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank(); };
  auto elementOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); };

  if (type == "Add")
    return binary(AddOp::getOperationName());
  if (type == "Sub")
    return binary(SubOp::getOperationName());
  if (type == "Mul")
    return binary(MulOp::getOperationName());
  if (type == "Div")
    return binary(DivOp::getOperationName());
  if (type == "Max" || type == "Min") {
    Value acc = input(node, 0);
    for (int i = 1; i < node.input_size() && acc; ++i)
      acc = op(type == "Max" ? MaxOp::getOperationName() : MinOp::getOperationName(),
               {acc, input(node, i)});
    return define(node, 0, acc);
  }
  if (type == "Pow") {
    Value x = input(node, 0), y = input(node, 1);
    if (!x || !y)
      return failure();
    Type et = elementOf(x);
    if (!isa<FloatType>(et)) {
      // Integer powers go through f64, exact for the results that fit.
      Value p = op(PowOp::getOperationName(),
                   {castTo(x, builder.getF64Type()), castTo(y, builder.getF64Type())});
      return define(node, 0, castTo(p, et));
    }
    return define(node, 0, op(PowOp::getOperationName(), {x, castTo(y, et)}));
  }
  if (type == "And")
    return binary(AndOp::getOperationName());
  if (type == "Or")
    return binary(OrOp::getOperationName());
  if (type == "Equal")
    return compare(CompareKind::eq);
  if (type == "Less")
    return compare(CompareKind::lt);
  if (type == "LessOrEqual")
    return compare(CompareKind::le);
  if (type == "Greater")
    return compare(CompareKind::gt);
  if (type == "GreaterOrEqual")
    return compare(CompareKind::ge);
  if (type == "Sqrt")
    return unary(SqrtOp::getOperationName());
  if (type == "Tanh")
    return unary(TanhOp::getOperationName());
  if (type == "Sigmoid")
    return unary(SigmoidOp::getOperationName());
  if (type == "Relu")
    return unary(ReluOp::getOperationName());
  if (type == "Erf")
    return unary(ErfOp::getOperationName());
  if (type == "Exp")
    return unary(ExpOp::getOperationName());
  if (type == "Log")
    return unary(LogOp::getOperationName());
  if (type == "Neg")
    return unary(NegOp::getOperationName());
  if (type == "Abs")
    return unary(AbsOp::getOperationName());
  if (type == "Reciprocal")
    return unary(ReciprocalOp::getOperationName());
  if (type == "Not")
    return unary(NotOp::getOperationName());
  if (type == "Identity")
    return define(node, 0, input(node, 0));
  if (type == "Dropout") {
    if (opset >= 12 && has(node, 2)) {
      const Known *training = known(node.input(2));
      if (!training || !training->isStatic())
        return error() << "unsupported Dropout with a dynamic training_mode";
      if (training->elems.size() != 1)
        return error() << "expects a one-element training_mode, got " << training->elems.size()
                       << " elements";
      // Training with ratio 0 keeps everything; any other ratio is random.
      bool zeroRatio = false;
      if (has(node, 1))
        if (auto c = input(node, 1).getDefiningOp<ConstantOp>())
          if (auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue()))
            zeroRatio = dense.isSplat() && dense.getSplatValue<APFloat>().isZero();
      if (training->elems[0].value && !zeroRatio)
        return error() << "unsupported Dropout in training mode";
    }
    Value x = input(node, 0);
    if (node.output_size() > 1 && !node.output(1).empty()) {
      // The mask keeps every element.
      auto t = cast<RankedTensorType>(x.getType());
      SmallVector<Value> dynamic;
      for (int64_t i = 0; i < t.getRank(); ++i)
        if (t.isDynamicDim(i))
          dynamic.push_back(
              DimOp::create(builder, loc, builder.getIndexType(), x, builder.getI64IntegerAttr(i)));
      auto maskType = RankedTensorType::get(t.getShape(), builder.getI1Type());
      if (failed(define(node, 1,
                        FullOp::create(builder, loc, maskType, builder.getBoolAttr(true), dynamic)
                            .getResult())))
        return failure();
    }
    return define(node, 0, x);
  }
  if (type == "Where")
    return define(
        node, 0, op(WhereOp::getOperationName(), {input(node, 0), input(node, 1), input(node, 2)}));
  if (type == "Cast") {
    FailureOr<Type> to = elementType(intAttr(node, "to", 0), "Cast's 'to'");
    if (failed(to))
      return failure();
    return define(node, 0, castTo(input(node, 0), *to));
  }
  if (type == "Softmax" || type == "LogSoftmax") {
    Value x = input(node, 0);
    int64_t axis = intAttr(node, "axis", opset >= 13 ? -1 : 1);
    auto n = axisOf(axis, rankOf(x));
    if (failed(n))
      return failure();
    if (opset < 13 && *n != rankOf(x) - 1)
      return error() << "unsupported opset " << opset
                     << " softmax over the flattened dims from axis " << axis;
    return define(
        node, 0,
        op(type == "Softmax" ? SoftmaxOp::getOperationName() : LogSoftmaxOp::getOperationName(),
           {x}, {i64("axis", *n)}));
  }
  if (type == "MatMul") {
    Value a = input(node, 0), b = input(node, 1);
    if (!a || !b)
      return failure();
    bool vecA = rankOf(a) == 1, vecB = rankOf(b) == 1;
    if (vecA)
      a = reshape(a, {1, -1});
    if (vecB)
      b = reshape(b, {-1, 1});
    Value y = op(MatmulOp::getOperationName(), {a, b});
    if (y && (vecA || vecB)) {
      auto t = cast<RankedTensorType>(y.getType());
      SmallVector<int64_t> spec;
      for (int64_t i = 0; i < t.getRank() - 2; ++i)
        spec.push_back(0);
      if (!vecA)
        spec.push_back(t.isDynamicDim(t.getRank() - 2) ? -1 : t.getDimSize(t.getRank() - 2));
      if (!vecB)
        spec.push_back(t.isDynamicDim(t.getRank() - 1) ? -1 : t.getDimSize(t.getRank() - 1));
      y = reshape(y, spec);
    }
    return define(node, 0, y);
  }
  if (type == "Gemm") {
    Value a = input(node, 0), b = input(node, 1);
    Value c = has(node, 2) ? input(node, 2) : Value();
    float alpha = floatAttr(node, "alpha", 1.0f), beta = floatAttr(node, "beta", 1.0f);
    bool transA = intAttr(node, "transA", 0), transB = intAttr(node, "transB", 0);
    Value y;
    auto bt = cast<RankedTensorType>(b.getType());
    int64_t n = bt.getRank() == 2 ? bt.getDimSize(transB ? 0 : 1) : kDyn;
    bool cIsBias =
        c && rankOf(c) == 1 && n != kDyn && cast<RankedTensorType>(c.getType()).getDimSize(0) == n;
    if (!transA && alpha == 1.0f && (!c || (beta == 1.0f && cIsBias))) {
      SmallVector<Value> operands{a, b};
      if (c)
        operands.push_back(c);
      return define(node, 0,
                    op(LinearOp::getOperationName(), operands,
                       {attr("transpose_weight", builder.getBoolAttr(transB))}));
    }
    y = op(MatmulOp::getOperationName(), {a, b},
           {attr("transpose_a", builder.getBoolAttr(transA)),
            attr("transpose_b", builder.getBoolAttr(transB))});
    if (y && alpha != 1.0f)
      y = op(MulOp::getOperationName(), {y, scalarConstant(elementOf(y), alpha)});
    if (y && c) {
      if (beta != 1.0f)
        c = op(MulOp::getOperationName(), {c, scalarConstant(elementOf(c), beta)});
      y = op(AddOp::getOperationName(), {y, c});
    }
    return define(node, 0, y);
  }
  if (type == "Transpose") {
    Value x = input(node, 0);
    int64_t rank = rankOf(x);
    SmallVector<int64_t> perm;
    if (auto p = intsAttr(node, "perm"))
      perm = *p;
    else
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    return define(node, 0, transpose(x, perm));
  }
  if (type == "Reshape")
    return importReshape(node);
  if (type == "Flatten") {
    Value x = input(node, 0);
    SmallVector<Monomial> in = dimsOf(x);
    auto axis = axisOf(intAttr(node, "axis", 1), in.size() + 1);
    if (failed(axis))
      return failure();
    SmallVector<Monomial> target(2);
    for (auto [i, m] : llvm::enumerate(in)) {
      Monomial &t = target[static_cast<int64_t>(i) < *axis ? 0 : 1];
      t.opaque |= m.opaque || llvm::MulOverflow(t.coeff, m.coeff, t.coeff);
      t.roots.append(m.roots);
    }
    Value y = reshapeTo(x, target, "Flatten");
    return y ? define(node, 0, y) : failure();
  }
  if (type == "Squeeze" || type == "Unsqueeze") {
    Value x = input(node, 0);
    auto from = squeezedDims(node, cast<RankedTensorType>(x.getType()).getShape());
    if (failed(from))
      return failure();
    SmallVector<Monomial> in = dimsOf(x), target;
    for (int64_t f : *from) {
      if (f < 0)
        target.push_back(Monomial());
      else
        target.push_back(in[f]);
    }
    Value y = reshapeTo(x, target, type);
    return y ? define(node, 0, y) : failure();
  }
  if (type == "Concat") {
    SmallVector<Value> xs;
    for (int i = 0; i < node.input_size(); ++i)
      xs.push_back(input(node, i));
    if (xs.empty())
      return error() << "expects at least one input";
    auto axis = axisOf(intAttr(node, "axis", 0), rankOf(xs[0]));
    if (failed(axis))
      return failure();
    return define(node, 0, concat(xs, *axis));
  }
  if (type == "Split") {
    Value x = input(node, 0);
    auto t = cast<RankedTensorType>(x.getType());
    auto axis = axisOf(intAttr(node, "axis", 0), t.getRank());
    if (failed(axis))
      return failure();
    SmallVector<int64_t> sizes;
    if (opset >= 13 && has(node, 1)) {
      auto v = staticInts(node, 1, "split sizes");
      if (failed(v))
        return failure();
      sizes = *v;
    } else if (auto s = intsAttr(node, "split")) {
      sizes = *s;
    } else {
      int64_t n = intAttr(node, "num_outputs", node.output_size());
      // Checked before the loop below: n sizes are built, then divided by n.
      if (n < 1 || n != node.output_size())
        return error() << "has " << node.output_size() << " outputs but num_outputs is " << n;
      if (t.isDynamicDim(*axis))
        return error() << "unsupported dynamic Split: equal parts of a dynamic dim";
      int64_t d = t.getDimSize(*axis), part = (d + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(part, d - i * part)));
    }
    if (static_cast<int64_t>(sizes.size()) != node.output_size())
      return error() << "has " << node.output_size() << " outputs but " << sizes.size()
                     << " split sizes";
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0)
        return error() << "negative split size " << s;
      if (llvm::AddOverflow(total, s, total)) // found by fuzz-onnx
        return error() << "the split sizes add up past 2^63";
    }
    // ONNX: the sizes must add up to the dim. Past it slicing would clamp the last parts (short
    // outputs); below it the tail would be dropped silently.
    if (!t.isDynamicDim(*axis) && total != t.getDimSize(*axis))
      return error() << "the split sizes add up to " << total << ", not the " << t.getDimSize(*axis)
                     << " elements of axis " << *axis;
    // On a dynamic dim the sizes are checked when the model runs: a reshape that keeps every
    // other dim and sets this one to the total fails, naming this node, when they differ.
    if (t.isDynamicDim(*axis) && total > 0) {
      SmallVector<int64_t> spec(t.getRank(), 0);
      spec[*axis] = total;
      x = reshape(x, spec);
      if (!x)
        return error() << "cannot check the split sizes against the dynamic dim";
    }
    int64_t start = 0;
    for (auto [i, s] : llvm::enumerate(sizes)) {
      if (failed(define(node, i, slice(x, *axis, start, start + s))))
        return failure();
      start += s;
    }
    return success();
  }
  if (type == "Slice") {
    Value x = input(node, 0);
    int64_t rank = rankOf(x);
    SmallVector<int64_t> starts, ends, axes, steps;
    if (opset >= 10) {
      auto s = staticInts(node, 1, "Slice starts");
      auto e = staticInts(node, 2, "Slice ends");
      if (failed(s) || failed(e))
        return failure();
      starts = *s;
      ends = *e;
      if (has(node, 3)) {
        auto a = staticInts(node, 3, "Slice axes");
        if (failed(a))
          return failure();
        axes = *a;
      }
      if (has(node, 4)) {
        auto st = staticInts(node, 4, "Slice steps");
        if (failed(st))
          return failure();
        steps = *st;
      }
    } else {
      starts = intsAttr(node, "starts").value_or(SmallVector<int64_t>{});
      ends = intsAttr(node, "ends").value_or(SmallVector<int64_t>{});
      axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>{});
    }
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i)
        axes.push_back(i);
    if (steps.empty())
      steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      return error() << "starts, ends, axes and steps differ in length";
    for (size_t i = 0; i < starts.size() && x; ++i) {
      auto axis = axisOf(axes[i], rank);
      if (failed(axis))
        return failure();
      if (steps[i] == 0)
        return error() << "Slice step 0";
      if (steps[i] < 0) {
        // Backwards: a gather of the indices, for a static dim.
        auto t = cast<RankedTensorType>(x.getType());
        if (t.isDynamicDim(*axis))
          return error() << "unsupported Slice step " << steps[i] << " over a dynamic dim";
        int64_t n = t.getDimSize(*axis), step = steps[i];
        // As NumPy (which produced the ONNX reference outputs): after adding
        // n, indices below 0 are "before the first" (-1), above n-1 the last.
        auto clampIndex = [&](int64_t v) {
          if (v < 0)
            v = v < -n ? -1 : v + n;
          return std::clamp<int64_t>(v, -1, n - 1);
        };
        SmallVector<int64_t> indices;
        for (int64_t k = clampIndex(starts[i]), e = clampIndex(ends[i]); k > e; k += step)
          indices.push_back(k);
        x = op(GatherOp::getOperationName(),
               {x, constantI64(indices, {static_cast<int64_t>(indices.size())})},
               {i64("axis", *axis)});
        continue;
      }
      x = slice(x, *axis, starts[i], ends[i], steps[i]);
    }
    return define(node, 0, x);
  }
  if (type == "Gather") {
    Value x = input(node, 0);
    auto axis = axisOf(intAttr(node, "axis", 0), rankOf(x));
    if (failed(axis))
      return failure();
    // Constant indices are checked now; others at run time.
    auto xt = cast<RankedTensorType>(x.getType());
    if (const Known *k = known(node.input(1)); k && !xt.isDynamicDim(*axis)) {
      int64_t n = xt.getDimSize(*axis);
      for (const Sym &i : k->elems)
        if (i.isStatic() && (i.value < -n || i.value >= n))
          return error() << "index " << i.value << " is out of range for a dim of size " << n;
    }
    return define(node, 0,
                  op(GatherOp::getOperationName(), {x, input(node, 1)}, {i64("axis", *axis)}));
  }
  if (type == "Expand" || type == "ConstantOfShape")
    return importShapeLike(node, type);
  if (type == "Shape" || type == "Size")
    return error() << "unsupported dynamic " << type;
  if (type == "Range") {
    // Static float ranges fold to constants.
    SmallVector<double> floats;
    for (int i = 0; i < 3; ++i)
      if (Value v = has(node, i) && !known(node.input(i)) ? input(node, i) : Value())
        if (auto c = v.getDefiningOp<ConstantOp>())
          if (auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue()))
            if (dense.getNumElements() == 1)
              floats.push_back((*dense.getValues<APFloat>().begin()).convertToDouble());
    if (floats.size() == 3) {
      double start = floats[0], limit = floats[1], delta = floats[2];
      if (delta == 0)
        return error() << "Range with a zero delta";
      double count = std::ceil((limit - start) / delta);
      if (!(count <= static_cast<double>(kMaxKnownElements * 256)))
        return error() << "Range of " << count << " elements is too long";
      Type et = elementOf(input(node, 0));
      SmallVector<Attribute> elems;
      for (int64_t i = 0; i < static_cast<int64_t>(std::max(count, 0.0)); ++i)
        elems.push_back(builder.getFloatAttr(et, start + i * delta));
      auto t = RankedTensorType::get({static_cast<int64_t>(elems.size())}, et);
      return define(node, 0,
                    ConstantOp::create(builder, loc, DenseElementsAttr::get(t, elems)).getResult());
    }
    SmallVector<Value> operands;
    for (int i = 0; i < 3; ++i) {
      const Known *k = known(node.input(i));
      if (!k || k->elems.size() != 1 || !k->elementType.isInteger())
        return error() << "unsupported dynamic Range: start, limit and delta must be integer "
                          "scalars computable from dims";
      operands.push_back(index(k->elems[0]));
    }
    Value r = op(RangeOp::getOperationName(), operands);
    return define(node, 0, castTo(r, known(node.input(0))->elementType));
  }
  if (type == "Trilu") {
    Value x = input(node, 0);
    auto t = cast<RankedTensorType>(x.getType());
    int64_t rank = t.getRank();
    if (rank < 2)
      return error() << "expects rank >= 2, got " << rank;
    int64_t k = 0;
    if (has(node, 1)) {
      auto v = staticInts(node, 1, "Trilu k");
      if (failed(v))
        return failure();
      if (v->size() != 1)
        return error() << "expects a one-element k, got " << v->size() << " elements";
      k = (*v)[0];
    }
    bool upper = intAttr(node, "upper", 1);
    auto dimIndex = [&](int64_t d) -> Value {
      return DimOp::create(builder, loc, builder.getIndexType(), x, builder.getI64IntegerAttr(d));
    };
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    Value rows = op(RangeOp::getOperationName(), {zero, dimIndex(rank - 2), one});
    Value cols = op(RangeOp::getOperationName(), {zero, dimIndex(rank - 1), one});
    // keep where (col - row) >= k (upper) or <= k (lower)
    rows = reshape(rows, {-1, 1});
    cols = reshape(cols, {1, -1});
    Value diff = op(SubOp::getOperationName(), {cols, rows});
    Value keep = op(CompareOp::getOperationName(), {diff, constantI64({k}, {})},
                    {attr("predicate", CompareKindAttr::get(&context, upper ? CompareKind::ge
                                                                            : CompareKind::le))});
    Value zeroX = scalarConstant(t.getElementType(), 0);
    return define(node, 0, op(WhereOp::getOperationName(), {keep, x, zeroX}));
  }
  if (type == "ReduceMean" || type == "ReduceSum" || type == "ReduceMax" || type == "ReduceMin" ||
      type == "ReduceProd") {
    Value x = input(node, 0);
    int64_t rank = rankOf(x);
    SmallVector<int64_t> axes;
    bool axesAsInput = type == "ReduceSum" ? opset >= 13 : opset >= 18;
    if (axesAsInput && has(node, 1)) {
      auto v = staticInts(node, 1, "reduction axes");
      if (failed(v))
        return failure();
      axes = *v;
    } else if (auto a = intsAttr(node, "axes")) {
      axes = *a;
    }
    if (axes.empty()) {
      if (intAttr(node, "noop_with_empty_axes", 0))
        return define(node, 0, x);
      for (int64_t i = 0; i < rank; ++i)
        axes.push_back(i);
    }
    for (int64_t &a : axes) {
      auto n = axisOf(a, rank);
      if (failed(n))
        return failure();
      a = *n;
    }
    ReduceKind kind = type == "ReduceMean"  ? ReduceKind::mean
                      : type == "ReduceSum" ? ReduceKind::sum
                      : type == "ReduceMax" ? ReduceKind::max
                      : type == "ReduceMin" ? ReduceKind::min
                                            : ReduceKind::prod;
    return define(node, 0,
                  op(ReduceOp::getOperationName(), {x},
                     {attr("kind", ReduceKindAttr::get(&context, kind)),
                      attr("axes", builder.getDenseI64ArrayAttr(axes)),
                      attr("keep_dims", builder.getBoolAttr(intAttr(node, "keepdims", 1)))}));
  }
  if (type == "LayerNormalization") {
    Value x = input(node, 0);
    int64_t rank = rankOf(x);
    auto axis = axisOf(intAttr(node, "axis", -1), rank);
    if (failed(axis))
      return failure();
    if (intAttr(node, "stash_type", 1) != 1)
      return error() << "unsupported stash_type";
    auto xt = cast<RankedTensorType>(x.getType());
    auto trailing = xt.getShape().drop_front(*axis);
    auto exact = [&](Value v) {
      auto vt = cast<RankedTensorType>(v.getType());
      return vt.getShape() == trailing && !vt.hasStaticShape() == false;
    };
    Value scale = has(node, 1) ? input(node, 1) : Value();
    Value bias = has(node, 2) ? input(node, 2) : Value();
    bool fused = (!scale || exact(scale)) && (!bias || exact(bias));
    SmallVector<Value> operands{x};
    if (fused && scale)
      operands.push_back(scale);
    if (fused && bias)
      operands.push_back(bias);
    SmallVector<int32_t> segments{1, fused && scale ? 1 : 0, fused && bias ? 1 : 0};
    Value y = op(LayerNormOp::getOperationName(), operands,
                 {i64("axis", *axis),
                  attr("epsilon", builder.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f))),
                  attr("operandSegmentSizes", builder.getDenseI32ArrayAttr(segments))});
    if (y && !fused && scale)
      y = op(MulOp::getOperationName(), {y, scale});
    if (y && !fused && bias)
      y = op(AddOp::getOperationName(), {y, bias});
    if (failed(define(node, 0, y)))
      return failure();
    // The training outputs Mean and InvStdDev, reduced with kept dims.
    bool wantStats = false;
    for (int i = 1; i < node.output_size(); ++i)
      wantStats |= !node.output(i).empty();
    if (!wantStats)
      return success();
    SmallVector<int64_t> axes;
    for (int64_t i = *axis; i < rank; ++i)
      axes.push_back(i);
    auto mean = [&](Value v) {
      return op(ReduceOp::getOperationName(), {v},
                {attr("kind", ReduceKindAttr::get(&context, ReduceKind::mean)),
                 attr("axes", builder.getDenseI64ArrayAttr(axes)),
                 attr("keep_dims", builder.getBoolAttr(true))});
    };
    Value mu = mean(x);
    Value d = op(SubOp::getOperationName(), {x, mu});
    Value var = mean(op(MulOp::getOperationName(), {d, d}));
    Value eps = scalarConstant(xt.getElementType(), floatAttr(node, "epsilon", 1e-5f));
    Value inv = op(RsqrtOp::getOperationName(), {op(AddOp::getOperationName(), {var, eps})});
    if (failed(define(node, 1, mu)))
      return failure();
    return node.output_size() > 2 ? define(node, 2, inv) : success();
  }
  if (type == "LSTM" || type == "GRU" || type == "RNN")
    return importRecurrent(node);
  if (type == "Attention") {
    if (opset < 23)
      return error() << "the Attention op needs opset 23 or newer; the model imports opset "
                     << opset;
    return importAttention(node);
  }
  return error() << "unsupported operator '" << type << "'";
}

LogicalResult Importer::importShapeLike(const ::onnx::NodeProto &node, StringRef kind) {
  int shapeInput = kind == "Expand" ? 1 : 0;
  const Known *k = known(node.input(shapeInput));
  if (!k)
    return error() << "unsupported dynamic " << kind
                   << ": the shape must be computable from dims when the model is imported";
  if (k->shape.size() != 1)
    return error() << "expects a 1-D shape, got rank " << k->shape.size();
  if (static_cast<int64_t>(k->elems.size()) > kMaxRank)
    return error() << "a shape of rank " << k->elems.size() << " exceeds the limit " << kMaxRank;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (const Sym &s : k->elems) {
    if (s.isStatic()) {
      if (s.value < 0)
        return error() << "negative dim " << s.value << " in the shape";
      if (s.value > kMaxDim)
        return error() << "dim " << s.value << " in the shape exceeds the limit " << kMaxDim;
      shape.push_back(s.value);
    } else {
      shape.push_back(kDyn);
      dynamic.push_back(s.dyn);
    }
  }
  if (kind == "ConstantOfShape") {
    TypedAttr value = builder.getF32FloatAttr(0);
    Type et = builder.getF32Type();
    if (const auto *a = attribute(node, "value")) {
      const auto &t = a->t();
      Entry e;
      if (failed(importTensor(t, e)))
        return failure();
      if (e.known) {
        if (e.known->elems.size() != 1)
          return error() << "expects a one-element value";
        et = e.known->elementType;
        value = builder.getIntegerAttr(et, e.known->elems[0].value);
        if (et.isInteger(1))
          value = builder.getBoolAttr(e.known->elems[0].value);
      } else if (auto c = e.value.getDefiningOp<ConstantOp>()) {
        auto dense = cast<DenseElementsAttr>(c.getValue());
        if (dense.getNumElements() != 1)
          return error() << "expects a one-element value";
        et = dense.getElementType();
        value = cast<TypedAttr>(*dense.value_begin<Attribute>());
        c->erase();
      }
    }
    auto type = RankedTensorType::get(shape, et);
    return define(node, 0, FullOp::create(builder, loc, type, value, dynamic).getResult());
  }
  // Expand: broadcast against a tensor of the target shape.
  auto likeType = RankedTensorType::get(shape, builder.getI1Type());
  Value like = FullOp::create(builder, loc, likeType, builder.getBoolAttr(false), dynamic);
  return define(node, 0, op(BroadcastOp::getOperationName(), {input(node, 0), like}));
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Importer::run() {
  if (failed(readOpset()))
    return nullptr;
  if (!model.has_graph())
    return graphError() << "the model has no graph", nullptr;
  SmallVector<const ::onnx::NodeProto *> order;
  if (failed(sortNodes(order)))
    return nullptr;
  const auto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  // Graph inputs that are not initializers become the arguments of @main.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()))
      continue;
    auto type = valueInfoType(in);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    argNames.push_back(in.name());
  }
  auto func = func::FuncOp::create(builder, fileLoc, "main", builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);
  llvm::StringMap<Root> dimParams;
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name].value = body->getArgument(i);
    for (const auto &in : graph.input()) {
      if (in.name() != name)
        continue;
      for (auto [d, dim] : llvm::enumerate(in.type().tensor_type().shape().dim())) {
        if (!dim.has_dim_param() || dim.dim_param().empty())
          continue;
        Root self{body->getArgument(i), static_cast<int64_t>(d)};
        argRoots[self] = dimParams.try_emplace(dim.dim_param(), self).first->second;
        rootNames.try_emplace(argRoots[self], dim.dim_param());
      }
    }
    func.setArgAttr(i, "heed.name", builder.getStringAttr(name));
  }
  for (auto [i, in] :
       llvm::enumerate(llvm::make_filter_range(graph.input(), [&](const ::onnx::ValueInfoProto &v) {
         return !initializerNames.count(v.name());
       })))
    if (Attribute dims = dimNames(in))
      func.setArgAttr(i, "heed.dims", dims);
  for (const auto &init : graph.initializer()) {
    loc = NameLoc::get(builder.getStringAttr("initializer '" + init.name() + "'"), fileLoc);
    if (failed(importTensor(init, values[init.name()])))
      return nullptr;
  }
  for (const ::onnx::NodeProto *node : order) {
    std::string name = node->name().empty() ? "#" + std::to_string(node - &graph.node(0))
                                            : "'" + node->name() + "'";
    loc =
        NameLoc::get(builder.getStringAttr("node " + name + " (" + node->op_type() + ")"), fileLoc);
    if (failed(importNode(*node)))
      return nullptr;
    for (auto [i, name] : llvm::enumerate(node->output())) {
      if (name.empty())
        continue;
      const Entry &e = values[name];
      if (!e.value && !e.known)
        return error() << "lists output " << i << " ('" << name << "'), which " << node->op_type()
                       << " does not produce here",
               nullptr;
    }
  }
  loc = fileLoc;
  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    Value v = get(out.name());
    if (!v)
      return nullptr;
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "heed.name", builder.getStringAttr(out.name()));
    if (Attribute dims = dimNames(out))
      func.setResultAttr(i, "heed.dims", dims);
  }
  // Shape plumbing leaves unused dims and index arithmetic behind.
  for (Operation &o : llvm::make_early_inc_range(llvm::reverse(body->getOperations())))
    if (isOpTriviallyDead(&o))
      o.erase();
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

/// The model's names are arbitrary bytes: shown escaped (runtime/core/Escape.h).
LogicalResult mlir::heed::onnx::printNodeDiagnostic(Diagnostic &diag, llvm::raw_ostream &os) {
  Location l = diag.getLocation();
  std::string prefix;
  if (auto name = dyn_cast<NameLoc>(l)) {
    auto file = dyn_cast<FileLineColLoc>(name.getChildLoc());
    if (!file || file.getLine() != 0)
      return failure();
    prefix = (file.getFilename().str() + ": " + name.getName().str() + ": ");
  } else if (auto file = dyn_cast<FileLineColLoc>(l)) {
    if (file.getLine() != 0)
      return failure();
    prefix = file.getFilename().str() + ": ";
  } else {
    return failure();
  }
  StringRef severity = diag.getSeverity() == DiagnosticSeverity::Error     ? "error: "
                       : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning: "
                       : diag.getSeverity() == DiagnosticSeverity::Note    ? "note: "
                                                                           : "remark: ";
  os << ::heed::escapeControls(prefix + severity.str() + diag.str()) << "\n";
  for (const Diagnostic &note : diag.getNotes())
    os << ::heed::escapeControls(prefix + "note: " + note.str()) << "\n";
  return success();
}

OwningOpRef<ModuleOp> mlir::heed::onnx::importModel(llvm::SourceMgr &sourceMgr,
                                                    MLIRContext &context) {
  context.loadDialect<HeedDialect, arith::ArithDialect, func::FuncDialect>();
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef path = buffer->getBufferIdentifier();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  if (buffer->getBufferSize() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    emitError(fileLoc) << "the model is larger than 2 GiB, protobuf's limit; keep the weights "
                          "in external data files";
    return nullptr;
  }
  if (buffer->getBufferSize() == 0) {
    emitError(fileLoc) << "the model file is empty";
    return nullptr;
  }
  ::onnx::ModelProto model;
  if (!model.ParseFromArray(buffer->getBufferStart(), static_cast<int>(buffer->getBufferSize()))) {
    emitError(fileLoc) << "not a valid ONNX model: the protobuf could not be parsed (truncated "
                          "or not an .onnx file)";
    return nullptr;
  }
  Importer importer(context, path, model);
  return importer.run();
}
