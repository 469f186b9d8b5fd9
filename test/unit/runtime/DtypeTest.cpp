//===- DtypeTest.cpp - The C API's element types --------------------------===//
//
// heed_dtype takes the module format's values (the static_asserts in
// runtime/module/Module.cpp hold them together); these tests pin what a C
// client sees: names, sizes, and that HEED_INDEX and unknown values are
// refused as tensor types rather than crashing.
//
//===----------------------------------------------------------------------===//

#include "heed/heed.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(Dtype, ValuesAreTheModuleFormats) {
  EXPECT_EQ(HEED_C_API_VERSION, 2);
  EXPECT_EQ(int(HEED_BOOL), 4);
  EXPECT_EQ(int(HEED_INDEX), 5);
  EXPECT_EQ(int(HEED_F16), 6);
  EXPECT_EQ(int(HEED_U64), 10);
}

TEST(Dtype, NamesAndSizes) {
  EXPECT_STREQ(heed_dtype_name(HEED_F16), "f16");
  EXPECT_STREQ(heed_dtype_name(HEED_BF16), "bf16");
  EXPECT_STREQ(heed_dtype_name(HEED_U8), "ui8");
  EXPECT_STREQ(heed_dtype_name(HEED_BOOL), "i1");
  EXPECT_STREQ(heed_dtype_name(HEED_INDEX), "index");
  EXPECT_STREQ(heed_dtype_name(heed_dtype(11)), "?");
  EXPECT_STREQ(heed_dtype_name(heed_dtype(-1)), "?");
  EXPECT_EQ(heed_dtype_size(HEED_F16), 2u);
  EXPECT_EQ(heed_dtype_size(HEED_U32), 4u);
  EXPECT_EQ(heed_dtype_size(HEED_U64), 8u);
  EXPECT_EQ(heed_dtype_size(heed_dtype(99)), 0u);
}

TEST(Dtype, TensorsTakeTensorTypesOnly) {
  int64_t shape[] = {2};
  heed_tensor *t = nullptr;
  ASSERT_EQ(heed_tensor_create(HEED_BF16, shape, 1, nullptr, &t), HEED_OK);
  EXPECT_EQ(heed_tensor_dtype(t), HEED_BF16);
  EXPECT_EQ(heed_tensor_byte_size(t), 4u);
  heed_tensor_destroy(t);
  t = nullptr;
  // An index is passed as a rank-0 i64 tensor: HEED_INDEX is a signature type only.
  EXPECT_EQ(heed_tensor_create(HEED_INDEX, shape, 1, nullptr, &t), HEED_INVALID_ARGUMENT);
  EXPECT_EQ(heed_tensor_create(heed_dtype(11), shape, 1, nullptr, &t), HEED_INVALID_ARGUMENT);
  EXPECT_NE(std::string(heed_last_error()).find("unknown dtype 11"), std::string::npos);
  EXPECT_EQ(t, nullptr);
}

} // namespace
