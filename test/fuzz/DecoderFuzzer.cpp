//===- DecoderFuzzer.cpp - Fuzzes the decoder's contract binding ----------===//
//
// Loads the input as a module file (the CRC rewritten, as fuzz-module does),
// binds it with Decoder::create and, when that succeeds, translates two
// sources with beam 2 and scores them, a few steps each. The seeds are
// compiled decoding modules (test/fuzz/make_corpus.py, fuzz-decoder): the
// mutations land in the signature the decoder reads (heed.name, heed.dims,
// the types' ranks), the kind of module that once corrupted the heap with
// dims past a tensor's rank (docs/reliability.md). Beyond "no crash": every
// failure has a message.
//
//===----------------------------------------------------------------------===//

#include "heed/heed.hpp"
#include "runtime/decode/Decoder.h"
#include "runtime/module/Format.h"

#include <cstdlib>
#include <cstring>
#include <vector>
#include <zlib.h>

using heed::decode::Decoder;

namespace {

void mustSayWhy(const heed::Status &st) {
  if (!st && st.message.empty())
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // A mutated vocabulary or state size must not make the run a memory test.
  setenv("HEED_MAX_TENSOR_BYTES", "16777216", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= heed::format::kHeaderSize &&
      std::memcmp(data, heed::format::kMagic, sizeof heed::format::kMagic) == 0) {
    uint32_t c = uint32_t(crc32(crc32(0L, Z_NULL, 0), bytes.data() + heed::format::kHeaderSize,
                                uInt(size - heed::format::kHeaderSize)));
    std::memcpy(bytes.data() + 12, &c, 4);
  }
  static heed::Runtime *runtime = [] {
    auto *rt = new heed::Runtime;
    if (!heed::Runtime::create("cpu", *rt))
      std::abort();
    return rt;
  }();
  heed::Module module;
  heed::Status st = runtime->load(bytes.data(), bytes.size(), "fuzz.heedm", module);
  mustSayWhy(st);
  if (!st)
    return 0;
  Decoder decoder;
  st = Decoder::create(module, decoder);
  mustSayWhy(st);
  if (!st)
    return 0;
  (void)decoder.describe();
  heed::decode::Options o;
  o.beam = 2;
  o.nBest = 2;
  o.maxLength = 4;
  o.batchSize = 2;
  o.bos = 0;
  o.pad = 0;
  o.eos = decoder.vocabSize() > 1 ? 1 : 0;
  o.attention = decoder.hasAttention();
  std::vector<std::vector<int64_t>> sources{{1, 0, 1}, {0}}, targets{{0}, {1, 0}};
  std::vector<std::vector<heed::decode::Hypothesis>> hyps;
  mustSayWhy(decoder.translate(sources, o, hyps));
  std::vector<heed::decode::Scored> scored;
  mustSayWhy(decoder.score(sources, targets, o, scored));
  return 0;
}
