//===- DnnlCache.h - The CPU driver's oneDNN engine and primitives -*- C++ -*-===//
//
// Internal to the oneDNN users of the CPU driver (Dnnl.cpp, DnnlRecurrent.cpp): one engine,
// one stream and the primitives made so far, keyed by kind, shape and parameters. The mutex
// guards the cache and the stream: an execution holds it (the library-managed scratchpad is
// shared by every primitive in Debian's build).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_DNNLCACHE_H
#define HEED_RUNTIME_DRIVERS_CPU_DNNLCACHE_H

#include "runtime/core/Tensor.h"
#include "runtime/drivers/cpu/Dnnl.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace heed::rt::cpu::dnnl {

struct Cache {
  ::dnnl::engine eng{::dnnl::engine::kind::cpu, 0};
  ::dnnl::stream strm{eng};
  std::mutex mutex;
  std::unordered_map<std::string, ::dnnl::primitive> primitives;

  template <typename Make>::dnnl::primitive get(const std::string &key, Make make) {
    auto it = primitives.find(key);
    if (it != primitives.end())
      return it->second;
    if (primitives.size() > 4096)
      primitives.clear(); // many distinct shapes: start over rather than grow without bound
    ::dnnl::primitive p = make();
    primitives.emplace(key, p);
    return p;
  }
};

Cache &cache();

/// "kind:d0:d1...|extra": a primitive's cache key.
std::string key(const char *kind, const std::vector<int64_t> &dims, const std::string &extra);

/// A dense f32 descriptor of `dims` in C order.
::dnnl::memory::desc plain(const std::vector<int64_t> &dims);

/// oneDNN's eltwise algorithm and parameters for `kind` (a primitive, or a post-op).
struct EltwiseAlgorithm {
  ::dnnl::algorithm alg;
  float alpha, beta;
};
EltwiseAlgorithm eltwiseAlgorithm(Eltwise kind);

/// Runs `body` and turns oneDNN's exceptions into runtime errors.
template <typename F> void guarded(const char *what, F body) {
  try {
    body();
  } catch (const ::dnnl::error &e) {
    fail(ErrorKind::runtime, std::string("oneDNN ") + what + " failed: " + e.what());
  }
}

} // namespace heed::rt::cpu::dnnl

#endif // HEED_RUNTIME_DRIVERS_CPU_DNNLCACHE_H
