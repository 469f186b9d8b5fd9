//===- Importer.cpp - The ONNX importer's graph walk -----------------------===//
//
// The importer checks the graph itself (names, order, opsets, tensor sizes)
// before building anything, so a malformed model gives a located error and
// never a crash. Nodes are imported in a topological order; each is checked
// (outputs, required inputs), folded where its inputs are known (Fold.cpp),
// and otherwise imported through the op table the op family files fill.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

std::optional<int64_t> mlir::heed::onnx::detail::product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (llvm::MulOverflow(n, d, n))
      return std::nullopt;
  }
  return n;
}

//===----------------------------------------------------------------------===//
// The op table
//===----------------------------------------------------------------------===//

/// "ai.onnx" is the default domain's other spelling.
static StringRef canonicalDomain(StringRef domain) { return domain == "ai.onnx" ? "" : domain; }

void OpTable::add(StringRef domain, StringRef type, OpImport import) {
  auto &versions = domains[canonicalDomain(domain)][type];
  versions.push_back(import);
  llvm::sort(versions,
             [](const OpImport &a, const OpImport &b) { return a.sinceVersion < b.sinceVersion; });
}

const OpImport *OpTable::lookup(StringRef domain, StringRef type, int64_t opset) const {
  auto d = domains.find(canonicalDomain(domain));
  if (d == domains.end())
    return nullptr;
  auto t = d->second.find(type);
  if (t == d->second.end())
    return nullptr;
  const OpImport *found = nullptr;
  for (const OpImport &import : t->second)
    if (import.sinceVersion <= opset)
      found = &import;
  return found;
}

const OpTable &Importer::opTable() {
  static const OpTable table = [] {
    OpTable t;
    registerElementwiseOps(t);
    registerTensorOps(t);
    registerShapeOps(t);
    registerNnOps(t);
    registerRecurrentOps(t);
    registerAttentionOps(t);
    return t;
  }();
  return table;
}

//===----------------------------------------------------------------------===//
// Set-up and checks
//===----------------------------------------------------------------------===//

Location Importer::nodeLocation(int n) {
  const auto &node = model.graph().node(n);
  std::string name = node.name().empty() ? "#" + std::to_string(n) : "'" + node.name() + "'";
  return NameLoc::get(builder.getStringAttr("node " + name + " (" + node.op_type() + ")"), fileLoc);
}

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

LogicalResult Importer::checkRank(StringRef what, int64_t rank) {
  if (rank > kMaxRank)
    return error() << what << " has rank " << rank << "; at most " << kMaxRank << " is supported";
  return success();
}

LogicalResult Importer::checkDim(StringRef what, int64_t d) {
  if (d < 0)
    return error() << what << " has a negative dim " << d;
  if (d > kMaxDim)
    return error() << what << " has a dim of " << d << ", above the limit " << kMaxDim;
  return success();
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
  if (failed(checkRank(what, tensorType.shape().dim_size())))
    return failure();
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (dim.has_dim_value()) {
      if (failed(checkDim(what, dim.dim_value())))
        return failure();
      shape.push_back(dim.dim_value());
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

LogicalResult Importer::sortNodes(SmallVectorImpl<int> &order) {
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
    order.push_back(n);
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

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

LogicalResult Importer::checkInputs(const NodeProto &node, const OpImport *import) {
  int needed = import ? import->required : 1;
  if (needed == OpImport::kAllInputs)
    needed = std::max(1, node.input_size());
  for (int i = 0; i < needed; ++i)
    if (!has(node, i))
      return error() << "expects input " << i << " (" << needed << " required), got "
                     << (i < node.input_size() ? "an empty name" : "none");
  for (int i = 0; i < node.input_size(); ++i) {
    if (!has(node, i) || known(node.input(i)))
      continue;
    auto it = values.find(node.input(i));
    if (it == values.end() || !it->second.value)
      return error() << "uses value '" << node.input(i) << "', which its producer does not define";
  }
  return success();
}

LogicalResult Importer::importNode(const NodeProto &node) {
  StringRef type = node.op_type();
  const OpImport *import = opTable().lookup(node.domain(), type, opset);
  if (!import && !node.domain().empty() && node.domain() != "ai.onnx")
    return error() << "unsupported operator '" << node.domain() << "." << type << "'";
  if (llvm::all_of(node.output(), [](const std::string &o) { return o.empty(); }) ||
      (type == "Constant" && node.output(0).empty()))
    return error() << "has no output";
  if (failed(checkInputs(node, import)))
    return failure();
  bool folded;
  if (failed(foldNode(node, folded)))
    return failure();
  if (folded)
    return success();
  // Every import reads input 0's type: a known value whose materialization
  // failed (reported) is null here, not an operand (found by fuzz-onnx).
  if (has(node, 0) && !input(node, 0))
    return failure();
  if (!import)
    return error() << "unsupported operator '" << type << "'";
  return (this->*import->fn)(node);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

func::FuncOp Importer::declareMain(ModuleOp module) {
  const auto &graph = model.graph();
  builder.setInsertionPointToEnd(module.getBody());
  // Graph inputs that are not initializers become the arguments of @main.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<const ::onnx::ValueInfoProto *> args;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()))
      continue;
    auto type = valueInfoType(in);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    args.push_back(&in);
  }
  auto func = func::FuncOp::create(builder, fileLoc, "main", builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);
  // Graph inputs with one dim_param share the root of their dims.
  llvm::StringMap<Root> dimParams;
  for (auto [i, in] : llvm::enumerate(args)) {
    values[in->name()].value = body->getArgument(i);
    for (auto [d, dim] : llvm::enumerate(in->type().tensor_type().shape().dim())) {
      if (!dim.has_dim_param() || dim.dim_param().empty())
        continue;
      Root self{body->getArgument(i), static_cast<int64_t>(d)};
      argRoots[self] = dimParams.try_emplace(dim.dim_param(), self).first->second;
      rootNames.try_emplace(argRoots[self], dim.dim_param());
    }
    func.setArgAttr(i, "heed.name", builder.getStringAttr(in->name()));
  }
  for (auto [i, in] : llvm::enumerate(args))
    if (Attribute dims = dimNames(*in))
      func.setArgAttr(i, "heed.dims", dims);
  return func;
}

LogicalResult Importer::finishMain(func::FuncOp func) {
  const auto &graph = model.graph();
  loc = fileLoc;
  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    Value v = get(out.name());
    if (!v)
      return failure();
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(func.getArgumentTypes(), ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "heed.name", builder.getStringAttr(out.name()));
    if (Attribute dims = dimNames(out))
      func.setResultAttr(i, "heed.dims", dims);
  }
  // Shape plumbing leaves unused dims and index arithmetic behind.
  Block &body = func.getBody().front();
  for (Operation &o : llvm::make_early_inc_range(llvm::reverse(body.getOperations())))
    if (isOpTriviallyDead(&o))
      o.erase();
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  if (failed(readOpset()))
    return nullptr;
  if (!model.has_graph())
    return graphError() << "the model has no graph", nullptr;
  SmallVector<int> order;
  if (failed(sortNodes(order)))
    return nullptr;
  const auto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  func::FuncOp func = declareMain(*module);
  if (!func)
    return nullptr;
  for (const auto &init : graph.initializer()) {
    loc = NameLoc::get(builder.getStringAttr("initializer '" + init.name() + "'"), fileLoc);
    if (failed(importTensor(init, values[init.name()])))
      return nullptr;
  }
  for (int n : order) {
    const NodeProto *node = &graph.node(n);
    loc = nodeLocation(n);
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
  if (failed(finishMain(func)) || failed(verify(*module)))
    return nullptr;
  return module;
}
