//===- SafeFiles.cpp - Opening inputs and replacing outputs safely ---------===//

#include "runtime/files/SafeFiles.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace heed::files {
namespace {

std::string withErrno(const std::string &path, const char *verb, const char *what) {
  std::string message = path + ": " + verb;
  if (what && *what)
    message += std::string(" ") + what;
  return message + ": " + std::strerror(errno);
}

bool writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

std::string parentOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

const char *fileTypeName(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISLNK(mode))
    return "a symbolic link";
  if (S_ISREG(mode))
    return "a regular file";
  return "of an unknown type";
}

int openRegularFile(const std::string &path, std::string &error, const char *what, unsigned flags) {
  // O_NONBLOCK: opening a FIFO with no writer would wait forever; the type check below then
  // refuses it without reading.
  int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (flags & noFollow)
    oflags |= O_NOFOLLOW;
  int fd;
  do
    fd = ::open(path.c_str(), oflags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ELOOP && (flags & noFollow))
      error = path + ": is a symbolic link, not a regular file";
    else
      error = withErrno(path, "cannot open", what);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = withErrno(path, "cannot stat", what);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": is " + fileTypeName(st.st_mode) + ", not a regular file";
    ::close(fd);
    errno = 0;
    return -1;
  }
  if ((flags & ownedByUser) && st.st_uid != ::geteuid()) {
    error = path + ": is owned by another user";
    ::close(fd);
    errno = 0;
    return -1;
  }
  int current = ::fcntl(fd, F_GETFL);
  if (current < 0 || ::fcntl(fd, F_SETFL, current & ~O_NONBLOCK) < 0) {
    error = withErrno(path, "cannot open", what);
    ::close(fd);
    return -1;
  }
  return fd;
}

bool readRegularFile(const std::string &path, std::string &bytes, std::string &error,
                     const char *what, unsigned flags, uint64_t maxBytes) {
  bytes.clear();
  int fd = openRegularFile(path, error, what, flags);
  if (fd < 0)
    return false;
  struct stat st;
  if (::fstat(fd, &st) == 0 && uint64_t(st.st_size) > maxBytes) {
    error = path + ": is " + std::to_string(st.st_size) + " bytes, more than the " +
            std::to_string(maxBytes) + " allowed";
    ::close(fd);
    return false;
  }
  if (st.st_size > 0)
    bytes.reserve(size_t(st.st_size));
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      error = withErrno(path, "cannot read", what);
      ::close(fd);
      return false;
    }
    if (n == 0)
      break;
    if (bytes.size() + size_t(n) > maxBytes) { // grew while being read
      error = path + ": more than the " + std::to_string(maxBytes) + " bytes allowed";
      ::close(fd);
      return false;
    }
    bytes.append(buffer, size_t(n));
  }
  ::close(fd);
  return true;
}

bool isStdoutPath(std::string_view path) { return path == "-" || path == "/dev/stdout"; }

bool writeStdout(std::string_view bytes, std::string &error) {
  if (!writeAll(1, bytes)) {
    error = std::string("cannot write to standard output: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool writeFileReplacing(const std::string &path, std::string_view bytes, std::string &error,
                        const WriteOptions &options) {
  return writeFileReplacing(path, {bytes}, error, options);
}

bool writeFileReplacing(const std::string &path, std::initializer_list<std::string_view> pieces,
                        std::string &error, const WriteOptions &options) {
  ReplacingWriter writer;
  if (!writer.open(path, error, options))
    return false;
  for (std::string_view piece : pieces)
    if (!writer.append(piece, error))
      return false;
  return writer.commit(error);
}

ReplacingWriter::~ReplacingWriter() { abandon(); }

void ReplacingWriter::abandon() {
  if (fd >= 0) {
    ::close(fd);
    ::unlink(temp.c_str());
  }
  fd = -1;
  temp.clear();
}

bool ReplacingWriter::open(const std::string &path, std::string &error,
                           const WriteOptions &options) {
  abandon();
  target = path;
  discard = false;
  if (path.empty()) {
    error = "empty output path";
    return false;
  }
  // The usual way to discard an output (`--emit=mlir -o /dev/null --fusion-report`): nothing
  // is opened, so the device is never touched. Any other device is refused below.
  if (path == "/dev/null") {
    discard = true;
    return true;
  }
  // The target: a regular file or nothing. lstat, so a symbolic link is seen as one: rename
  // would replace the link, but refusing says what the user did not expect.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      error = path + ": is " + fileTypeName(st.st_mode) + ", not a regular file; refusing to " +
              "replace it";
      return false;
    }
  } else if (errno != ENOENT) {
    error = withErrno(path, "cannot write", nullptr);
    return false;
  }
  // A fresh name beside the target (same file system, so rename is atomic); O_EXCL and
  // O_NOFOLLOW: a file or link someone planted at that name makes open fail, never written
  // through. The counter and the pid make collisions between our own writers rare, and a
  // collision only means another try.
  static std::atomic<unsigned> counter{0};
  std::string dir = parentOf(path);
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp =
        dir + "/." + base + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                options.mode);
    if (fd < 0 && errno != EEXIST && errno != EINTR)
      break;
  }
  if (fd < 0) {
    error = withErrno(path, "cannot write", nullptr);
    temp.clear();
    return false;
  }
  return true;
}

bool ReplacingWriter::append(std::string_view bytes, std::string &error) {
  if (discard)
    return true;
  if (fd >= 0 && writeAll(fd, bytes))
    return true;
  error = withErrno(target, "cannot write", nullptr);
  abandon();
  return false;
}

bool ReplacingWriter::commit(std::string &error) {
  if (discard)
    return true;
  if (fd < 0) {
    error = target + ": cannot write: the output was abandoned after an error";
    return false;
  }
  bool ok = ::close(fd) == 0;
  fd = -1;
  if (ok && ::rename(temp.c_str(), target.c_str()) == 0) {
    temp.clear();
    return true;
  }
  error = withErrno(target, "cannot write", nullptr);
  ::unlink(temp.c_str());
  temp.clear();
  return false;
}

bool makeDirectories(const std::string &dir, mode_t mode, std::string &error) {
  if (dir.empty())
    return true;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return true;
    error = dir + ": is " + fileTypeName(st.st_mode) + ", not a directory";
    return false;
  }
  std::string parent = parentOf(dir);
  if (parent != dir && !makeDirectories(parent, mode, error))
    return false;
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    error = withErrno(dir, "cannot create directory", nullptr);
    return false;
  }
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = dir + ": not a directory";
    return false;
  }
  return true;
}

} // namespace heed::files
