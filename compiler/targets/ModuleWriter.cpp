//===- ModuleWriter.cpp - Lowering heed IR to a Heed module file ----------===//
//
// Each func.func becomes a plan: every SSA value gets an id with its type
// (dims, -1 where dynamic), every op becomes a plan op naming its kind, its
// operand/result ids, its attributes (generic: ints, floats, strings) and its
// source location. heed.scan bodies become nested plans. Constants and the
// weights heed.weight names (read from the file in the module attribute
// `heed.weights`) go into the 64-byte-aligned data section.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/Targets.h"

#include "dialects/heed/IR/HeedOps.h"
#include "runtime/files/SafeFiles.h"
#include "runtime/module/Format.h"
#include "runtime/module/OpTable.h"
#include "runtime/module/heed_module_generated.h"

#ifdef HEED_HAVE_VULKAN_TARGET
#include "compiler/targets/vulkan/VulkanTarget.h"
#endif

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#ifdef HEED_HAVE_TENSORS
#include "runtime/weights/Tensors.h"
#endif

#include <cstring>
#include <unistd.h>
#include <unordered_map>
#include <zlib.h>

using namespace mlir;
namespace fb = ::heed::fb;
namespace hfmt = ::heed::format;

namespace {

std::string locationString(Location loc) {
  if (auto f = dyn_cast<FileLineColLoc>(loc))
    return (f.getFilename().str() + ":" + std::to_string(f.getLine()) + ":" +
            std::to_string(f.getColumn()));
  if (auto n = dyn_cast<NameLoc>(loc)) {
    std::string inner = locationString(n.getChildLoc());
    return inner.empty() ? n.getName().str() : inner + " (" + n.getName().str() + ")";
  }
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return locationString(c.getCallee());
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations()) {
      std::string s = locationString(l);
      if (!s.empty())
        return s;
    }
  }
  return "";
}

struct ConstantEntry {
  std::string name;
  fb::DType dtype;
  std::vector<int64_t> dims;
  uint64_t offset, bytes;
};

class Writer {
public:
  Writer(ModuleOp module, StringRef target) : module(module), target(target.str()) {}

  LogicalResult run(std::string &bytes);

private:
  ModuleOp module;
  std::string target;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint8_t> data;
  std::vector<ConstantEntry> constants;
  // Data section offset and size of the bytes stored so far, by a hash of their content.
  std::unordered_multimap<size_t, std::pair<uint64_t, uint64_t>> offsetsByContent;
  llvm::StringMap<int64_t> weightIndex;
#ifdef HEED_HAVE_TENSORS
  std::unique_ptr<::heed::TensorFile> weights;
#endif
  bool weightsOpened = false;

  // Per function.
  llvm::DenseMap<Value, int32_t> ids;
  std::vector<flatbuffers::Offset<fb::ValueType>> values;

  FailureOr<fb::DType> dtypeOf(Type t, Location loc) {
    if (t.isF32())
      return fb::DType_f32;
    if (t.isF64())
      return fb::DType_f64;
    if (t.isF16())
      return fb::DType_f16;
    if (t.isBF16())
      return fb::DType_bf16;
    if (t.isSignlessInteger(1))
      return fb::DType_boolean;
    if (t.isSignlessInteger(32))
      return fb::DType_i32;
    if (t.isSignlessInteger(64))
      return fb::DType_i64;
    if (t.isUnsignedInteger(8))
      return fb::DType_u8;
    if (t.isUnsignedInteger(32))
      return fb::DType_u32;
    if (t.isUnsignedInteger(64))
      return fb::DType_u64;
    if (t.isIndex())
      return fb::DType_index;
    return emitError(loc) << "the cpu target does not support element type " << t;
  }

  FailureOr<int32_t> define(Value v, Location loc) {
    Type t = v.getType();
    std::vector<int64_t> dims;
    fb::DType dtype;
    bool scalar = false;
    if (auto ranked = dyn_cast<RankedTensorType>(t)) {
      auto d = dtypeOf(ranked.getElementType(), loc);
      if (failed(d))
        return failure();
      if (*d == fb::DType_index)
        return emitError(loc) << "tensors of index are not supported by the cpu target";
      dtype = *d;
      for (int64_t s : ranked.getShape())
        dims.push_back(ShapedType::isDynamic(s) ? -1 : s);
    } else if (t.isIndex() || t.isSignlessInteger()) {
      dtype = fb::DType_index;
      scalar = true;
    } else {
      return emitError(loc) << "the cpu target does not support values of type " << t;
    }
    int32_t id = int32_t(values.size());
    values.push_back(fb::CreateValueTypeDirect(fbb, dtype, &dims, scalar));
    ids[v] = id;
    return id;
  }

  FailureOr<int64_t> addConstantBytes(StringRef name, fb::DType dtype, ArrayRef<int64_t> dims,
                                      const void *src, size_t n) {
    // Equal bytes are stored once: an encoder and a decoder compiled together share their
    // embeddings and other initializers (and tied weights repeat within one graph). Each
    // constant keeps its own entry (name, dims), pointing at the same bytes.
    StringRef bytes(static_cast<const char *>(src), n);
    auto [first, last] = offsetsByContent.equal_range(llvm::hash_value(bytes));
    for (auto it = first; it != last; ++it)
      if (it->second.second == n && std::memcmp(data.data() + it->second.first, src, n) == 0) {
        constants.push_back({name.str(), dtype, std::vector<int64_t>(dims.begin(), dims.end()),
                             it->second.first, n});
        return int64_t(constants.size() - 1);
      }
    uint64_t offset =
        (data.size() + hfmt::kDataAlignment - 1) / hfmt::kDataAlignment * hfmt::kDataAlignment;
    data.resize(offset + n);
    if (n)
      std::memcpy(data.data() + offset, src, n);
    offsetsByContent.insert({llvm::hash_value(bytes), {offset, n}});
    constants.push_back(
        {name.str(), dtype, std::vector<int64_t>(dims.begin(), dims.end()), offset, n});
    return int64_t(constants.size() - 1);
  }

  FailureOr<int64_t> addElements(ElementsAttr attr, Location loc) {
    auto type = cast<ShapedType>(attr.getType());
    auto dtype = dtypeOf(type.getElementType(), loc);
    if (failed(dtype))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(attr);
    if (!dense)
      return emitError(loc) << "the cpu target supports only dense constants";
    std::vector<uint8_t> bytes;
    Type et = type.getElementType();
    if (et.isF32()) {
      for (APFloat v : dense.getValues<APFloat>()) {
        float f = v.convertToFloat();
        bytes.insert(bytes.end(), (uint8_t *)&f, (uint8_t *)&f + 4);
      }
    } else if (et.isF64()) {
      for (APFloat v : dense.getValues<APFloat>()) {
        double f = v.convertToDouble();
        bytes.insert(bytes.end(), (uint8_t *)&f, (uint8_t *)&f + 8);
      }
    } else if (et.isF16() || et.isBF16()) {
      // The bit pattern as stored: the writer never rounds a constant a second time.
      for (APFloat v : dense.getValues<APFloat>()) {
        uint16_t x = uint16_t(v.bitcastToAPInt().getZExtValue());
        bytes.insert(bytes.end(), (uint8_t *)&x, (uint8_t *)&x + 2);
      }
    } else if (et.isInteger(1)) {
      for (APInt v : dense.getValues<APInt>())
        bytes.push_back(v.isZero() ? 0 : 1);
    } else if (et.isUnsignedInteger()) {
      // Little-endian, as wide as the type: the low bytes of the zero-extended value.
      size_t width = et.getIntOrFloatBitWidth() / 8;
      for (APInt v : dense.getValues<APInt>()) {
        uint64_t x = v.getZExtValue();
        bytes.insert(bytes.end(), (uint8_t *)&x, (uint8_t *)&x + width);
      }
    } else if (et.isInteger(32)) {
      for (APInt v : dense.getValues<APInt>()) {
        int32_t x = int32_t(v.getSExtValue());
        bytes.insert(bytes.end(), (uint8_t *)&x, (uint8_t *)&x + 4);
      }
    } else {
      for (APInt v : dense.getValues<APInt>()) {
        int64_t x = v.getSExtValue();
        bytes.insert(bytes.end(), (uint8_t *)&x, (uint8_t *)&x + 8);
      }
    }
    return addConstantBytes("", *dtype, type.getShape(), bytes.data(), bytes.size());
  }

  FailureOr<int64_t> addWeight(mlir::heed::WeightOp op) {
    StringRef name = op.getName();
    auto it = weightIndex.find(name);
    if (it != weightIndex.end())
      return it->second;
    auto path = module->getAttrOfType<StringAttr>("heed.weights");
    if (!path)
      return op.emitError() << "names weight '" << name
                            << "' but the module has no 'heed.weights' attribute naming a weights "
                               "file";
#ifdef HEED_HAVE_TENSORS
    if (!weightsOpened) {
      weightsOpened = true;
      // A relative path is relative to the model file; failing that, to the working directory
      // (the .heed frontend records the path it opened, already joined with the model's folder).
      llvm::SmallString<256> full(path.getValue());
      if (!llvm::sys::path::is_absolute(full)) {
        if (auto f = dyn_cast<FileLineColLoc>(module.getLoc())) {
          llvm::SmallString<256> beside(llvm::sys::path::parent_path(f.getFilename().getValue()));
          llvm::sys::path::append(beside, path.getValue());
          if (llvm::sys::fs::exists(beside))
            full = beside;
        }
      }
      std::string error;
      weights = ::heed::TensorFile::open(std::string(full), error);
      if (!weights)
        return op.emitError() << "cannot open weights file: " << error;
    }
    if (!weights)
      return failure();
    const ::heed::TensorView *t = weights->find(std::string(name));
    if (!t)
      return op.emitError() << "weight '" << name << "' is not in the weights file";
    auto type = cast<RankedTensorType>(op.getType());
    auto dtype = dtypeOf(type.getElementType(), op.getLoc());
    if (failed(dtype))
      return failure();
    // Weights files and modules share the element type values (runtime/core/ElemType.h); i8,
    // which the readers know only to refuse it, lies beyond the module format's last value.
    bool ok = uint8_t(t->dtype) <= uint8_t(fb::DType_MAX) && fb::DType(t->dtype) == *dtype &&
              int64_t(t->shape.size()) == type.getRank();
    for (int64_t d = 0; ok && d < type.getRank(); ++d)
      ok = type.isDynamicDim(d) || type.getDimSize(d) == t->shape[size_t(d)];
    if (!ok) {
      std::string got;
      for (int64_t d : t->shape)
        got += std::to_string(d) + "x";
      return op.emitError() << "weight '" << name << "' is " << got << ::heed::dtypeName(t->dtype)
                            << " in the weights file, but the model declares " << type;
    }
    auto idx = addConstantBytes(name, *dtype, t->shape, t->data, t->bytes);
    if (succeeded(idx))
      weightIndex[name] = *idx;
    return idx;
#else
    (void)weightsOpened;
    return op.emitError() << "this build cannot read weights files (no HeedTensors library)";
#endif
  }

  /// One attribute in the generic form; unknown kinds are skipped (they carry
  /// nothing the runtime reads, e.g. arith overflow flags).
  std::optional<flatbuffers::Offset<fb::Attr>> convertAttr(StringRef name, Attribute a) {
    std::vector<int64_t> ints;
    std::vector<double> floats;
    std::string str;
    if (auto b = dyn_cast<BoolAttr>(a))
      ints.push_back(b.getValue() ? 1 : 0);
    else if (auto i = dyn_cast<IntegerAttr>(a))
      ints.push_back(i.getType().isInteger(1) ? int64_t(i.getValue().getZExtValue())
                                              : i.getValue().getSExtValue());
    else if (auto f = dyn_cast<FloatAttr>(a))
      floats.push_back(f.getValueAsDouble());
    else if (auto arr = dyn_cast<DenseI64ArrayAttr>(a))
      ints.assign(arr.asArrayRef().begin(), arr.asArrayRef().end());
    else if (auto arr = dyn_cast<DenseI32ArrayAttr>(a))
      ints.assign(arr.asArrayRef().begin(), arr.asArrayRef().end());
    else if (auto s = dyn_cast<StringAttr>(a))
      str = s.getValue().str();
    else if (auto t = dyn_cast<TypeAttr>(a)) {
      llvm::raw_string_ostream os(str);
      os << t.getValue();
    } else if (isa<UnitAttr>(a))
      ints.push_back(1);
    else if (auto v = mlir::heed::integerValue(a)) // heed enums (AttrRules.h checks them)
      ints.push_back(*v);
    else if (auto e = dyn_cast<arith::CmpIPredicateAttr>(a))
      ints.push_back(int64_t(e.getValue()));
    else
      return std::nullopt;
    return fb::CreateAttrDirect(fbb, name.str().c_str(), &ints, &floats,
                                str.empty() ? nullptr : str.c_str());
  }

  FailureOr<flatbuffers::Offset<fb::Plan>> lowerBlock(Block &block, bool nested) {
    std::vector<int32_t> args, yields;
    std::vector<flatbuffers::Offset<fb::Op>> ops;
    if (nested)
      for (BlockArgument arg : block.getArguments()) {
        auto id = define(arg, arg.getLoc());
        if (failed(id))
          return failure();
        args.push_back(*id);
      }
    for (Operation &op : block) {
      if (isa<func::ReturnOp, mlir::heed::YieldOp>(op)) {
        for (Value v : op.getOperands())
          yields.push_back(ids.lookup(v));
        continue;
      }
      auto lowered = lowerOp(op);
      if (failed(lowered))
        return failure();
      ops.push_back(*lowered);
    }
    return fb::CreatePlanDirect(fbb, &args, &ops, &yields);
  }

  FailureOr<flatbuffers::Offset<fb::Op>> lowerOp(Operation &op) {
    std::string kind = op.getName().getStringRef().str();
    std::vector<flatbuffers::Offset<fb::Attr>> attrs;
    // arith.constant of a tensor is a heed.constant.
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (isa<RankedTensorType>(c.getType()))
        kind = "heed.constant";
      else if (!c.getType().isIndex() && !c.getType().isSignlessInteger())
        return op.emitError() << "the cpu target supports arith.constant only of index, integer "
                                 "or tensor type";
    }
    bool known = false;
    for (const ::heed::ops::OpSpec &spec : ::heed::ops::kOpSpecs) // the runtime's op table
      known |= kind == spec.name;
    if (!known)
      return op.emitError() << "'" << op.getName() << "' is not supported by the cpu target";

    std::vector<int32_t> operands;
    for (Value v : op.getOperands()) {
      auto it = ids.find(v);
      if (it == ids.end())
        return op.emitError() << "uses a value the cpu target did not see defined";
      operands.push_back(it->second);
    }

    if (kind == "heed.constant") {
      auto value = op.getAttrOfType<ElementsAttr>("value");
      if (!value)
        return op.emitError() << "has no elements value";
      auto idx = addElements(value, op.getLoc());
      if (failed(idx))
        return failure();
      std::vector<int64_t> ints{*idx};
      attrs.push_back(fb::CreateAttrDirect(fbb, "constant", &ints));
    } else if (auto w = dyn_cast<mlir::heed::WeightOp>(op)) {
      auto idx = addWeight(w);
      if (failed(idx))
        return failure();
      std::vector<int64_t> ints{*idx};
      attrs.push_back(fb::CreateAttrDirect(fbb, "constant", &ints));
    } else {
      auto addAll = [&](ArrayRef<NamedAttribute> list) {
        for (NamedAttribute a : list)
          if (auto converted = convertAttr(a.getName().getValue(), a.getValue()))
            attrs.push_back(*converted);
      };
      if (auto props = dyn_cast_or_null<DictionaryAttr>(op.getPropertiesAsAttribute()))
        addAll(props.getValue());
      addAll(op.getDiscardableAttrDictionary().getValue());
    }

    flatbuffers::Offset<fb::Plan> body = 0;
    if (auto scan = dyn_cast<mlir::heed::ScanOp>(op)) {
      auto b = lowerBlock(scan.getBody().front(), /*nested=*/true);
      if (failed(b))
        return failure();
      body = *b;
    } else if (op.getNumRegions() != 0) {
      return op.emitError() << "has regions the cpu target cannot lower";
    }

    std::vector<int32_t> results;
    for (Value r : op.getResults()) {
      auto id = define(r, op.getLoc());
      if (failed(id))
        return failure();
      results.push_back(*id);
    }
    std::string loc = locationString(op.getLoc());
    return fb::CreateOpDirect(fbb, kind.c_str(), &operands, &results, &attrs, loc.c_str(), body);
  }

  FailureOr<flatbuffers::Offset<fb::Function>> lowerFunction(func::FuncOp fn) {
    ids.clear();
    values.clear();
    std::vector<int32_t> inputs, outputs;
    std::vector<std::string> names;
    Block &entry = fn.getBody().front();
    for (BlockArgument arg : entry.getArguments()) {
      auto id = define(arg, fn.getLoc());
      if (failed(id))
        return failure();
      inputs.push_back(*id);
      std::string name = "arg" + std::to_string(arg.getArgNumber());
      if (auto attr = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "heed.name"))
        name = attr.getValue().str();
      else if (auto n = dyn_cast<NameLoc>(arg.getLoc()))
        name = n.getName().str();
      names.push_back(name);
    }
    auto plan = lowerBlock(entry, /*nested=*/false);
    if (failed(plan))
      return failure();
    for (Operation &op : entry)
      if (auto ret = dyn_cast<func::ReturnOp>(op))
        for (Value v : ret.getOperands())
          outputs.push_back(ids.lookup(v));
    if (!fn.getBody().hasOneBlock())
      return fn.emitError() << "has several blocks; the cpu target needs one";
    std::vector<flatbuffers::Offset<flatbuffers::String>> nameOffsets, outputNames, inputDims,
        outputDims;
    for (const std::string &n : names)
      nameOffsets.push_back(fbb.CreateString(n));
    // heed.dims as "B,S,64": lets a runtime find the batch dim of decoder state.
    auto dimsString = [&](DictionaryAttr attrs) {
      std::string joined;
      if (auto dims = attrs ? attrs.getAs<ArrayAttr>("heed.dims") : ArrayAttr())
        for (auto [i, d] : llvm::enumerate(dims))
          if (auto s = dyn_cast<StringAttr>(d))
            joined += (i ? "," : "") + s.getValue().str();
      return fbb.CreateString(joined);
    };
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      inputDims.push_back(dimsString(fn.getArgAttrDict(i)));
    for (unsigned i = 0; i < fn.getNumResults(); ++i) {
      auto name = fn.getResultAttrOfType<StringAttr>(i, "heed.name");
      outputNames.push_back(fbb.CreateString(name ? name.getValue().str() : ""));
      outputDims.push_back(dimsString(fn.getResultAttrDict(i)));
    }
    std::string loc = locationString(fn.getLoc());
    return fb::CreateFunctionDirect(fbb, fn.getSymName().str().c_str(), &values, &inputs,
                                    &nameOffsets, &outputs, *plan, loc.c_str(), &outputNames,
                                    &inputDims, &outputDims);
  }
};

LogicalResult Writer::run(std::string &bytes) {
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    auto f = lowerFunction(fn);
    if (failed(f))
      return failure();
    functions.push_back(*f);
  }
  if (functions.empty())
    return emitError(module.getLoc()) << "the module has no function to compile";
  std::vector<flatbuffers::Offset<fb::Constant>> consts;
  for (const ConstantEntry &c : constants)
    consts.push_back(
        fb::CreateConstantDirect(fbb, c.name.c_str(), c.dtype, &c.dims, c.offset, c.bytes));
  flatbuffers::Offset<fb::VulkanSection> vulkan = 0;
  if (target != "cpu") {
#ifdef HEED_HAVE_VULKAN_TARGET
    auto section = mlir::heed::vulkan::buildSection(module, fbb, target == "vulkan");
    if (failed(section))
      return failure();
    vulkan = *section;
#else
    // "all" means every target this build has; only an explicit "vulkan" is an error.
    if (target == "vulkan")
      return emitError(module.getLoc())
             << "this build has no vulkan target (HEED_ENABLE_VULKAN off)";
#endif
  }
  auto root =
      fb::CreateModuleDirect(fbb, "heed-compile", target.c_str(), &functions, &consts, vulkan);
  fb::FinishModuleBuffer(fbb, root);

  using namespace hfmt;
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kVersion;
  header.payloadOffset = kHeaderSize;
  header.payloadSize = fbb.GetSize();
  header.dataOffset =
      (kHeaderSize + header.payloadSize + kDataAlignment - 1) / kDataAlignment * kDataAlignment;
  header.dataSize = data.size();
  bytes.assign(size_t(header.dataOffset + header.dataSize), '\0');
  std::memcpy(&bytes[kHeaderSize], fbb.GetBufferPointer(), fbb.GetSize());
  if (!data.empty())
    std::memcpy(&bytes[header.dataOffset], data.data(), data.size());
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t off = kHeaderSize; off < bytes.size();) {
    uInt chunk = uInt(std::min<size_t>(bytes.size() - off, size_t(1) << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef *>(bytes.data() + off), chunk);
    off += chunk;
  }
  header.crc32 = uint32_t(crc);
  std::memcpy(bytes.data(), &header, sizeof header);
  return success();
}

} // namespace

LogicalResult mlir::heed::serializeModule(ModuleOp module, StringRef target, std::string &bytes) {
  if (target != "cpu" && target != "vulkan" && target != "all")
    return emitError(module.getLoc()) << "unknown target '" << target << "'";
  Writer writer(module, target);
  return writer.run(bytes);
}

LogicalResult mlir::heed::writeModuleFile(ModuleOp module, StringRef target, StringRef outputPath) {
  std::string bytes;
  if (failed(serializeModule(module, target, bytes)))
    return failure();
  // "-" (and /dev/stdout) writes the module to standard output, like `gzip -c`; a terminal is
  // refused, since the bytes are binary. Anything else goes through the runtime's safe writer
  // (runtime/files/SafeFiles.h): a temporary file beside the target renamed over it, so a
  // runtime that has the old file mapped keeps its pages (an in-place rewrite would SIGBUS
  // it), and a target that is not a regular file (/dev/null, a FIFO, a link) is refused.
  std::string error;
  if (::heed::files::isStdoutPath(outputPath)) {
    if (::isatty(1))
      return emitError(module.getLoc())
             << "refusing to write a binary module to a terminal; redirect it or give -o FILE";
    llvm::outs().flush();
    if (!::heed::files::writeStdout(bytes, error))
      return emitError(module.getLoc()) << error;
    return success();
  }
  if (!::heed::files::writeFileReplacing(outputPath.str(), bytes, error))
    return emitError(module.getLoc()) << error;
  return success();
}
