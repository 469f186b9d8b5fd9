//===- SmallOpThreads.h - Small ops run on the calling thread ---*- C++ -*-===//
//
// Entering an OpenMP parallel region wakes the pool: a few microseconds while its
// threads spin, about 50 us once they sleep (OMP_WAIT_POLICY=PASSIVE, or a loaded
// machine). A decoder step is dozens of ops on [B, 1, D] tensors that take 1-10 us
// on one thread, so a region per op costs more than the work (layer norm of
// 4x512 floats: 4.5 us on one thread, 54 us on two with a sleeping pool). Such ops
// run with the thread count set to 1 on the calling thread, which oneDNN's
// primitives, its sgemm and Heed's own kernels all read when they run.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_SMALLOPTHREADS_H
#define HEED_RUNTIME_DRIVERS_CPU_SMALLOPTHREADS_H

#include "runtime/module/OpTable.h"

#include <cstddef>

extern "C" {
int omp_get_max_threads();
void omp_set_num_threads(int);
}

namespace heed::rt::cpu {

/// Below this many operand bytes an op runs on one thread (a 128x128 f32 tensor; the measured
/// break-even of a parallel region on 2 cores is between 16 and 64 KiB of streamed data).
constexpr size_t kParallelOperandBytes = 64 << 10;

/// Whether an op may run serially for small operands: not the ops whose results can be far
/// larger than their operands (fills, broadcasts, generated masks and positions).
inline bool sizedByOperands(ops::OpKind kind) {
  switch (kind) {
  case ops::OpKind::Full:
  case ops::OpKind::Range:
  case ops::OpKind::Broadcast:
  case ops::OpKind::CausalMask:
  case ops::OpKind::SequenceMask:
  case ops::OpKind::SinusoidalPositions:
  case ops::OpKind::Scan:
    return false;
  default:
    return true;
  }
}

/// Sets the calling thread's OpenMP thread count to 1 for its lifetime when `serial`, and back.
class SerialScope {
public:
  explicit SerialScope(bool serial) {
    if (serial && (saved = omp_get_max_threads()) > 1)
      omp_set_num_threads(1);
    else
      saved = 0;
  }
  ~SerialScope() {
    if (saved)
      omp_set_num_threads(saved);
  }
  SerialScope(const SerialScope &) = delete;
  SerialScope &operator=(const SerialScope &) = delete;

private:
  int saved = 0;
};

} // namespace heed::rt::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_SMALLOPTHREADS_H
