//===- RuntimeTest.cpp - The runtime's C API and loader robustness --------===//
//
// Modules are compiled in-process from MLIR text with the real writer. The
// loader tests corrupt every byte of a module and re-seal the checksum, so
// the FlatBuffer verifier and the semantic checks (not just the CRC) must
// reject or safely run whatever results: no crash, no abort.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/targets/Targets.h"
#include "heed/heed.h"
#include "heed/heed.hpp"
#include "runtime/core/TensorMemory.h"
#include "runtime/module/Format.h"
#include "runtime/module/heed_module_generated.h"
#include "test/unit/CompileExample.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>
#include <zlib.h>

#include <unistd.h>

namespace {

std::string compile(const char *source) {
  mlir::DialectRegistry registry;
  mlir::heed::registerHeedDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  EXPECT_TRUE(module);
  std::string bytes;
  EXPECT_TRUE(mlir::succeeded(mlir::heed::serializeModule(*module, "cpu", bytes)));
  return bytes;
}

const char *kModel = R"mlir(
func.func @main(%ids: tensor<?x?xi64>, %x: tensor<?x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x4xf32>, index) {
  %table = heed.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<3x4xf32>
  %e = heed.embedding %table, %ids : (tensor<3x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %s = heed.softmax %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %m = heed.matmul %s, %table {transpose_b = true} : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  %l = heed.linear %m, %table {transpose_weight = false} : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
  %d = heed.dim %x, 0 : tensor<?x4xf32>
  %c = arith.constant 3 : index
  %n = arith.muli %d, %c : index
  return %e, %l, %n : tensor<?x?x4xf32>, tensor<?x4xf32>, index
}
)mlir";

struct Runtime {
  heed_runtime *rt = nullptr;
  Runtime() { EXPECT_EQ(heed_runtime_create("cpu", &rt), HEED_OK); }
  ~Runtime() { heed_runtime_destroy(rt); }
};

heed_tensor *tensor(heed_dtype dtype, std::vector<int64_t> shape, const void *data) {
  heed_tensor *t = nullptr;
  EXPECT_EQ(heed_tensor_create(dtype, shape.data(), shape.size(), data, &t), HEED_OK);
  return t;
}

/// Loads and, if that works, runs `bytes` with valid inputs; returns the load status.
heed_status loadAndRun(heed_runtime *rt, const std::string &bytes) {
  heed_module *m = nullptr;
  heed_status st = heed_module_load_memory(rt, bytes.data(), bytes.size(), "fuzz", &m);
  if (st != HEED_OK) {
    EXPECT_NE(std::strlen(heed_last_error()), 0u);
    return st;
  }
  for (size_t f = 0; f < heed_module_function_count(m); ++f) {
    heed_function *fn = heed_module_function_at(m, f);
    std::vector<heed_tensor *> in, out(heed_function_output_count(fn), nullptr);
    int64_t ids[] = {0, 1, 2, 1};
    float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
    in.push_back(tensor(HEED_I64, {2, 2}, ids));
    in.push_back(tensor(HEED_F32, {2, 4}, x));
    if (heed_function_input_count(fn) == 2)
      heed_function_invoke(fn, in.data(), in.size(), out.data(), out.size());
    for (heed_tensor *t : in)
      heed_tensor_destroy(t);
    for (heed_tensor *t : out)
      heed_tensor_destroy(t);
  }
  heed_module_destroy(m);
  return st;
}

void reseal(std::string &bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef *>(bytes.data() + heed::format::kHeaderSize),
              uInt(bytes.size() - heed::format::kHeaderSize));
  uint32_t c = uint32_t(crc);
  std::memcpy(&bytes[12], &c, 4);
}

TEST(Runtime, RunsAModule) {
  Runtime r;
  std::string bytes = compile(kModel);
  heed_module *m = nullptr;
  ASSERT_EQ(heed_module_load_memory(r.rt, bytes.data(), bytes.size(), "t", &m), HEED_OK)
      << heed_last_error();
  heed_function *fn = nullptr;
  ASSERT_EQ(heed_module_find_function(m, nullptr, &fn), HEED_OK);
  EXPECT_STREQ(heed_function_name(fn), "main");
  EXPECT_STREQ(heed_function_input_type(fn, 0), "tensor<?x?xi64>");
  int64_t ids[] = {2, 0};
  float x[] = {0, 0, 0, 0};
  heed_tensor *in[] = {tensor(HEED_I64, {1, 2}, ids), tensor(HEED_F32, {1, 4}, x)};
  heed_tensor *out[3] = {};
  ASSERT_EQ(heed_function_invoke(fn, in, 2, out, 3), HEED_OK) << heed_last_error();
  const float *e = static_cast<const float *>(heed_tensor_data(out[0]));
  EXPECT_EQ(heed_tensor_rank(out[0]), 3u);
  EXPECT_FLOAT_EQ(e[0], 0.5f);
  EXPECT_FLOAT_EQ(e[4], 1.0f);
  // softmax(0) = 1/4 each; m = s . table^T = [2.5, 6.5, 0.5]; l = m . table.
  const float *l = static_cast<const float *>(heed_tensor_data(out[1]));
  EXPECT_NEAR(l[0], 2.5f * 1 + 6.5f * 5 + 0.5f * 0.5f, 1e-4);
  EXPECT_EQ(*static_cast<const int64_t *>(heed_tensor_data(out[2])), 3);
  for (heed_tensor *t : in)
    heed_tensor_destroy(t);
  for (heed_tensor *t : out)
    heed_tensor_destroy(t);
  heed_module_destroy(m);
}

/// The CPU driver keeps a transposed copy of each constant weight (ConstantWeights.cpp). A copy
/// must never outlive its module: modules loaded one after another into one runtime (whose
/// constants may land at the same addresses) and two modules alive at once must each compute
/// with their own weights, with one row (no copy) and several.
TEST(Runtime, ConstantWeightCopiesFollowTheirModule) {
  Runtime r;
  auto modelWithScale = [](int k) {
    std::string w;
    for (int n = 0; n < 3; ++n) {
      w += n ? ", [" : "[";
      for (int c = 0; c < 4; ++c)
        w += (c ? ", " : "") + std::to_string(k * (n * 4 + c + 1)) + ".0";
      w += "]";
    }
    return compile(("func.func @main(%x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {\n"
                    "  %w = heed.constant dense<[" +
                    w +
                    "]> : tensor<3x4xf32>\n"
                    "  %l = heed.linear %x, %w {transpose_weight = true} : (tensor<?x4xf32>, "
                    "tensor<3x4xf32>) -> tensor<?x3xf32>\n"
                    "  %m = heed.matmul %x, %w {transpose_b = true} : (tensor<?x4xf32>, "
                    "tensor<3x4xf32>) -> tensor<?x3xf32>\n"
                    "  return %l, %m : tensor<?x3xf32>, tensor<?x3xf32>\n}\n")
                       .c_str());
  };
  // y[i][n] = k * sum_c x[i][c] * (4n + c + 1)
  auto check = [&](heed_module *m, int k, int64_t rows) {
    heed_function *fn = nullptr;
    ASSERT_EQ(heed_module_find_function(m, nullptr, &fn), HEED_OK);
    std::vector<float> x(size_t(rows * 4));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = float(i % 7) - 2.0f;
    heed_tensor *in[] = {tensor(HEED_F32, {rows, 4}, x.data())};
    heed_tensor *out[2] = {};
    ASSERT_EQ(heed_function_invoke(fn, in, 1, out, 2), HEED_OK) << heed_last_error();
    for (heed_tensor *y : out) {
      const float *v = static_cast<const float *>(heed_tensor_data(y));
      for (int64_t i = 0; i < rows; ++i)
        for (int n = 0; n < 3; ++n) {
          float want = 0;
          for (int c = 0; c < 4; ++c)
            want += x[size_t(i * 4 + c)] * float(k * (n * 4 + c + 1));
          ASSERT_FLOAT_EQ(v[i * 3 + n], want) << "scale " << k << ", " << rows << " rows";
        }
      heed_tensor_destroy(y);
    }
    heed_tensor_destroy(in[0]);
  };
  auto load = [&](const std::string &bytes) {
    heed_module *m = nullptr;
    EXPECT_EQ(heed_module_load_memory(r.rt, bytes.data(), bytes.size(), "w", &m), HEED_OK);
    return m;
  };
  for (int k = 1; k <= 12; ++k) {
    heed_module *m = load(modelWithScale(k));
    ASSERT_NE(m, nullptr);
    for (int64_t rows : {1, 5, 5, 2})
      check(m, k, rows);
    heed_module_destroy(m);
  }
  heed_module *a = load(modelWithScale(2)), *b = load(modelWithScale(3));
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 3; ++round) {
    check(a, 2, 4);
    check(b, 3, 4);
  }
  heed_module_destroy(a);
  check(b, 3, 6);
  heed_module_destroy(b);
}

/// A weight passed in at run time is not one of the module's constants: nothing may be packed or
/// kept from it (DnnlMatmul.h packs only constants), so each call computes with the weight it gets.
TEST(Runtime, RunTimeWeightsAreReadEachCall) {
  Runtime r;
  std::string bytes = compile(R"mlir(
func.func @main(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %l = heed.linear %x, %w, %b {transpose_weight = true} : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %l : tensor<?x3xf32>
}
)mlir");
  heed_module *m = nullptr;
  ASSERT_EQ(heed_module_load_memory(r.rt, bytes.data(), bytes.size(), "w", &m), HEED_OK)
      << heed_last_error();
  heed_function *fn = nullptr;
  ASSERT_EQ(heed_module_find_function(m, nullptr, &fn), HEED_OK);
  for (int k = 1; k <= 3; ++k)
    for (int64_t rows : {1, 6}) {
      std::vector<float> x(size_t(rows * 4)), w(12), b { float(k), 0.5f, -1.0f };
      for (size_t i = 0; i < x.size(); ++i)
        x[i] = float(i % 5) - 1.0f;
      for (size_t i = 0; i < w.size(); ++i)
        w[i] = float(k) * float(i + 1);
      heed_tensor *in[] = {tensor(HEED_F32, {rows, 4}, x.data()),
                           tensor(HEED_F32, {3, 4}, w.data()), tensor(HEED_F32, {3}, b.data())};
      heed_tensor *out[1] = {};
      ASSERT_EQ(heed_function_invoke(fn, in, 3, out, 1), HEED_OK) << heed_last_error();
      const float *y = static_cast<const float *>(heed_tensor_data(out[0]));
      for (int64_t i = 0; i < rows; ++i)
        for (int n = 0; n < 3; ++n) {
          float want = b[size_t(n)];
          for (int c = 0; c < 4; ++c)
            want += x[size_t(i * 4 + c)] * w[size_t(n * 4 + c)];
          ASSERT_FLOAT_EQ(y[i * 3 + n], want) << "weight " << k << ", " << rows << " rows";
        }
      for (heed_tensor *t : in)
        heed_tensor_destroy(t);
      heed_tensor_destroy(out[0]);
    }
  heed_module_destroy(m);
}

TEST(Runtime, RejectsBadCalls) {
  Runtime r;
  std::string bytes = compile(kModel);
  heed_module *m = nullptr;
  ASSERT_EQ(heed_module_load_memory(r.rt, bytes.data(), bytes.size(), "t", &m), HEED_OK);
  heed_function *fn = nullptr;
  EXPECT_EQ(heed_module_find_function(m, "nope", &fn), HEED_NOT_FOUND);
  EXPECT_NE(std::string(heed_last_error()).find("has no function 'nope'"), std::string::npos);
  ASSERT_EQ(heed_module_find_function(m, "main", &fn), HEED_OK);
  heed_tensor *out[3] = {};
  EXPECT_EQ(heed_function_invoke(fn, nullptr, 0, out, 3), HEED_INVALID_ARGUMENT);
  int64_t bad[] = {7};
  float x[] = {0, 0, 0, 0};
  heed_tensor *in[] = {tensor(HEED_I64, {1, 1}, bad), tensor(HEED_F32, {1, 4}, x)};
  EXPECT_EQ(heed_function_invoke(fn, in, 2, out, 3), HEED_RUNTIME_ERROR);
  EXPECT_NE(std::string(heed_last_error()).find("id 7 at position 0 is out of range [0, 3)"),
            std::string::npos)
      << heed_last_error();
  heed_tensor *wrong = tensor(HEED_F64, {1, 4}, nullptr);
  heed_tensor *in2[] = {in[0], wrong};
  EXPECT_EQ(heed_function_invoke(fn, in2, 2, out, 3), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_runtime_create("tpu", nullptr), HEED_INVALID_ARGUMENT);
  heed_runtime *v = nullptr;
  // No such Vulkan device (or no Vulkan at all): an error status, never a crash.
  EXPECT_NE(heed_runtime_create("vulkan:9999", &v), HEED_OK);
  EXPECT_NE(heed_runtime_create("vulkan:x", &v), HEED_OK);
  int64_t negative[] = {-1};
  heed_tensor *t = nullptr;
  EXPECT_EQ(heed_tensor_create(HEED_F32, negative, 1, nullptr, &t), HEED_INVALID_ARGUMENT);
  int64_t huge[] = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_NE(heed_tensor_create(HEED_F32, huge, 2, nullptr, &t), HEED_OK);
  EXPECT_EQ(heed_runtime_write_trace(nullptr, "t.json"), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_runtime_write_trace(r.rt, nullptr), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_runtime_write_trace(r.rt, "/nonexistent-dir/t.json"), HEED_NOT_FOUND);
  for (heed_tensor *x : in)
    heed_tensor_destroy(x);
  heed_tensor_destroy(wrong);
  heed_module_destroy(m);
}

TEST(Runtime, RejectsTruncatedModules) {
  Runtime r;
  std::string bytes = compile(kModel);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_EQ(loadAndRun(r.rt, bytes.substr(0, n)), HEED_INVALID_MODULE) << n;
}

TEST(Runtime, SurvivesEveryCorruptedByte) {
  Runtime r;
  std::string bytes = compile(kModel);
  size_t rejected = 0;
  for (size_t i = heed::format::kHeaderSize; i < bytes.size(); ++i)
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::string b = bytes;
      b[i] = char(uint8_t(b[i]) ^ flip);
      EXPECT_EQ(loadAndRun(r.rt, b), HEED_INVALID_MODULE) << "checksum not checked at " << i;
      reseal(b); // past the CRC: the verifier and the semantic checks must hold
      rejected += loadAndRun(r.rt, b) != HEED_OK;
    }
  EXPECT_GT(rejected, 0u);
}

TEST(Runtime, CppWrapper) {
  heed::Runtime rt;
  ASSERT_TRUE(heed::Runtime::create("cpu", rt));
  std::string bytes = compile(kModel);
  heed::Module m;
  ASSERT_TRUE(rt.load(bytes.data(), bytes.size(), "t", m));
  heed::Function f;
  ASSERT_TRUE(m.function("", f));
  EXPECT_EQ(f.inputCount(), 2u);
  int64_t ids[] = {1};
  heed::Tensor a = heed::Tensor::make(HEED_I64, {1, 1}, ids);
  heed::Tensor x = heed::Tensor::make(HEED_F32, {1, 4});
  std::vector<heed::Tensor> out;
  heed::Status st = f.invoke({&a, &x}, out);
  ASSERT_TRUE(st) << st.message;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{1, 1, 4}));
  EXPECT_FLOAT_EQ(out[0].data<float>()[3], 8.0f);
  st = f.invoke({&a}, out);
  EXPECT_EQ(st.code, HEED_INVALID_ARGUMENT);
  EXPECT_NE(st.message.find("expects 2 inputs, got 1"), std::string::npos) << st.message;
  heed::Module missing;
  EXPECT_EQ(rt.load("/nonexistent.heedm", missing).code, HEED_NOT_FOUND);
}

/// heed_tensor_wrap: the runtime reads the caller's memory in place, and no output keeps it.
TEST(Runtime, WrappedInputsAreReadInPlace) {
  heed::Runtime rt;
  ASSERT_TRUE(heed::Runtime::create("cpu", rt));
  std::string bytes = compile(R"mlir(
func.func @main(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?xf32>, tensor<?x4xf32>) {
  %flat = heed.reshape %x {shape = array<i64: -1>} : (tensor<?x4xf32>) -> tensor<?xf32>
  %s = heed.add %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %x, %flat, %s : tensor<?x4xf32>, tensor<?xf32>, tensor<?x4xf32>
}
)mlir");
  heed::Module m;
  ASSERT_TRUE(rt.load(bytes.data(), bytes.size(), "t", m));
  heed::Function f;
  ASSERT_TRUE(m.function("main", f));
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  heed::Tensor in = heed::Tensor::wrap(HEED_F32, {2, 4}, x.data());
  ASSERT_TRUE(in) << heed_last_error();
  EXPECT_EQ(in.data<float>(), x.data());
  std::vector<heed::Tensor> out;
  heed::Status st = f.invoke({&in}, out);
  ASSERT_TRUE(st) << st.message;
  // The input itself and its reshape come back as copies: the caller may reuse `x` now.
  for (int i = 0; i < 2; ++i) {
    const float *o = out[size_t(i)].data<float>();
    EXPECT_TRUE(o < x.data() || o >= x.data() + x.size());
  }
  std::vector<float> original = x;
  std::fill(x.begin(), x.end(), -1.0f);
  for (size_t k = 0; k < x.size(); ++k) {
    EXPECT_EQ(out[0].data<float>()[k], original[k]);
    EXPECT_EQ(out[1].data<float>()[k], original[k]);
    EXPECT_EQ(out[2].data<float>()[k], 2 * original[k]);
  }

  // Misaligned or missing data is refused; no data is fine for no elements.
  alignas(8) char raw[40] = {};
  heed_tensor *t = nullptr;
  int64_t shape[] = {2, 4};
  EXPECT_EQ(heed_tensor_wrap(HEED_F32, shape, 2, raw + 1, &t), HEED_INVALID_ARGUMENT);
  EXPECT_NE(std::string(heed_last_error()).find("not aligned to its element size (4 bytes)"),
            std::string::npos)
      << heed_last_error();
  EXPECT_EQ(heed_tensor_wrap(HEED_F32, shape, 2, nullptr, &t), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_tensor_wrap(HEED_INDEX, shape, 2, raw, &t), HEED_INVALID_ARGUMENT);
  int64_t empty[] = {0, 4};
  ASSERT_EQ(heed_tensor_wrap(HEED_F32, empty, 2, nullptr, &t), HEED_OK) << heed_last_error();
  heed_tensor_destroy(t);
}

/// HEED_GUARD_ALLOC's buffers (TensorMemory.h): the data ends at an inaccessible page.
TEST(TensorMemory, GuardModeFaultsPastTheEnd) {
  using namespace heed::rt;
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  for (size_t bytes : {size_t(4), size_t(10), page, page + 12}) {
    size_t size = tensorAllocationSize(bytes, /*guard=*/true);
    EXPECT_EQ(size, bytes);
    uint8_t *p = allocateTensorBytes(size, true);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p + bytes) % page, 0u);
    for (size_t i = 0; i < bytes; ++i)
      ASSERT_EQ(p[i], 0);
    std::memset(p, 7, bytes);
    EXPECT_DEATH({ (void)*reinterpret_cast<volatile uint8_t *>(p + bytes); }, "");
    freeTensorBytes(p, size, true);
  }
  // Normal mode: 64-byte aligned, rounded up to 64 bytes, zeroed.
  EXPECT_EQ(tensorAllocationSize(10, false), 64u);
  EXPECT_EQ(tensorAllocationSize(0, false), 64u);
  std::shared_ptr<uint8_t> s = makeTensorStorage(100, false);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.get()) % 64, 0u);
  for (size_t i = 0; i < 128; ++i)
    ASSERT_EQ(s.get()[i], 0);
}

/// A module built by hand: `build` fills the FlatBuffer; the data section holds `data`.
template <typename Build> std::string handMade(Build build, const std::vector<uint8_t> &data = {}) {
  flatbuffers::FlatBufferBuilder fbb;
  heed::fb::FinishModuleBuffer(fbb, build(fbb));
  heed::format::Header h{};
  std::memcpy(h.magic, heed::format::kMagic, 8);
  h.version = heed::format::kVersion;
  h.payloadOffset = 64;
  h.payloadSize = fbb.GetSize();
  h.dataOffset = (64 + h.payloadSize + 63) / 64 * 64;
  h.dataSize = data.size();
  std::string bytes(h.dataOffset + h.dataSize, '\0');
  std::memcpy(&bytes[64], fbb.GetBufferPointer(), fbb.GetSize());
  if (!data.empty())
    std::memcpy(&bytes[h.dataOffset], data.data(), data.size());
  std::memcpy(&bytes[0], &h, sizeof h);
  reseal(bytes);
  return bytes;
}

/// One function `f(%0: tensor<4xf32>) -> %result` whose plan is `ops`.
std::string oneFunction(
    std::function<std::vector<flatbuffers::Offset<heed::fb::Op>>(flatbuffers::FlatBufferBuilder &)>
        ops,
    int32_t result, int32_t numValues = 2,
    std::function<
        std::vector<flatbuffers::Offset<heed::fb::Constant>>(flatbuffers::FlatBufferBuilder &)>
        constants = nullptr,
    const std::vector<uint8_t> &data = {}) {
  return handMade(
      [&](flatbuffers::FlatBufferBuilder &fbb) {
        std::vector<flatbuffers::Offset<heed::fb::ValueType>> values;
        std::vector<int64_t> dims{4};
        for (int32_t i = 0; i < numValues; ++i)
          values.push_back(heed::fb::CreateValueTypeDirect(fbb, heed::fb::DType_f32, &dims));
        auto planOps = ops(fbb);
        std::vector<int32_t> args, yields;
        auto plan = heed::fb::CreatePlanDirect(fbb, &args, &planOps, &yields);
        std::vector<int32_t> inputs{0}, outputs{result};
        auto fn =
            heed::fb::CreateFunctionDirect(fbb, "f", &values, &inputs, nullptr, &outputs, plan);
        std::vector<flatbuffers::Offset<heed::fb::Function>> fns{fn};
        std::vector<flatbuffers::Offset<heed::fb::Constant>> consts;
        if (constants)
          consts = constants(fbb);
        return heed::fb::CreateModuleDirect(fbb, "test", "cpu", &fns, &consts);
      },
      data);
}

std::string loadError(const std::string &bytes) {
  Runtime r;
  heed_module *m = nullptr;
  heed_status st = heed_module_load_memory(r.rt, bytes.data(), bytes.size(), "hand", &m);
  heed_module_destroy(m);
  return st == HEED_OK ? "loaded" : heed_last_error();
}

flatbuffers::Offset<heed::fb::Op> op(flatbuffers::FlatBufferBuilder &fbb, const char *kind,
                                     std::vector<int32_t> operands, std::vector<int32_t> results,
                                     std::vector<flatbuffers::Offset<heed::fb::Attr>> attrs = {}) {
  return heed::fb::CreateOpDirect(fbb, kind, &operands, &results, &attrs, "m.mlir:3:5");
}

TEST(Loader, SemanticChecks) {
  // A well-formed plan loads.
  EXPECT_EQ(loadError(oneFunction(
                [](auto &fbb) { return std::vector{op(fbb, "heed.exp", {0}, {1})}; }, 1)),
            "loaded");
  EXPECT_NE(loadError(oneFunction(
                          [](auto &fbb) { return std::vector{op(fbb, "heed.exp", {99}, {1})}; }, 1))
                .find("m.mlir:3:5: 'heed.exp': value id 99 out of range"),
            std::string::npos);
  EXPECT_NE(loadError(oneFunction(
                          [](auto &fbb) { return std::vector{op(fbb, "heed.exp", {1}, {1})}; }, 1))
                .find("used before it is defined"),
            std::string::npos);
  EXPECT_NE(loadError(oneFunction(
                          [](auto &fbb) { return std::vector{op(fbb, "heed.exp", {0}, {0})}; }, 0))
                .find("defined twice"),
            std::string::npos);
  EXPECT_NE(
      loadError(
          oneFunction([](auto &fbb) { return std::vector{op(fbb, "heed.bogus", {0}, {1})}; }, 1))
          .find("'heed.bogus': unknown op kind"),
      std::string::npos);
  EXPECT_NE(loadError(oneFunction(
                          [](auto &fbb) { return std::vector{op(fbb, "heed.exp", {0}, {1})}; }, 7))
                .find("outputs of function 'f': value id 7 out of range"),
            std::string::npos);
  // Operand segments must add up to the operand count.
  EXPECT_NE(loadError(oneFunction(
                          [](auto &fbb) {
                            std::vector<int64_t> seg{1, 5};
                            std::vector attrs{
                                heed::fb::CreateAttrDirect(fbb, "operandSegmentSizes", &seg)};
                            return std::vector{op(fbb, "heed.layer_norm", {0}, {1}, attrs)};
                          },
                          1))
                .find("bad operand segments"),
            std::string::npos);
  // Constants: in range, sized by their dims, inside the data section.
  auto constantOp = [](int64_t index) {
    return [index](auto &fbb) {
      std::vector<int64_t> c{index};
      std::vector attrs{heed::fb::CreateAttrDirect(fbb, "constant", &c)};
      return std::vector{op(fbb, "heed.constant", {}, {1}, attrs)};
    };
  };
  auto constant = [](std::vector<int64_t> dims, uint64_t offset, uint64_t bytes) {
    return [=](auto &fbb) {
      return std::vector{
          heed::fb::CreateConstantDirect(fbb, "w", heed::fb::DType_f32, &dims, offset, bytes)};
    };
  };
  std::vector<uint8_t> data(16, 0);
  EXPECT_EQ(loadError(oneFunction(constantOp(0), 1, 2, constant({4}, 0, 16), data)), "loaded");
  EXPECT_NE(loadError(oneFunction(constantOp(3), 1, 2, constant({4}, 0, 16), data))
                .find("constant index 3 out of range"),
            std::string::npos);
  EXPECT_NE(loadError(oneFunction(constantOp(0), 1, 2, constant({5}, 0, 16), data))
                .find("constant 'w' holds 16 bytes, its dims need 20"),
            std::string::npos);
  EXPECT_NE(loadError(oneFunction(constantOp(0), 1, 2, constant({4}, 64, 16), data))
                .find("constant 'w' lies outside the data section"),
            std::string::npos);
  EXPECT_NE(
      loadError(oneFunction(constantOp(0), 1, 2, constant({int64_t(1) << 62, 4}, 0, 16), data))
          .find("constant 'w' has invalid dims"),
      std::string::npos);
  EXPECT_NE(loadError(oneFunction(constantOp(0), 1, 2, constant({-1}, 0, 16), data))
                .find("constant 'w' has invalid dims"),
            std::string::npos);
}

// The op table (OpTable.h, generated from HeedOps.td) checks each op's attributes and arity at
// load time, so no driver reads a missing attribute as a silent default.
TEST(Loader, OpTableChecks) {
  auto withAttr = [](const char *kind, std::vector<int32_t> operands, const char *attr,
                     std::vector<int64_t> ints, std::vector<double> floats) {
    return [=](auto &fbb) {
      std::vector<flatbuffers::Offset<heed::fb::Attr>> attrs;
      if (attr)
        attrs.push_back(heed::fb::CreateAttrDirect(fbb, attr, &ints, &floats));
      return std::vector{op(fbb, kind, operands, {1}, attrs)};
    };
  };
  auto expectError = [](const std::string &error, const std::string &want) {
    EXPECT_NE(error.find(want), std::string::npos) << error;
  };
  // A defaulted attribute may be absent (softmax's axis = -1); a required one may not.
  EXPECT_EQ(loadError(oneFunction(withAttr("heed.softmax", {0}, nullptr, {}, {}), 1)), "loaded");
  expectError(loadError(oneFunction(withAttr("heed.transpose", {0}, nullptr, {}, {}), 1)),
              "m.mlir:3:5: 'heed.transpose': missing attribute 'permutation'");
  // Each attribute holds the payload its type needs.
  expectError(loadError(oneFunction(withAttr("heed.softmax", {0}, "axis", {}, {0.5}), 1)),
              "'heed.softmax': attribute 'axis' must hold one integer");
  expectError(loadError(oneFunction(withAttr("heed.softmax", {0}, "axis", {1, 2}, {}), 1)),
              "'heed.softmax': attribute 'axis' must hold one integer");
  expectError(
      loadError(oneFunction(withAttr("heed.layer_norm", {0}, "epsilon", {}, {1e-5, 1.0}), 1)),
      "attribute 'epsilon' must hold one number");
  // Operand counts as the dialect declares them.
  expectError(loadError(oneFunction(withAttr("heed.exp", {0, 0}, nullptr, {}, {}), 1)),
              "'heed.exp': expects 1 operand, has 2");
  expectError(loadError(oneFunction(withAttr("heed.add", {0}, nullptr, {}, {}), 1)),
              "'heed.add': expects 2 operands, has 1");
}

/// An input for a declared type ("tensor<?x4xf32>", "index"): dynamic dims 3, small values.
heed_tensor *synthesize(const std::string &type, std::mt19937 &rng) {
  heed_tensor *t = nullptr;
  if (type == "index") {
    int64_t v = rng() % 4;
    heed_tensor_create(HEED_I64, nullptr, 0, &v, &t);
    return t;
  }
  std::string rest = type.substr(7, type.size() - 8);
  std::vector<int64_t> shape;
  for (size_t x; (x = rest.find('x')) != std::string::npos && rest[0] != 'f' && rest[0] != 'i';) {
    std::string d = rest.substr(0, x);
    shape.push_back(d == "?" ? 3 : std::min<int64_t>(std::atoll(d.c_str()), 1 << 12));
    rest = rest.substr(x + 1);
  }
  heed_dtype dtype = rest == "f32"   ? HEED_F32
                     : rest == "f64" ? HEED_F64
                     : rest == "i32" ? HEED_I32
                     : rest == "i64" ? HEED_I64
                                     : HEED_BOOL;
  if (heed_tensor_create(dtype, shape.data(), shape.size(), nullptr, &t) != HEED_OK)
    return nullptr;
  auto *p = static_cast<uint8_t *>(const_cast<void *>(heed_tensor_data(t)));
  for (size_t i = 0; i < heed_tensor_element_count(t); ++i) {
    if (dtype == HEED_F32) {
      float v = float(rng() % 1000) / 500.0f - 1.0f;
      std::memcpy(p + 4 * i, &v, 4);
    } else if (dtype == HEED_I64) {
      int64_t v = rng() % 3;
      std::memcpy(p + 8 * i, &v, 8);
    } else if (dtype == HEED_I32) {
      int32_t v = rng() % 3;
      std::memcpy(p + 4 * i, &v, 4);
    } else if (dtype == HEED_BOOL) {
      p[i] = rng() % 2;
    }
  }
  return t;
}

// Mutated real modules (attributes, ids, dims changed behind a re-sealed checksum) must load
// and run to a status, never crash: the kernels check what the verifier cannot.
TEST(Runtime, SurvivesMutatedExamples) {
  Runtime r;
  std::mt19937 rng(7);
  for (const char *example : {"bahdanau", "transformer", "lstmn"}) {
    std::string bytes = compileExample(example);
    ASSERT_FALSE(bytes.empty());
    size_t loaded = 0, ok = 0;
    for (int it = 0; it <= 300; ++it) {
      std::string b = bytes;
      for (int f = 0; it && f < 1 + int(rng() % 3); ++f)
        b[64 + rng() % (b.size() - 64)] ^= char(1 << (rng() % 8));
      reseal(b);
      heed_module *m = nullptr;
      if (heed_module_load_memory(r.rt, b.data(), b.size(), example, &m) != HEED_OK) {
        EXPECT_NE(it, 0) << heed_last_error();
        continue;
      }
      ++loaded;
      for (size_t f = 0; f < heed_module_function_count(m); ++f) {
        heed_function *fn = heed_module_function_at(m, f);
        std::vector<heed_tensor *> in, out(heed_function_output_count(fn), nullptr);
        for (size_t i = 0; i < heed_function_input_count(fn); ++i)
          in.push_back(synthesize(heed_function_input_type(fn, i), rng));
        heed_status st = heed_function_invoke(fn, in.data(), in.size(), out.data(), out.size());
        if (it == 0)
          EXPECT_EQ(st, HEED_OK) << example << " " << heed_function_name(fn) << ": "
                                 << heed_last_error();
        ok += st == HEED_OK;
        for (heed_tensor *t : in)
          heed_tensor_destroy(t);
        if (st == HEED_OK)
          for (heed_tensor *t : out)
            heed_tensor_destroy(t);
      }
      heed_module_destroy(m);
    }
    EXPECT_GT(loaded, 100u) << example;
    EXPECT_GT(ok, 100u) << example;
  }
}

} // namespace
