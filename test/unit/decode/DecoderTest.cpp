//===- DecoderTest.cpp - Greedy, beam search and scoring drivers ----------===//
//
// The drivers run the shipped examples compiled in-process: examples/reverse
// (trained: its greedy output must be the reversal), sutskever (state with the
// batch in dim 1) and transformer (a KV cache that starts empty and grows).
//
//===----------------------------------------------------------------------===//

#include "runtime/decode/Decoder.h"
#include "heed/heed.hpp"
#include "test/unit/CompileExample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

using heed::decode::Decoder;
using heed::decode::Hypothesis;
using heed::decode::Options;

namespace {

std::vector<std::vector<int64_t>> readIds(const std::string &file, size_t limit) {
  std::ifstream in(std::string(HEED_SOURCE_DIR) + "/examples/reverse/" + file);
  std::vector<std::vector<int64_t>> out;
  std::string line;
  while (out.size() < limit && std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<int64_t> ids;
    for (int64_t id; words >> id;)
      ids.push_back(id);
    out.push_back(ids);
  }
  return out;
}

struct Loaded {
  heed::Runtime rt;
  heed::Module module;
  Decoder decoder;
  explicit Loaded(const std::string &example) {
    std::string bytes = compileExample(example);
    EXPECT_TRUE(bool(heed::Runtime::create("cpu", rt)));
    heed::Status st = rt.load(bytes.data(), bytes.size(), example, module);
    EXPECT_TRUE(bool(st)) << st.message;
    st = Decoder::create(module, decoder);
    EXPECT_TRUE(bool(st)) << st.message;
  }
};

TEST(Decode, GatherRowsAlongAnyDim) {
  std::vector<float> data{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; // [2, 3, 2]
  heed::Tensor t = heed::Tensor::make(HEED_F32, {2, 3, 2}, data.data());
  heed::Tensor g = heed::decode::gatherRows(t, 1, {2, 2, 0});
  ASSERT_EQ(g.shape(), (std::vector<int64_t>{2, 3, 2}));
  std::vector<float> got(g.data<float>(), g.data<float>() + g.count());
  EXPECT_EQ(got, (std::vector<float>{4, 5, 4, 5, 0, 1, 10, 11, 10, 11, 6, 7}));
  heed::Tensor dropped = heed::decode::gatherRows(t, 0, {1});
  EXPECT_EQ(dropped.shape(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(dropped.data<float>()[0], 6.0f);
}

TEST(Decode, GatherRowsInOrderHandsTheTensorBack) {
  std::vector<float> data{0, 1, 2, 3, 4, 5};
  heed::Tensor t = heed::Tensor::make(HEED_F32, {3, 2}, data.data());
  const float *before = t.data<float>();
  heed::Tensor same = heed::decode::gatherRows(std::move(t), 0, {0, 1, 2});
  EXPECT_EQ(same.data<float>(), before); // no copy when no row moves
  heed::Tensor moved = heed::decode::gatherRows(std::move(same), 0, {0, 2, 1});
  EXPECT_NE(moved.data<float>(), before);
  EXPECT_EQ(moved.data<float>()[2], 4.0f);
  heed::Tensor fewer = heed::decode::gatherRows(std::move(moved), 0, {0, 1});
  EXPECT_EQ(fewer.shape(), (std::vector<int64_t>{2, 2}));
}

TEST(Decode, BindsTheContractByName) {
  Loaded l("reverse");
  EXPECT_EQ(l.decoder.describe(), "prev: previous token\n"
                                  "s: state <- decode_step output 1 (batch dim 0)\n"
                                  "memory: per-source constant <- encode output 0 (batch dim 0)\n"
                                  "keys: per-source constant <- encode output 1 (batch dim 0)\n"
                                  "src_len: per-source constant <- encode input 1 (batch dim 0)\n"
                                  "attention: decode_step output 2\n");
  Loaded s("sutskever");
  EXPECT_EQ(s.decoder.bindings()[1].batchDim, 1); // h: [2, B, 32]
  EXPECT_FALSE(s.decoder.hasAttention());
}

TEST(Decode, GreedyReversesHeldOutSequences) {
  Loaded l("reverse");
  auto src = readIds("heldout.src.txt", 40), ref = readIds("heldout.tgt.txt", 40);
  ASSERT_EQ(src.size(), 40u);
  std::vector<std::vector<Hypothesis>> hyps;
  Options o;
  o.batchSize = 16; // batches of mixed lengths, the last one partial
  ASSERT_TRUE(bool(l.decoder.translate(src, o, hyps)));
  size_t exact = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    ASSERT_EQ(hyps[i].size(), 1u);
    exact += hyps[i][0].tokens == ref[i];
    EXPECT_TRUE(hyps[i][0].ended);
  }
  EXPECT_GE(exact, 38u);
}

TEST(Decode, BatchedEqualsOneByOne) {
  for (const char *example : {"reverse", "sutskever", "transformer", "luong_general"}) {
    Loaded l(example);
    auto src = readIds("heldout.src.txt", 6);
    for (auto &s : src) // the random-weight examples have a vocabulary of 20
      for (auto &id : s)
        id = id % 13;
    Options o;
    o.beam = 3;
    o.nBest = 2;
    o.maxLength = 12;
    std::vector<std::vector<Hypothesis>> batched, one;
    ASSERT_TRUE(bool(l.decoder.translate(src, o, batched))) << example;
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_TRUE(bool(l.decoder.translate({src[i]}, o, one))) << example;
      ASSERT_EQ(one[0].size(), batched[i].size()) << example;
      for (size_t k = 0; k < one[0].size(); ++k) {
        EXPECT_EQ(one[0][k].tokens, batched[i][k].tokens) << example << " source " << i;
        EXPECT_NEAR(one[0][k].logProb, batched[i][k].logProb, 1e-3) << example;
      }
    }
  }
}

TEST(Decode, BeamSearchNBestAndScoringAgree) {
  Loaded l("reverse");
  auto src = readIds("heldout.src.txt", 8);
  Options o;
  o.beam = 4;
  o.nBest = 4;
  std::vector<std::vector<Hypothesis>> beam, greedy;
  ASSERT_TRUE(bool(l.decoder.translate(src, o, beam)));
  ASSERT_TRUE(bool(l.decoder.translate(src, Options(), greedy)));
  std::vector<std::vector<int64_t>> tgts;
  for (size_t i = 0; i < src.size(); ++i) {
    ASSERT_EQ(beam[i].size(), 4u);
    for (size_t k = 1; k < beam[i].size(); ++k) {
      EXPECT_GE(beam[i][k - 1].score, beam[i][k].score);
      EXPECT_NE(beam[i][k - 1].tokens, beam[i][k].tokens);
    }
    EXPECT_GE(beam[i][0].logProb, greedy[i][0].logProb - 1e-6);
    tgts.push_back(beam[i][1].tokens);
  }
  // Teacher-forced scoring of the second-best hypotheses gives back their log-probs.
  std::vector<heed::decode::Scored> scored;
  ASSERT_TRUE(bool(l.decoder.score(src, tgts, Options(), scored)));
  for (size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(scored[i].tokenLogProbs.size(), tgts[i].size() + 1);
    if (beam[i][1].ended)
      EXPECT_NEAR(scored[i].logLikelihood, beam[i][1].logProb, 1e-3);
  }
}

TEST(Decode, AttentionRowsPerTargetToken) {
  Loaded l("reverse");
  auto src = readIds("heldout.src.txt", 3);
  Options o;
  o.attention = true;
  std::vector<std::vector<Hypothesis>> hyps;
  ASSERT_TRUE(bool(l.decoder.translate(src, o, hyps)));
  for (size_t i = 0; i < src.size(); ++i) {
    const Hypothesis &h = hyps[i][0];
    ASSERT_EQ(h.attention.size(), h.tokens.size() + 1); // + </s>
    for (const auto &row : h.attention) {
      ASSERT_EQ(row.size(), src[i].size());
      double sum = 0;
      for (float w : row)
        sum += w;
      EXPECT_NEAR(sum, 1.0, 1e-4);
    }
    // The reversal attends to the mirrored position first.
    const auto &first = h.attention[0];
    EXPECT_EQ(std::max_element(first.begin(), first.end()) - first.begin(),
              long(src[i].size()) - 1);
  }
  std::string svg = heed::decode::attentionSvg(hyps[0][0].attention, {"a", "<b>"}, {"x"});
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("&lt;b&gt;"), std::string::npos);
}

TEST(Decode, RejectsModulesWithoutTheContract) {
  Loaded l("reverse");
  std::vector<std::vector<Hypothesis>> hyps;
  Options o;
  o.nBest = 2; // > beam
  heed::Status st = l.decoder.translate({{3, 4}}, o, hyps);
  EXPECT_FALSE(bool(st));
  EXPECT_EQ(st.code, HEED_INVALID_ARGUMENT);
  st = l.decoder.translate({{}}, Options(), hyps);
  EXPECT_FALSE(bool(st));
}

} // namespace
