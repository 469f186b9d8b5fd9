// A program outside the Heed build: finds the installed runtime with find_package(Heed),
// loads a module with the C++ wrapper and runs it; with a second module, decodes with it.
#include <cstdio>
#include <heed/heed.hpp>
int main(int argc, char **argv) {
  heed::Runtime rt;
  heed::Status st = heed::Runtime::create("cpu", rt);
  heed::Module m;
  if (st)
    st = rt.load(argv[1], m);
  heed::Function f;
  if (st)
    st = m.function("", f);
  if (!st) {
    std::printf("error: %s\n", st.message.c_str());
    return 1;
  }
  std::printf("%s takes %zu inputs; first is %s\n", f.name().c_str(), f.inputCount(),
              f.inputType(0).c_str());
  float x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {1, 1, 1};
  heed::Tensor a = heed::Tensor::make(HEED_F32, {2, 3}, x),
               b = heed::Tensor::make(HEED_F32, {3}, y);
  std::vector<heed::Tensor> out;
  st = f.invoke({&a, &b}, out);
  if (!st) {
    std::printf("error: %s\n", st.message.c_str());
    return 1;
  }
  std::printf("out[0][5] = %g\n", out[0].data<float>()[5]);
  if (argc < 3)
    return 0;
  // The decoding API (heed::Decoder over heed_decoder_*) on a seq2seq module.
  heed::Module seq2seq;
  heed::Decoder decoder;
  std::vector<std::vector<heed::Hypothesis>> hyps;
  heed::DecodeOptions options;
  options.beam = 2;
  st = rt.load(argv[2], seq2seq);
  if (st)
    st = heed::Decoder::create(seq2seq, decoder);
  if (st)
    st = decoder.translate({{3, 4, 5, 6}}, options, hyps);
  if (!st) {
    std::printf("error: %s\n", st.message.c_str());
    return 1;
  }
  std::printf("translated:");
  for (int64_t id : hyps[0][0].tokens)
    std::printf(" %lld", static_cast<long long>(id));
  std::printf("\n");
}
