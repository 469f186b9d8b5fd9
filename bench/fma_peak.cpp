// Peak FMA throughput of this machine on every OpenMP thread: 12 independent accumulator
// chains of 8-float (AVX2) or 16-float (AVX-512, where the CPU has it) FMAs.
// Built and run by bench/attention_memory.sh.
#include <chrono>
#include <cstdio>
#include <immintrin.h>

extern "C" void GOMP_parallel(void (*fn)(void *), void *data, unsigned numThreads, unsigned flags);
extern "C" int omp_get_num_threads();

static constexpr long kIters = 200000000 / 8;
static float sink[64 * 16];
static int threads = 1;

__attribute__((target("avx2,fma"))) static void body(void *) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm256_set1_ps(float(i) * 1e-3f);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < 12; ++i) {
      a[i] = _mm256_fmadd_ps(a[i], x, y);
      asm volatile("" : "+x"(a[i])); // keep every chain
    }
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm256_add_ps(s, a[i]);
  _mm256_storeu_ps(sink + 16 * (__builtin_ia32_rdtsc() % 60), s);
  threads = omp_get_num_threads();
}

__attribute__((target("avx512f"))) static void body512(void *) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm512_set1_ps(float(i) * 1e-3f);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < 12; ++i) {
      a[i] = _mm512_fmadd_ps(a[i], x, y);
      asm volatile("" : "+v"(a[i]));
    }
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm512_add_ps(s, a[i]);
  _mm512_storeu_ps(sink + 16 * (__builtin_ia32_rdtsc() % 60), s);
  threads = omp_get_num_threads();
}

static double peak(void (*fn)(void *), int lanes) {
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    GOMP_parallel(fn, nullptr, 0, 0);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double gflops = double(kIters) * 12 * lanes * 2 * threads / s / 1e9;
    best = gflops > best ? gflops : best;
  }
  return best;
}

int main() {
  std::printf("AVX2 FMA peak: %.1f GFLOP/s on %d threads\n", peak(body, 8), threads);
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    std::printf("AVX-512 FMA peak: %.1f GFLOP/s on %d threads\n", peak(body512, 16), threads);
}
