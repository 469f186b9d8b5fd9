//===- Tensors.cpp - Initializers, tensor literals and external data ------===//
//
// A TensorProto's dims, element count and bytes are checked against each
// other before anything is built; external data must stay inside the model's
// directory (relative paths only, no `..`, symlinks resolved) and within the
// file's bounds. Small signless integer tensors become known values.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "runtime/files/SafeFiles.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

FailureOr<std::string> Importer::externalPath(StringRef location) {
  namespace fs = llvm::sys::fs;
  namespace sp = llvm::sys::path;
  if (sp::is_absolute(location) || sp::is_absolute(location, sp::Style::windows) ||
      location.find('\0') != StringRef::npos)
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
  return std::string(realFile);
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
  if (location.empty())
    return error() << "external data without a location";
  FailureOr<std::string> realFile = externalPath(location);
  if (failed(realFile))
    return failure();
  // Through the runtime's opener: a FIFO, directory or device is refused without blocking,
  // and the size and the bytes come from the one descriptor checked.
  std::string openError;
  int fd = ::heed::files::openRegularFile(*realFile, openError);
  if (fd < 0) {
    std::string prefix = *realFile + ": ";
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
  auto buffer = llvm::MemoryBuffer::getOpenFileSlice(fd, *realFile, length, offset);
  if (!buffer)
    return error() << "cannot read external data file '" << location
                   << "': " << buffer.getError().message();
  return std::move(*buffer);
}

FailureOr<std::string> Importer::typedBytes(const ::onnx::TensorProto &tensor, int64_t count,
                                            int64_t bytes, StringRef what) {
  std::string converted;
  auto typed = [&](int64_t n, auto append) -> LogicalResult {
    if (n != count)
      return error() << what << " has " << n << " elements but its dims need " << count;
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
  return converted;
}

/// A signless integer tensor's elements as a known value.
static Known knownOf(ArrayRef<int64_t> shape, Type et, int64_t count, StringRef raw) {
  Known k;
  k.shape.assign(shape.begin(), shape.end());
  k.elementType = et;
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = 0;
    if (et.isInteger(1))
      v = raw[i] != 0;
    else if (et.isInteger(32))
      v = static_cast<int32_t>(llvm::support::endian::read32le(raw.data() + 4 * i));
    else
      v = static_cast<int64_t>(llvm::support::endian::read64le(raw.data() + 8 * i));
    k.elems.push_back({v, Value()});
  }
  return k;
}

LogicalResult Importer::importTensor(const ::onnx::TensorProto &tensor, Entry &entry) {
  std::string what = "tensor '" + tensor.name() + "'";
  FailureOr<Type> element = elementType(tensor.data_type(), what);
  if (failed(element))
    return failure();
  if (failed(checkRank(what, tensor.dims_size())))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (failed(checkDim(what, d)))
      return failure();
    shape.push_back(d);
  }
  std::optional<int64_t> count = product(shape);
  if (!count || *count > kMaxElements)
    return error() << what << " has too many elements (the limit is " << kMaxElements << ")";
  Type et = *element;
  int64_t width = et.isInteger(1) ? 1 : et.getIntOrFloatBitWidth() / 8;
  int64_t bytes = *count * width;

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
    FailureOr<std::string> typed = typedBytes(tensor, *count, bytes, what);
    if (failed(typed))
      return failure();
    converted = std::move(*typed);
    raw = converted;
  }

  // Signless integer tensors small enough are tracked for folding (shape arithmetic is signed;
  // unsigned tensors are data, never shapes).
  if (et.isSignlessInteger() && *count <= kMaxKnownElements) {
    entry.known = knownOf(shape, et, *count, raw);
    return success();
  }
  auto type = RankedTensorType::get(shape, et);
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
