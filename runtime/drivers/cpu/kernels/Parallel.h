//===- Parallel.h - Work sharing on libgomp's thread pool -------*- C++ -*-===//
//
// Heed's kernels share oneDNN's OpenMP runtime: Debian's libdnnl is built with
// GCC's libgomp, and clang's own -fopenmp (libomp, not installed here) would
// bring a second pool of spinning threads onto the same two cores. So the
// kernels enter libgomp directly through its stable ABI (GOMP_parallel, GCC >=
// 4.9) and hand out tasks with an atomic counter (dynamic scheduling). The
// thread count follows OMP_NUM_THREADS like oneDNN's.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_KERNELS_PARALLEL_H
#define HEED_RUNTIME_DRIVERS_CPU_KERNELS_PARALLEL_H

#include <atomic>
#include <cstdint>

extern "C" {
void GOMP_parallel(void (*fn)(void *), void *data, unsigned numThreads, unsigned flags);
int omp_get_max_threads();
int omp_get_thread_num();
int omp_get_num_threads();
}

namespace heed::cpu::detail {

/// Threads a parallel region gets (OMP_NUM_THREADS, else the cores).
inline int64_t threadCount() { return omp_get_max_threads(); }

/// Calls worker(next) on every thread of the pool (inline when tasks <= 1);
/// next() returns the next unclaimed task in [0, tasks), or -1 when none is left.
template <typename Worker> void parallelTasks(int64_t tasks, Worker &&worker) {
  struct Shared {
    std::atomic<int64_t> next{0};
    int64_t tasks;
    Worker *worker;
  } shared;
  shared.tasks = tasks;
  shared.worker = &worker;
  auto claim = [](Shared &s) {
    int64_t t = s.next.fetch_add(1, std::memory_order_relaxed);
    return t < s.tasks ? t : int64_t(-1);
  };
  if (tasks <= 1) {
    (*shared.worker)([&] { return claim(shared); });
    return;
  }
  GOMP_parallel(
      [](void *data) {
        Shared &s = *static_cast<Shared *>(data);
        (*s.worker)([&s] {
          int64_t t = s.next.fetch_add(1, std::memory_order_relaxed);
          return t < s.tasks ? t : int64_t(-1);
        });
      },
      &shared, /*numThreads=*/0, /*flags=*/0);
}

/// Calls worker(begin, end) once on every thread of the pool with the same contiguous share of
/// [0, tasks) on every call: thread t always gets the same tasks, so data it read last call is
/// still in its own L2 (decoding re-reads one layer's K/V cache per step; dynamic scheduling
/// hands each head to a different core each time). For tasks of equal cost only.
template <typename Worker> void parallelStatic(int64_t tasks, Worker &&worker) {
  if (tasks <= 1 || threadCount() <= 1) {
    worker(int64_t(0), tasks);
    return;
  }
  struct Shared {
    int64_t tasks;
    Worker *worker;
  } shared{tasks, &worker};
  GOMP_parallel(
      [](void *data) {
        Shared &s = *static_cast<Shared *>(data);
        int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
        int64_t begin = s.tasks * t / n, end = s.tasks * (t + 1) / n;
        if (begin < end)
          (*s.worker)(begin, end);
      },
      &shared, /*numThreads=*/0, /*flags=*/0);
}

} // namespace heed::cpu::detail

#endif // HEED_RUNTIME_DRIVERS_CPU_KERNELS_PARALLEL_H
