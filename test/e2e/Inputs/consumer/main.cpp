// A program outside the Heed build: finds the installed runtime with find_package(Heed),
// loads a module with the C++ wrapper and runs it.
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
}
