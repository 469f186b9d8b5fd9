// Peak FMA throughput of this machine on every OpenMP thread: 12 independent accumulator
// chains of 8-float (AVX2) or 16-float (AVX-512, where the CPU has it) FMAs.
// With --read-mib=N, also the time to read N MiB once with every thread summing the same fixed
// share each call (the best case for a kernel that re-reads its inputs: they stay in the cores'
// caches as far as they fit): the floor under a memory-bound kernel such as a decoding step,
// which must read its whole K/V cache.
// Built and run by bench/attention_memory.sh and bench/compare.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>
#include <vector>

extern "C" void GOMP_parallel(void (*fn)(void *), void *data, unsigned numThreads, unsigned flags);
extern "C" int omp_get_num_threads();
extern "C" int omp_get_thread_num();

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

struct ReadJob {
  const float *data;
  long floats;
  float sums[64 * 16];
};

/// Thread t sums floats [t * n / T, (t + 1) * n / T): the same share on every call.
__attribute__((target("avx2"))) static void readShare(void *arg) {
  auto *job = static_cast<ReadJob *>(arg);
  long t = omp_get_thread_num(), n = omp_get_num_threads();
  long begin = job->floats * t / n / 32 * 32, end = job->floats * (t + 1) / n / 32 * 32;
  __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
  for (long i = begin; i < end; i += 32) {
    a = _mm256_add_ps(a, _mm256_load_ps(job->data + i));
    b = _mm256_add_ps(b, _mm256_load_ps(job->data + i + 8));
    c = _mm256_add_ps(c, _mm256_load_ps(job->data + i + 16));
    d = _mm256_add_ps(d, _mm256_load_ps(job->data + i + 24));
  }
  _mm256_storeu_ps(job->sums + 16 * (t % 64),
                   _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
}

static void readFloor(long mib) {
  long floats = mib * 1024 * 1024 / 4;
  float *data = static_cast<float *>(std::aligned_alloc(64, size_t(floats) * 4));
  for (long i = 0; i < floats; ++i)
    data[i] = 1.0f;
  ReadJob job{data, floats, {}};
  std::vector<double> ms;
  for (int rep = 0; rep < 3000; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    GOMP_parallel(readShare, &job, 0, 0);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  std::printf("Read floor: %ld MiB in %.4f ms (median; min %.4f), %.0f GB/s\n", mib, median, ms[0],
              double(floats) * 4 / median / 1e6);
  std::free(data);
}

int main(int argc, char **argv) {
  std::printf("AVX2 FMA peak: %.1f GFLOP/s on %d threads\n", peak(body, 8), threads);
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    std::printf("AVX-512 FMA peak: %.1f GFLOP/s on %d threads\n", peak(body512, 16), threads);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--read-mib=", 11) == 0)
      readFloor(std::atol(argv[i] + 11));
}
