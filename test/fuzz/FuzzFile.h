//===- FuzzFile.h - Hand a fuzzer input to an API that takes a path -------===//
//
// The weights readers and heed-run's .npy reader open files by path. Each
// fuzzer process writes its input to one private file and reuses it.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TEST_FUZZ_FUZZFILE_H
#define HEED_TEST_FUZZ_FUZZFILE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace heedfuzz {

/// Writes `data` to a per-process file (in $TMPDIR or /tmp) and returns its path.
inline const std::string &writeInput(const uint8_t *data, size_t size, const char *suffix) {
  static std::string path = [&] {
    const char *dir = std::getenv("TMPDIR");
    // The pid in ten digits: messages that quote the path have the same length in every
    // process, so a fixed-seed run (.ci/fuzz.sh --ci) takes the same paths every time.
    char pid[16];
    std::snprintf(pid, sizeof pid, "%010d", static_cast<int>(getpid()));
    return std::string(dir && *dir ? dir : "/tmp") + "/heed-fuzz-" + pid + suffix;
  }();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size && std::fwrite(data, 1, size, f) != size)
    std::abort();
  std::fclose(f);
  return path;
}

} // namespace heedfuzz

#endif // HEED_TEST_FUZZ_FUZZFILE_H
