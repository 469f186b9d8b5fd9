//===- Importer.h - The ONNX importer, shared by its parts -------*- C++ -*-===//
//
// One Importer walks a ModelProto's graph and builds heed IR; its member
// functions are spread over files by topic:
//   Importer.cpp       the graph walk: opsets, graph inputs, node order, the
//                      per-node checks and the dispatch through the op table
//   Tensors.cpp        initializers and tensor literals, external data
//   Values.cpp         known values, materialization, building, attributes
//   Fold.cpp           import-time folding of integer shape plumbing
//   SymbolicDims.cpp   dynamic dims by root; reshapeTo
//   *Ops.cpp           one file per op family, each with its register*Ops:
//                      ElementwiseOps, TensorOps (data movement), ShapeOps
//                      (shapes and constants), NnOps (matmul, normalization,
//                      softmax, reductions), RecurrentOps, AttentionOps.
// Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_FRONTENDS_ONNX_IMPORTER_H
#define HEED_FRONTENDS_ONNX_IMPORTER_H

#include "frontends/common/HeedBuilders.h"

#include "dialects/heed/IR/HeedOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"

#include <optional>
#include <string>

namespace mlir::heed::onnx::detail {

using NodeProto = ::onnx::NodeProto;

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

/// What an ONNX value name stands for: an SSA value, a known value, or both.
struct Entry {
  Value value;
  std::optional<Known> known;
};

/// The element count of `shape`, or nothing for a negative dim or an overflow.
std::optional<int64_t> product(ArrayRef<int64_t> shape);

class Importer;

/// How one ONNX op type is imported from an opset version on.
struct OpImport {
  using Fn = LogicalResult (Importer::*)(const NodeProto &);
  Fn fn = nullptr;
  /// Leading inputs that must be present (non-empty names); kAllInputs: every
  /// input the node lists (and at least one).
  int required = 1;
  int sinceVersion = 1;
  static constexpr int kAllInputs = -1;
};

/// ONNX op type (and domain) -> import function: what importNode dispatches
/// through. Each op family file fills it in its register*Ops.
class OpTable {
public:
  /// `type` of the default domain imports with `fn` from opset `sinceVersion` on.
  void add(StringRef type, OpImport::Fn fn, int required = 1, int sinceVersion = 1) {
    add("", type, {fn, required, sinceVersion});
  }
  void add(StringRef domain, StringRef type, OpImport import);
  /// The newest registration of `type` in `domain` not newer than `opset`, or null.
  const OpImport *lookup(StringRef domain, StringRef type, int64_t opset) const;

private:
  llvm::StringMap<llvm::StringMap<SmallVector<OpImport, 1>>> domains;
};

void registerElementwiseOps(OpTable &table);
void registerTensorOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerNnOps(OpTable &table);
void registerRecurrentOps(OpTable &table);
void registerAttentionOps(OpTable &table);

class Importer {
public:
  Importer(MLIRContext &context, StringRef path, ::onnx::ModelProto &model)
      : context(context), builder(&context), heed(builder), path(path), model(model),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)), loc(fileLoc) {}

  OwningOpRef<ModuleOp> run();

  /// A dynamic dim, named by the (value, dim) it is a copy of.
  using Root = std::pair<Value, int64_t>;
  /// coeff * product of roots, or opaque (not a product of dims).
  struct Monomial {
    int64_t coeff = 1;
    SmallVector<Root> roots;
    bool opaque = false;
  };

  /// One op's folding: the known result, nothing to leave the node to its import, or failure.
  using FoldResult = FailureOr<std::optional<Known>>;
  using FoldFn = FoldResult (Importer::*)(const NodeProto &node);

  //===--------------------------------------------------------------------===//
  // Op families (one file each; registered in its register*Ops)
  //===--------------------------------------------------------------------===//

  // ElementwiseOps.cpp
  template <typename OpTy> LogicalResult importUnary(const NodeProto &node);
  template <typename OpTy> LogicalResult importBinary(const NodeProto &node);
  template <CompareKind kind> LogicalResult importCompare(const NodeProto &node);
  template <typename OpTy> LogicalResult importVariadic(const NodeProto &node);
  LogicalResult importPow(const NodeProto &node);
  LogicalResult importIsInf(const NodeProto &node);
  LogicalResult importClip(const NodeProto &node);
  LogicalResult importIdentity(const NodeProto &node);
  LogicalResult importWhere(const NodeProto &node);
  LogicalResult importCast(const NodeProto &node);

  // TensorOps.cpp
  LogicalResult importTranspose(const NodeProto &node);
  LogicalResult importConcat(const NodeProto &node);
  LogicalResult importSplit(const NodeProto &node);
  LogicalResult importSlice(const NodeProto &node);
  LogicalResult importGather(const NodeProto &node);
  LogicalResult importGatherElements(const NodeProto &node);
  LogicalResult importTrilu(const NodeProto &node);

  // ShapeOps.cpp
  LogicalResult importConstant(const NodeProto &node);
  LogicalResult importReshape(const NodeProto &node);
  LogicalResult importFlatten(const NodeProto &node);
  LogicalResult reshapeAtRunTime(const NodeProto &node, Value x, bool allowZero,
                                 ArrayRef<Monomial> target);
  LogicalResult importSqueeze(const NodeProto &node);
  LogicalResult importExpand(const NodeProto &node);
  LogicalResult importTile(const NodeProto &node);
  LogicalResult importConstantOfShape(const NodeProto &node);
  LogicalResult importDynamicShape(const NodeProto &node);
  LogicalResult importRange(const NodeProto &node);
  LogicalResult floatRangeAtRunTime(const NodeProto &node);

  // NnOps.cpp
  LogicalResult importMatMul(const NodeProto &node);
  LogicalResult importGemm(const NodeProto &node);
  LogicalResult importSoftmax(const NodeProto &node);
  LogicalResult importReduce(const NodeProto &node);
  LogicalResult importArgMax(const NodeProto &node); // and ArgMin
  LogicalResult importCumSum(const NodeProto &node);
  // Einsum.cpp (registered with the NnOps)
  LogicalResult importEinsum(const NodeProto &node);
  LogicalResult importTopK(const NodeProto &node);
  LogicalResult importLayerNorm(const NodeProto &node);
  LogicalResult importDropout(const NodeProto &node);

  // RecurrentOps.cpp
  LogicalResult importRecurrent(const NodeProto &node);

  // AttentionOps.cpp
  LogicalResult importAttention(const NodeProto &node);

private:
  //===--------------------------------------------------------------------===//
  // The graph (Importer.cpp, Tensors.cpp)
  //===--------------------------------------------------------------------===//

  InFlightDiagnostic error() { return emitError(loc); }
  InFlightDiagnostic graphError() { return emitError(fileLoc); }
  /// "node 'name' (OpType)" (or "node #index" when unnamed) within the file.
  Location nodeLocation(int n);

  LogicalResult readOpset();
  /// The node indices in an order where inputs come first.
  LogicalResult sortNodes(SmallVectorImpl<int> &order);
  FailureOr<RankedTensorType> valueInfoType(const ::onnx::ValueInfoProto &info);
  /// The dims as declared (["B", "S", "256"], "?" when unnamed), as the .heed
  /// frontend's `heed.dims`, when any is symbolic; null otherwise.
  Attribute dimNames(const ::onnx::ValueInfoProto &info);
  FailureOr<Type> elementType(int32_t dataType, StringRef what);
  /// A declared rank and dim within the limits (kMaxRank, kMaxDim).
  LogicalResult checkRank(StringRef what, int64_t rank);
  LogicalResult checkDim(StringRef what, int64_t d);
  LogicalResult importTensor(const ::onnx::TensorProto &tensor, Entry &entry);
  /// The tensor's little-endian element bytes from its typed fields.
  FailureOr<std::string> typedBytes(const ::onnx::TensorProto &tensor, int64_t count, int64_t bytes,
                                    StringRef what);
  FailureOr<std::unique_ptr<llvm::MemoryBuffer>> readExternal(const ::onnx::TensorProto &tensor,
                                                              int64_t bytes);
  /// The real path of external data `location`, checked to stay in the model's directory.
  FailureOr<std::string> externalPath(StringRef location);
  /// @main's arguments (graph inputs that are not initializers), tagged.
  func::FuncOp declareMain(ModuleOp module);
  /// The results in graph-output order, tagged; then dead shape plumbing goes.
  LogicalResult finishMain(func::FuncOp func);
  LogicalResult importNode(const NodeProto &node);
  /// The node's required inputs are named and every input it names is defined.
  LogicalResult checkInputs(const NodeProto &node, const OpImport *import);
  static const OpTable &opTable();

  //===--------------------------------------------------------------------===//
  // Values (Values.cpp)
  //===--------------------------------------------------------------------===//

  Value get(StringRef name);
  const Known *known(StringRef name);
  bool has(const NodeProto &node, int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  Value input(const NodeProto &node, int i) { return get(node.input(i)); }
  /// Whether the node lists output i under a name.
  static bool wants(const NodeProto &node, int i) {
    return i < node.output_size() && !node.output(i).empty();
  }
  LogicalResult define(const NodeProto &node, int i, Value value);
  LogicalResult define(const NodeProto &node, int i, Known k);
  Value materialize(const Known &k);
  Value index(const Sym &s);
  Value constantI64(ArrayRef<int64_t> values, ArrayRef<int64_t> shape);
  Value scalarConstant(Type elementType, double value);
  Value dimOf(Value x, int64_t d);
  /// An i1 as an index 0 or 1 (Fold.cpp).
  Value indexOf(Value bit);

  //===--------------------------------------------------------------------===//
  // Building (Values.cpp): typed heed ops whose result types their shape
  // inference gives; null on error (reported), and null in gives null out.
  //===--------------------------------------------------------------------===//

  /// op<LinearOp>(x, w, bias, transB): OpTy's typed builder at the node (HeedBuilders.h).
  template <typename OpTy, typename... Args> Value op(Args &&...args) {
    return heed.value<OpTy>(loc, std::forward<Args>(args)...);
  }
  Value reshape(Value x, ArrayRef<int64_t> spec);
  Value reshapeExact(Value x, ArrayRef<Sym> dims);
  Value slice(Value x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
  Value concat(ValueRange xs, int64_t axis);
  Value transpose(Value x, ArrayRef<int64_t> perm);
  Value compare(CompareKind kind, Value lhs, Value rhs);
  /// `v` converted to element type `to` (itself if it has it already).
  Value castTo(Value v, Type to);

  //===--------------------------------------------------------------------===//
  // Attributes (Values.cpp)
  //===--------------------------------------------------------------------===//

  const ::onnx::AttributeProto *attribute(const NodeProto &node, StringRef name);
  int64_t intAttr(const NodeProto &node, StringRef name, int64_t dflt);
  float floatAttr(const NodeProto &node, StringRef name, float dflt);
  std::string stringAttr(const NodeProto &node, StringRef name, StringRef dflt);
  std::optional<SmallVector<int64_t>> intsAttr(const NodeProto &node, StringRef name);
  FailureOr<SmallVector<int64_t>> staticInts(const NodeProto &node, int i, StringRef what);
  /// The elements of integer input i as index values: known ones as they are, others read when
  /// the function runs (heed.extract; the input must have a static length).
  FailureOr<SmallVector<Sym>> indexInts(const NodeProto &node, int i, StringRef what);
  /// Ints an op takes as input i from some opset on (`asInput`) and as the
  /// attribute `attrName` before: the input's (static) when given, else the
  /// attribute's, else nothing.
  FailureOr<std::optional<SmallVector<int64_t>>>
  intsInputOrAttr(const NodeProto &node, int i, bool asInput, StringRef what, StringRef attrName);
  /// Squeeze/Unsqueeze of an input with dims `dims` (kDyn when dynamic): the result's dims,
  /// each the index of the input dim it keeps or -1 for a new 1. Squeezing a dim known not to
  /// be 1 is an error; without axes, Squeeze drops the dims known to be 1.
  FailureOr<SmallVector<int64_t>> squeezedDims(const NodeProto &node, ArrayRef<int64_t> dims);
  FailureOr<int64_t> axisOf(int64_t axis, int64_t rank);
  /// Flatten's axis, in [-rank, rank]: it names a cut between dims, so -1 is rank - 1 (the last
  /// dim on its own), not the rank + 1 positions axisOf would count from.
  FailureOr<int64_t> flattenAxis(const NodeProto &node, int64_t rank);
  /// The elements of input i when it is given and not known at import (so read when the
  /// function runs), as index values; nothing when it is absent or a constant.
  FailureOr<std::optional<SmallVector<Sym>>> runTimeInts(const NodeProto &node, int i,
                                                         StringRef what);

  //===--------------------------------------------------------------------===//
  // Axes and sizes known only when the function runs (RunTimeAxes.cpp)
  //===--------------------------------------------------------------------===//

  Value indexConstant(int64_t v);
  Value compareIndex(arith::CmpIPredicate predicate, Value a, Value b);
  Value selectIndex(Value bit, Value a, Value b);
  /// How many of `values` compare `predicate` to `than`, as an index.
  Value countIf(arith::CmpIPredicate predicate, ArrayRef<Value> values, Value than);
  /// options[j] for the first j with keys[j] == key, else `otherwise`.
  Value pick(ArrayRef<Value> keys, Value key, ArrayRef<Value> options, Value otherwise);
  /// A heed.check at the node: unless every condition holds when the function runs, an error
  /// with `message` and the values.
  void checkAtRunTime(ArrayRef<Value> conditions, ArrayRef<Value> values, const Twine &message);
  /// x's dims as index values (constants where static).
  SmallVector<Value> dimsAsIndex(Value x);
  /// Axes into a rank-`rank` tensor, normalized into [0, rank): constant ones checked now,
  /// the others by a heed.check (in range, all distinct).
  FailureOr<SmallVector<Value>> runTimeAxes(ArrayRef<Sym> axes, int64_t rank, StringRef what);
  LogicalResult squeezeAtRunTime(const NodeProto &node, Value x, ArrayRef<Sym> axes);
  /// ONNX Slice whose axes are read when the function runs: one heed.slice_dynamic per dim.
  Value sliceAtRunTime(Value x, ArrayRef<Sym> axes, ArrayRef<Sym> starts, ArrayRef<Sym> ends,
                       ArrayRef<Sym> steps);
  LogicalResult splitAtRunTime(const NodeProto &node, Value x, int64_t axis, ArrayRef<Sym> sizes);

  //===--------------------------------------------------------------------===//
  // Folding (Fold.cpp)
  //===--------------------------------------------------------------------===//

  /// Evaluates the node on known values where it can; `folded` says whether it did.
  LogicalResult foldNode(const NodeProto &node, bool &folded);
  bool allKnown(const NodeProto &node, int first, int count);
  FoldResult foldShape(const NodeProto &node);
  FoldResult foldSize(const NodeProto &node);
  FoldResult foldIdentity(const NodeProto &node);
  FoldResult foldReshapeLike(const NodeProto &node);
  bool foldReshapeSpec(const NodeProto &node, const Known &k, SmallVector<int64_t> &shape);
  FoldResult foldConcat(const NodeProto &node);
  FoldResult foldGather(const NodeProto &node);
  FoldResult foldSlice(const NodeProto &node);
  FoldResult foldCast(const NodeProto &node);
  FoldResult foldArithmetic(const NodeProto &node);
  FoldResult foldNeg(const NodeProto &node);
  FoldResult foldComparison(const NodeProto &node);
  FoldResult foldNot(const NodeProto &node);
  FoldResult foldWhere(const NodeProto &node);
  FoldResult foldConstantOfShape(const NodeProto &node);
  FoldResult foldRange(const NodeProto &node);
  FoldResult foldExpand(const NodeProto &node);
  LogicalResult foldSplit(const NodeProto &node, bool &folded);

  //===--------------------------------------------------------------------===//
  // Symbolic dims (SymbolicDims.cpp)
  //===--------------------------------------------------------------------===//

  Root rootOf(Value v, int64_t i);
  Monomial monomialOf(Value index);
  Monomial monomialOf(const Sym &s);
  SmallVector<Monomial> dimsOf(Value x);
  /// `x` reshaped to `target`, dims that copy input dims by root kept so; null
  /// (reported unless quietReshape) when the target cannot be expressed.
  Value reshapeTo(Value x, ArrayRef<Monomial> target, StringRef what);
  /// "[B, 2*S, ?]": dims by their dim_param names where they have one.
  std::string describe(ArrayRef<Monomial> dims);
  bool quietReshape = false;
  /// Whether reshapeTo may move dims with transposes (copies): not on Reshape's first try.
  bool movingDimsAllowed = true;

  /// The root of dim j of `u` when it is dynamic.
  std::optional<Root> dynamicRoot(Value u, int64_t j);
  std::optional<Root> rootThrough(Operation *op, unsigned result, int64_t i);
  std::optional<Root> rootThroughSource(Operation *op, unsigned result, int64_t i);
  Value reshapeToImpl(Value x, ArrayRef<Monomial> target, StringRef what);
  Value reshapeThroughLinear(Value x, ArrayRef<Monomial> target);
  /// Step 3 of reshapeToImpl: dims that pass through but move.
  Value reshapeMovingDims(Value x, ArrayRef<Monomial> in, ArrayRef<Monomial> target,
                          StringRef what);

  // Op helpers.
  LogicalResult importShapeLike(const NodeProto &node, StringRef kind);
  LogicalResult fillOfShape(const NodeProto &node, ArrayRef<int64_t> shape, ValueRange dynamic);
  LogicalResult emptyReshape(const NodeProto &node, Value x, const Known &k);
  FailureOr<SmallVector<int64_t>> splitSizes(const NodeProto &node, RankedTensorType t,
                                             int64_t axis);
  Value sliceBackwards(Value x, int64_t axis, int64_t start, int64_t end, int64_t step);
  LogicalResult layerNormStats(const NodeProto &node, Value x, int64_t axis);
  LogicalResult recurrentOptions(const NodeProto &node, frontend::RecurrentSpec &spec);
  LogicalResult recurrentWeights(const NodeProto &node, frontend::RecurrentSpec &spec,
                                 SmallVectorImpl<Value> &weights);
  LogicalResult recurrentOutputs(const NodeProto &node, const frontend::RecurrentSpec &spec,
                                 Operation *op);
  LogicalResult attentionChecks(const NodeProto &node, RankedTensorType qt, bool past);
  LogicalResult attentionHeads(const NodeProto &node, RankedTensorType qt,
                               frontend::AttentionSpec &spec);
  LogicalResult attentionMask(const NodeProto &node, frontend::AttentionSpec &spec, int64_t seqAxis,
                              bool &causal);
  /// An Attention attn_mask whose last dim is shorter than the keys' sequence axis, padded.
  Value padMaskToKeys(Value mask, Value keys, int64_t seqAxis);
  /// Attention with nonpad_kv_seqlen and is_causal: the [B, 1, Lq, Lk] boolean mask.
  Value causalLengthsMask(Value q, Value k, Value lengths, int64_t seqAxis);

  MLIRContext &context;
  OpBuilder builder;
  frontend::HeedBuilder heed;
  std::string path;
  ::onnx::ModelProto &model;
  Location fileLoc;
  /// Where ops are built and errors reported: the initializer or node being imported.
  Location loc;
  int64_t opset = 0;
  llvm::StringMap<Entry> values;
  llvm::DenseMap<Root, std::string> rootNames;
  llvm::DenseMap<Root, Root> rootMemo, argRoots;
};

} // namespace mlir::heed::onnx::detail

#endif // HEED_FRONTENDS_ONNX_IMPORTER_H
