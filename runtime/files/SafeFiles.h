//===- SafeFiles.h - Opening inputs and replacing outputs safely -*- C++ -*-===//
//
// Every file Heed's tools and runtime read or write goes through these two
// doors (docs/reliability.md, "Threat model"):
//
// - openRegularFile: opens with O_NONBLOCK, so a FIFO cannot block the open,
//   then checks the type of what was opened (fstat on the descriptor, not the
//   name, so nothing can be swapped in between): only a regular file is read.
//   A FIFO, a directory or a device is a one-line error naming the path.
// - writeFileReplacing: refuses an existing target that is not a regular file
//   (a device, a FIFO, a directory, a socket or a symbolic link, which is never
//   followed; the path /dev/null discards the output without opening it), writes a fresh temporary
//   file beside it (O_CREAT | O_EXCL | O_NOFOLLOW: never an existing file or link), then renames it
//   over the target, so readers see the old or the new file whole, and a runtime that has the old
//   one mapped keeps its pages.
//
// Plain C++ and POSIX: used by the runtime, the weights readers, the
// frontends and the tools alike.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_FILES_SAFEFILES_H
#define HEED_RUNTIME_FILES_SAFEFILES_H

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace heed::files {

enum OpenFlags : unsigned {
  /// Refuse a symbolic link at `path` itself (O_NOFOLLOW): for files in a directory that
  /// other users may write, such as a shared cache.
  noFollow = 1,
  /// Refuse a file that the effective user does not own (a shared cache directory).
  ownedByUser = 2,
};

/// "a FIFO", "a directory", "a character device", ... for a non-regular st_mode.
const char *fileTypeName(mode_t mode);

/// Opens `path` read-only, with O_CLOEXEC and O_NOCTTY, and returns its descriptor once fstat
/// says it is a regular file (O_NONBLOCK is cleared again before returning). On failure returns
/// -1 and sets `error` to "PATH: cannot open[ WHAT]: <strerror>" or "PATH: is a FIFO, not a
/// regular file"; errno is that of the failing call (0 for a file of the wrong type).
int openRegularFile(const std::string &path, std::string &error, const char *what = nullptr,
                    unsigned flags = 0);

/// Reads a whole regular file (through openRegularFile). Files larger than `maxBytes` are
/// refused without being read.
bool readRegularFile(const std::string &path, std::string &bytes, std::string &error,
                     const char *what = nullptr, unsigned flags = 0,
                     uint64_t maxBytes = UINT64_MAX);

/// `-` and `/dev/stdout`: the output paths that mean standard output. The tools decide what
/// they write there (docs/cli.md, "Output files"); writeFileReplacing itself never does.
bool isStdoutPath(std::string_view path);

/// Writes `bytes` to all of standard output (file descriptor 1). Flush any buffered stream
/// on fd 1 first.
bool writeStdout(std::string_view bytes, std::string &error);

struct WriteOptions {
  /// Permission bits of the new file (the umask applies); 0600 for private files.
  mode_t mode = 0666;
};

/// Replaces `path` with a regular file holding `bytes`, as described at the top; the path
/// `/dev/null` itself discards the bytes without opening anything. Fails (with
/// `error` = "PATH: is a FIFO, not a regular file; refusing to replace it", or "PATH: cannot
/// write: <strerror>") and leaves no temporary file behind.
bool writeFileReplacing(const std::string &path, std::string_view bytes, std::string &error,
                        const WriteOptions &options = {});
/// The same with the bytes in pieces (a header and a large payload), written in order.
bool writeFileReplacing(const std::string &path, std::initializer_list<std::string_view> pieces,
                        std::string &error, const WriteOptions &options = {});

/// writeFileReplacing in steps, for outputs written while they are produced (heed-run translate's
/// --output streams each batch's lines): open() checks the target and creates the temporary file
/// beside it, append() writes through to it at once (no buffering), commit() renames it over the
/// target. Until commit() the target keeps its old contents; a writer destroyed (or an append
/// failing) before commit() removes the temporary file.
class ReplacingWriter {
public:
  ReplacingWriter() = default;
  ReplacingWriter(const ReplacingWriter &) = delete;
  ReplacingWriter &operator=(const ReplacingWriter &) = delete;
  ~ReplacingWriter();

  bool open(const std::string &path, std::string &error, const WriteOptions &options = {});
  bool append(std::string_view bytes, std::string &error);
  bool commit(std::string &error);

private:
  void abandon();
  std::string target, temp;
  int fd = -1;
  bool discard = false; // /dev/null
};

/// Creates `dir` and any missing parents; the ones created get `mode` (0700 for a private
/// cache). An existing `dir` must be a directory (a symbolic link to one is followed).
bool makeDirectories(const std::string &dir, mode_t mode, std::string &error);

} // namespace heed::files

#endif // HEED_RUNTIME_FILES_SAFEFILES_H
