//===- TensorsTest.cpp - Tensor file readers on good and hostile files ----===//

#include "runtime/weights/Tensors.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

using namespace heed;

namespace {
using Bytes = std::vector<uint8_t>;

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "heed_tensors_" + std::to_string(getpid()) + "_" + name;
}

std::string writeFile(const std::string &name, const Bytes &bytes) {
  std::string path = tempPath(name);
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!bytes.empty())
    std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return path;
}

void putLE(Bytes &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

Bytes safetensors(const std::string &header, const Bytes &data, int64_t headerLength = -1) {
  Bytes out;
  putLE(out, headerLength < 0 ? header.size() : static_cast<uint64_t>(headerLength), 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes floats(std::initializer_list<float> values) {
  Bytes out(values.size() * 4);
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

Bytes npy(const std::string &dict, const Bytes &data, int version = 1) {
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(version), 0};
  putLE(out, dict.size(), version == 1 ? 2 : 4);
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

struct Member {
  std::string name;
  Bytes data;
  bool deflate;
};

Bytes zip(const std::vector<Member> &members) {
  Bytes out, central;
  for (const Member &m : members) {
    Bytes payload = m.data;
    if (m.deflate) {
      z_stream zs;
      std::memset(&zs, 0, sizeof(zs));
      deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      payload.resize(deflateBound(&zs, m.data.size()));
      zs.next_in = const_cast<Bytef *>(m.data.data());
      zs.avail_in = m.data.size();
      zs.next_out = payload.data();
      zs.avail_out = payload.size();
      deflate(&zs, Z_FINISH);
      payload.resize(zs.total_out);
      deflateEnd(&zs);
    }
    uint32_t crc = crc32(crc32(0, Z_NULL, 0), m.data.data(), m.data.size());
    uint64_t offset = out.size();
    putLE(out, 0x04034b50, 4);
    putLE(out, 20, 2);
    putLE(out, 0, 2);
    putLE(out, m.deflate ? 8 : 0, 2);
    putLE(out, 0, 4);
    putLE(out, crc, 4);
    putLE(out, payload.size(), 4);
    putLE(out, m.data.size(), 4);
    putLE(out, m.name.size(), 2);
    putLE(out, 0, 2);
    out.insert(out.end(), m.name.begin(), m.name.end());
    out.insert(out.end(), payload.begin(), payload.end());
    putLE(central, 0x02014b50, 4);
    putLE(central, 20, 2);
    putLE(central, 20, 2);
    putLE(central, 0, 2);
    putLE(central, m.deflate ? 8 : 0, 2);
    putLE(central, 0, 4);
    putLE(central, crc, 4);
    putLE(central, payload.size(), 4);
    putLE(central, m.data.size(), 4);
    putLE(central, m.name.size(), 2);
    putLE(central, 0, 2);
    putLE(central, 0, 2);
    putLE(central, 0, 2);
    putLE(central, 0, 2);
    putLE(central, 0, 4);
    putLE(central, offset, 4);
    central.insert(central.end(), m.name.begin(), m.name.end());
  }
  uint64_t cdOffset = out.size();
  out.insert(out.end(), central.begin(), central.end());
  putLE(out, 0x06054b50, 4);
  putLE(out, 0, 4);
  putLE(out, members.size(), 2);
  putLE(out, members.size(), 2);
  putLE(out, central.size(), 4);
  putLE(out, cdOffset, 4);
  putLE(out, 0, 2);
  return out;
}

std::string openError(const std::string &name, const Bytes &bytes) {
  std::string error;
  auto file = TensorFile::open(writeFile(name, bytes), error);
  EXPECT_EQ(file, nullptr);
  EXPECT_FALSE(error.empty());
  return error;
}

const char *kGoodHeader = R"({"__metadata__":{"format":"pt"},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                          R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST(Safetensors, ReadsTensors) {
  std::string error;
  auto file = TensorFile::open(
      writeFile("good.safetensors", safetensors(kGoodHeader, floats({1, 2, 3, 4}))), error);
  ASSERT_NE(file, nullptr) << error;
  ASSERT_EQ(file->tensors().size(), 2u);
  const TensorView *b = file->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::f32);
  EXPECT_EQ(b->shape, std::vector<int64_t>{2});
  EXPECT_EQ(b->bytes, 8u);
  EXPECT_EQ(static_cast<const float *>(b->data)[1], 4.0f);
  EXPECT_EQ(file->find("c"), nullptr);
}

TEST(Safetensors, EmptyFileIsTruncated) {
  EXPECT_NE(openError("empty.safetensors", {}).find("truncated"), std::string::npos);
}

TEST(Safetensors, HeaderLengthBeyondFile) {
  std::string error = openError("hl.safetensors", safetensors("{}", {}, 9999));
  EXPECT_NE(error.find("header length 9999 exceeds the file size 10"), std::string::npos) << error;
}

TEST(Safetensors, HugeHeaderLengthDoesNotWrap) {
  std::string error = openError("hl2.safetensors", safetensors("{}", {}, INT64_MAX));
  EXPECT_NE(error.find("exceeds the file size"), std::string::npos) << error;
}

TEST(Safetensors, TruncatedData) {
  Bytes bytes = safetensors(kGoodHeader, floats({1, 2, 3}));
  std::string error = openError("trunc.safetensors", bytes);
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
}

TEST(Safetensors, OverlappingOffsets) {
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  std::string error = openError("overlap.safetensors", safetensors(header, floats({1, 2, 3})));
  EXPECT_NE(error.find("overlapping"), std::string::npos) << error;
}

TEST(Safetensors, OffsetsOutOfRangeAndReversed) {
  std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,)"
                       R"(18446744073709551615]}})";
  EXPECT_NE(openError("oor.safetensors", safetensors(header, floats({1}))).find("out of range"),
            std::string::npos);
  header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})";
  EXPECT_NE(openError("rev.safetensors", safetensors(header, floats({1}))).find("end before"),
            std::string::npos);
}

TEST(Safetensors, SizeDisagreesWithShape) {
  std::string header = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  std::string error = openError("size.safetensors", safetensors(header, floats({1, 2})));
  EXPECT_NE(error.find("needs 12"), std::string::npos) << error;
}

TEST(Safetensors, UnknownDType) {
  std::string header = R"({"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})";
  std::string error = openError("dtype.safetensors", safetensors(header, {0}));
  EXPECT_NE(error.find("unknown dtype 'F8_E4M3'"), std::string::npos) << error;
}

TEST(Safetensors, HostileShapes) {
  std::string header = R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                       R"("data_offsets":[0,0]}})";
  EXPECT_NE(openError("wrap.safetensors", safetensors(header, {})).find("overflows"),
            std::string::npos);
  header = R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})";
  EXPECT_NE(openError("neg.safetensors", safetensors(header, {})).find("non-negative"),
            std::string::npos);
  header = R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})";
  EXPECT_NE(openError("rank.safetensors", safetensors(header, floats({1}))).find("rank 9"),
            std::string::npos);
}

TEST(Safetensors, MalformedJson) {
  for (const char *header : {"", "{", "[1]", R"({"a":)", R"({"a":{"dtype":"F32"}})",
                             R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
                             R"({"a":1} x)", "\"unterminated"}) {
    std::string error;
    auto file =
        TensorFile::open(writeFile("json.safetensors", safetensors(header, floats({1}))), error);
    EXPECT_EQ(file, nullptr) << header;
    EXPECT_FALSE(error.empty());
  }
  std::string deep(100, '[');
  EXPECT_NE(openError("deep.safetensors", safetensors(deep, {})).find("too deep"),
            std::string::npos);
}

TEST(Safetensors, DuplicateNames) {
  std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_NE(openError("dup.safetensors", safetensors(header, floats({1, 2}))).find("twice"),
            std::string::npos);
}

TEST(Safetensors, MissingFile) {
  std::string error;
  EXPECT_EQ(TensorFile::open(tempPath("does-not-exist"), error), nullptr);
  EXPECT_NE(error.find("cannot open"), std::string::npos);
}

const char *kDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";

TEST(Npy, ParsesAllVersions) {
  for (int version : {1, 2, 3}) {
    Bytes bytes = npy(kDict, floats({5, 6}), version);
    Tensor t;
    std::string error;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), "x.npy", t, error)) << error;
    EXPECT_EQ(t.shape, std::vector<int64_t>{2});
    EXPECT_EQ(t.numElements(), 2u);
    float v[2];
    std::memcpy(v, t.data.data(), 8);
    EXPECT_EQ(v[1], 6.0f);
  }
}

TEST(Npy, RejectsBadFiles) {
  struct Case {
    Bytes bytes;
    const char *expect;
  } cases[] = {
      {{}, "bad magic"},
      {{'N', 'U', 'M', 'P', 'Y', 0, 0, 0, 0, 0}, "bad magic"},
      {npy(kDict, floats({1})), "truncated"},
      {npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", floats({1, 2})),
       "Fortran-order"},
      {npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", floats({1, 2})),
       "unsupported dtype"},
      {npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", floats({1})), "big-endian"},
      {npy("{'fortran_order': False, 'shape': (1,), }", floats({1})), "no 'descr'"},
      {npy("{'descr': '<f4', 'shape': (1,), }", floats({1})), "no 'fortran_order'"},
      {npy("{'descr': '<f4', 'fortran_order': False, }", floats({1})), "no 'shape'"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, }", floats({1})), "'shape'"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", floats({1})),
       "non-negative"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", {}),
       "out of range"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", {}),
       "overflows"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", {}, 7), "version 7"},
  };
  for (const Case &c : cases) {
    Tensor t;
    std::string error;
    EXPECT_FALSE(parseNpy(c.bytes.data(), c.bytes.size(), "bad.npy", t, error)) << c.expect;
    EXPECT_NE(error.find(c.expect), std::string::npos) << error;
  }
  // A header length that points past the end.
  Bytes bytes = npy(kDict, floats({1, 2}));
  bytes[8] = 0xFF;
  bytes[9] = 0xFF;
  Tensor t;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), "bad.npy", t, error));
  EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
}

TEST(Npy, WriteThenRead) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, std::vector<int64_t>{3}, std::vector<int64_t>{1, 3}}) {
    Tensor t;
    t.dtype = DType::f32;
    t.shape = shape;
    t.data = floats({1, 2, 3});
    t.data.resize(t.numElements() * 4);
    std::string path = tempPath("rt.npy"), error;
    ASSERT_TRUE(writeNpy(path, t, error)) << error;
    Tensor back;
    ASSERT_TRUE(readNpy(path, back, error)) << error;
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.data, t.data);
  }
  Tensor bad;
  bad.shape = {5};
  std::string error;
  EXPECT_FALSE(writeNpy(tempPath("bad.npy"), bad, error));
}

TEST(Npz, StoredAndDeflatedMembers) {
  Bytes a = npy(kDict, floats({1, 2}));
  Bytes b = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", Bytes(8, 0));
  std::string error;
  auto file = TensorFile::open(
      writeFile("good.npz", zip({{"a.npy", a, false}, {"dec.b.npy", b, true}})), error);
  ASSERT_NE(file, nullptr) << error;
  const TensorView *va = file->find("a");
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(static_cast<const float *>(va->data)[1], 2.0f);
  const TensorView *vb = file->find("dec.b");
  ASSERT_NE(vb, nullptr);
  EXPECT_EQ(vb->dtype, DType::i64);
  EXPECT_TRUE(vb->shape.empty());
}

TEST(Npz, HostileArchives) {
  Bytes a = npy(kDict, floats({1, 2}));
  Bytes good = zip({{"a.npy", a, true}});
  // Truncated: the end record is gone.
  EXPECT_NE(openError("t.npz", Bytes(good.begin(), good.begin() + 40)).find("not a zip"),
            std::string::npos);
  // Central directory offset beyond the file.
  Bytes bad = good;
  bad[bad.size() - 6] = 0xF0;
  EXPECT_NE(openError("cd.npz", bad).find("out of range"), std::string::npos);
  // Corrupt deflate stream.
  bad = good;
  for (size_t i = 30 + 5; i < 40; ++i)
    bad[i] ^= 0xFF;
  EXPECT_FALSE(openError("deflate.npz", bad).empty());
  // Compressed size beyond the file.
  bad = good;
  size_t cd = good.size() - 22 - 46 - 5;
  bad[cd + 20] = 0xFF;
  bad[cd + 21] = 0xFF;
  bad[cd + 22] = 0xFF;
  EXPECT_NE(openError("size.npz", bad).find("out of range"), std::string::npos);
  // An uncompressed size the deflated data cannot fill (a zip bomb's claim).
  bad = good;
  bad[cd + 24] = 0xFF;
  bad[cd + 25] = 0xFF;
  bad[cd + 26] = 0xFF;
  bad[cd + 27] = 0x7F;
  EXPECT_NE(openError("bomb.npz", bad).find("impossible"), std::string::npos);
  // Local header offset beyond the file.
  bad = good;
  bad[cd + 42] = 0xFF;
  bad[cd + 43] = 0xFF;
  EXPECT_NE(openError("local.npz", bad).find("local header"), std::string::npos);
  // A member that is not .npy, a bad member, a CRC mismatch.
  EXPECT_NE(openError("name.npz", zip({{"a.txt", a, false}})).find(".npy member"),
            std::string::npos);
  EXPECT_NE(openError("member.npz", zip({{"a.npy", Bytes(a.begin(), a.end() - 2), false}}))
                .find("truncated"),
            std::string::npos);
  bad = zip({{"a.npy", a, false}});
  bad[30 + 5 + a.size() - 1] ^= 1;
  EXPECT_NE(openError("crc.npz", bad).find("CRC"), std::string::npos);
  EXPECT_NE(openError("dup.npz", zip({{"a.npy", a, false}, {"a.npy", a, false}})).find("twice"),
            std::string::npos);
}

TEST(DType, NamesAndSizes) {
  EXPECT_STREQ(dtypeName(DType::f32), "f32");
  EXPECT_STREQ(dtypeName(DType::boolean), "bool");
  EXPECT_EQ(dtypeSize(DType::bf16), 2u);
  EXPECT_EQ(dtypeSize(DType::i64), 8u);
}
} // namespace
