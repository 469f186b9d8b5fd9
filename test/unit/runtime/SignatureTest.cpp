//===- SignatureTest.cpp - The C API's typed signature queries ------------===//
//
// heed_function_{input,output}_{dtype,rank,dim,dim_name} describe a function
// without type strings; a bad handle, index or dim is an error status, never
// a crash. The module is compiled in-process from MLIR text.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/targets/Targets.h"
#include "heed/heed.h"
#include "heed/heed.hpp"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>

namespace {

const char *kModel = R"mlir(
func.func @main(%x: tensor<?x?x4xf32> {heed.dims = ["B", "S", "4"], heed.name = "x"},
                %n: index,
                %m: tensor<?x3xbf16>)
    -> (tensor<?x4xf32> {heed.dims = ["B", "4"], heed.name = "y"}, index) {
  %s = heed.reduce sum, %x {axes = array<i64: 1>} : (tensor<?x?x4xf32>) -> tensor<?x4xf32>
  return %s, %n : tensor<?x4xf32>, index
}
)mlir";

struct Loaded {
  heed_runtime *rt = nullptr;
  heed_module *module = nullptr;
  heed_function *fn = nullptr;
  Loaded() {
    mlir::DialectRegistry registry;
    mlir::heed::registerHeedDialects(registry);
    mlir::MLIRContext context(registry);
    context.loadAllAvailableDialects();
    auto parsed = mlir::parseSourceString<mlir::ModuleOp>(kModel, &context);
    EXPECT_TRUE(parsed);
    std::string bytes;
    EXPECT_TRUE(mlir::succeeded(mlir::heed::serializeModule(*parsed, "cpu", bytes)));
    EXPECT_EQ(heed_runtime_create("cpu", &rt), HEED_OK);
    EXPECT_EQ(heed_module_load_memory(rt, bytes.data(), bytes.size(), "sig", &module), HEED_OK)
        << heed_last_error();
    EXPECT_EQ(heed_module_find_function(module, "main", &fn), HEED_OK);
  }
  ~Loaded() {
    heed_module_destroy(module);
    heed_runtime_destroy(rt);
  }
};

TEST(Signature, TensorsAndIndexScalars) {
  Loaded l;
  ASSERT_NE(l.fn, nullptr);
  heed_dtype dtype = HEED_U64;
  size_t rank = 99;
  int64_t dim = 0;
  const char *name = nullptr;
  ASSERT_EQ(heed_function_input_dtype(l.fn, 0, &dtype), HEED_OK);
  EXPECT_EQ(dtype, HEED_F32);
  ASSERT_EQ(heed_function_input_rank(l.fn, 0, &rank), HEED_OK);
  EXPECT_EQ(rank, 3u);
  ASSERT_EQ(heed_function_input_dim(l.fn, 0, 0, &dim), HEED_OK);
  EXPECT_EQ(dim, -1);
  ASSERT_EQ(heed_function_input_dim(l.fn, 0, 2, &dim), HEED_OK);
  EXPECT_EQ(dim, 4);
  ASSERT_EQ(heed_function_input_dim_name(l.fn, 0, 1, &name), HEED_OK);
  EXPECT_STREQ(name, "S");
  // A number in heed.dims is no symbol.
  ASSERT_EQ(heed_function_input_dim_name(l.fn, 0, 2, &name), HEED_OK);
  EXPECT_STREQ(name, "");

  ASSERT_EQ(heed_function_input_dtype(l.fn, 1, &dtype), HEED_OK);
  EXPECT_EQ(dtype, HEED_INDEX);
  ASSERT_EQ(heed_function_input_rank(l.fn, 1, &rank), HEED_OK);
  EXPECT_EQ(rank, 0u);

  // No heed.dims: no symbols.
  ASSERT_EQ(heed_function_input_dtype(l.fn, 2, &dtype), HEED_OK);
  EXPECT_EQ(dtype, HEED_BF16);
  ASSERT_EQ(heed_function_input_dim_name(l.fn, 2, 0, &name), HEED_OK);
  EXPECT_STREQ(name, "");

  ASSERT_EQ(heed_function_output_dtype(l.fn, 0, &dtype), HEED_OK);
  EXPECT_EQ(dtype, HEED_F32);
  ASSERT_EQ(heed_function_output_rank(l.fn, 0, &rank), HEED_OK);
  EXPECT_EQ(rank, 2u);
  ASSERT_EQ(heed_function_output_dim(l.fn, 0, 1, &dim), HEED_OK);
  EXPECT_EQ(dim, 4);
  ASSERT_EQ(heed_function_output_dim_name(l.fn, 0, 0, &name), HEED_OK);
  EXPECT_STREQ(name, "B");
  ASSERT_EQ(heed_function_output_dtype(l.fn, 1, &dtype), HEED_OK);
  EXPECT_EQ(dtype, HEED_INDEX);
}

TEST(Signature, BadArgumentsAreErrors) {
  Loaded l;
  ASSERT_NE(l.fn, nullptr);
  heed_dtype dtype = HEED_U64;
  size_t rank = 0;
  int64_t dim = 7;
  const char *name = nullptr;
  EXPECT_EQ(heed_function_input_dtype(l.fn, 3, &dtype), HEED_INVALID_ARGUMENT);
  EXPECT_NE(std::string(heed_last_error()).find("input 3 is out of range: 'main' has 3 inputs"),
            std::string::npos)
      << heed_last_error();
  EXPECT_EQ(dtype, HEED_U64);
  EXPECT_EQ(heed_function_output_rank(l.fn, 2, &rank), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_function_input_dim(l.fn, 0, 3, &dim), HEED_INVALID_ARGUMENT);
  EXPECT_NE(std::string(heed_last_error()).find("dim 3 is out of range: input 0 has rank 3"),
            std::string::npos)
      << heed_last_error();
  EXPECT_EQ(dim, 7);
  EXPECT_EQ(heed_function_input_dim(l.fn, 1, 0, &dim), HEED_INVALID_ARGUMENT); // an index
  EXPECT_EQ(heed_function_output_dim_name(l.fn, 0, 2, &name), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_function_output_dim_name(l.fn, 5, 0, &name), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(name, nullptr);
  EXPECT_EQ(heed_function_input_dtype(nullptr, 0, &dtype), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_function_input_rank(l.fn, 0, nullptr), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_function_output_dim(l.fn, 0, 0, nullptr), HEED_INVALID_ARGUMENT);
  // A good call after a bad one clears the message.
  EXPECT_EQ(heed_function_input_rank(l.fn, 0, &rank), HEED_OK);
  EXPECT_STREQ(heed_last_error(), "");
}

TEST(Signature, CppWrapper) {
  Loaded l;
  heed::Function f(l.fn);
  heed::ValueInfo v;
  ASSERT_TRUE(f.input(0, v));
  EXPECT_EQ(v.dtype, HEED_F32);
  EXPECT_EQ(v.dims, (std::vector<int64_t>{-1, -1, 4}));
  EXPECT_EQ(v.dimNames, (std::vector<std::string>{"B", "S", ""}));
  ASSERT_TRUE(f.output(1, v));
  EXPECT_TRUE(v.isIndex());
  EXPECT_TRUE(v.dims.empty());
  heed::Status st = f.input(9, v);
  EXPECT_EQ(st.code, HEED_INVALID_ARGUMENT);
  EXPECT_NE(st.message.find("out of range"), std::string::npos);
}

} // namespace
