//===- SafeFilesTest.cpp - The safe input opener and output writer --------===//
//
// runtime/files/SafeFiles.h: what test/bad-inputs/files.test cannot reach from
// the command line: a temporary name planted by another user, file modes, the
// ownership check of a shared cache, and errno after a missing file.
//
//===----------------------------------------------------------------------===//

#include "runtime/files/SafeFiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace files = heed::files;

namespace {

/// A fresh directory under $TMPDIR, removed with its files afterwards.
class SafeFiles : public ::testing::Test {
protected:
  void SetUp() override {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/heed-safefiles-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    // A FIFO that blocked the open would hang the suite: fail instead.
    ::alarm(60);
  }
  void TearDown() override {
    ::alarm(0);
    std::string command = "rm -rf '" + dir + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
  std::string path(const std::string &name) const { return dir + "/" + name; }
  static std::string contents(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void put(const std::string &p, const std::string &text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  std::string dir;
};

TEST_F(SafeFiles, OpensRegularFilesOnly) {
  put(path("file"), "data");
  std::string bytes, error;
  ASSERT_TRUE(files::readRegularFile(path("file"), bytes, error)) << error;
  EXPECT_EQ(bytes, "data");

  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_EQ(files::openRegularFile(path("fifo"), error), -1);
  EXPECT_EQ(error, path("fifo") + ": is a FIFO, not a regular file");
  EXPECT_FALSE(files::readRegularFile(dir, bytes, error));
  EXPECT_EQ(error, dir + ": is a directory, not a regular file");
  EXPECT_FALSE(files::readRegularFile("/dev/null", bytes, error));
  EXPECT_EQ(error, "/dev/null: is a character device, not a regular file");

  EXPECT_FALSE(files::readRegularFile(path("missing"), bytes, error, "vocab file"));
  EXPECT_EQ(errno, ENOENT); // the pipeline cache tells "no file" from a refused one by errno
  EXPECT_EQ(error, path("missing") + ": cannot open vocab file: No such file or directory");

  EXPECT_FALSE(files::readRegularFile(path("file"), bytes, error, nullptr, 0, 3));
  EXPECT_NE(error.find("is 4 bytes, more than the 3 allowed"), std::string::npos) << error;
}

TEST_F(SafeFiles, DescriptorIsBlockingAgain) {
  put(path("file"), "x");
  std::string error;
  int fd = files::openRegularFile(path("file"), error);
  ASSERT_GE(fd, 0) << error;
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  ::close(fd);
}

TEST_F(SafeFiles, NoFollowAndOwnership) {
  put(path("file"), "x");
  ASSERT_EQ(::symlink(path("file").c_str(), path("link").c_str()), 0);
  std::string bytes, error;
  EXPECT_TRUE(files::readRegularFile(path("link"), bytes, error)); // inputs follow links
  EXPECT_FALSE(files::readRegularFile(path("link"), bytes, error, nullptr, files::noFollow));
  EXPECT_EQ(error, path("link") + ": is a symbolic link, not a regular file");
  EXPECT_TRUE(files::readRegularFile(path("file"), bytes, error, nullptr, files::ownedByUser));
  // A file of another user: as root, make one; otherwise one that root owns.
  std::string foreign = "/etc/passwd";
  if (::geteuid() == 0) {
    foreign = path("foreign");
    put(foreign, "x");
    ASSERT_EQ(::chown(foreign.c_str(), 12345, 12345), 0);
  }
  EXPECT_FALSE(files::readRegularFile(foreign, bytes, error, nullptr, files::ownedByUser));
  EXPECT_EQ(error, foreign + ": is owned by another user");
}

TEST_F(SafeFiles, ReplacesARegularFileWithTheGivenMode) {
  put(path("out"), "old contents");
  std::string error;
  ::umask(022);
  files::WriteOptions privateFile;
  privateFile.mode = 0600;
  ASSERT_TRUE(files::writeFileReplacing(path("out"), {"ne", "w"}, error, privateFile)) << error;
  EXPECT_EQ(contents(path("out")), "new");
  struct stat st;
  ASSERT_EQ(::stat(path("out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(files::writeFileReplacing(path("fresh"), "x", error)) << error;
  ASSERT_EQ(::stat(path("fresh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(SafeFiles, RefusesToReplaceAnythingButARegularFile) {
  put(path("victim"), "keep");
  ASSERT_EQ(::symlink(path("victim").c_str(), path("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir(path("dir").c_str(), 0700), 0);
  std::string error;
  EXPECT_FALSE(files::writeFileReplacing(path("link"), "x", error));
  EXPECT_EQ(error,
            path("link") + ": is a symbolic link, not a regular file; refusing to replace it");
  EXPECT_FALSE(files::writeFileReplacing(path("fifo"), "x", error));
  EXPECT_EQ(error, path("fifo") + ": is a FIFO, not a regular file; refusing to replace it");
  EXPECT_FALSE(files::writeFileReplacing(path("dir"), "x", error));
  EXPECT_EQ(error, path("dir") + ": is a directory, not a regular file; refusing to replace it");
  EXPECT_FALSE(files::writeFileReplacing(path("nodir/out"), "x", error));
  EXPECT_EQ(error, path("nodir/out") + ": cannot write: No such file or directory");
  EXPECT_EQ(contents(path("victim")), "keep");
  struct stat st;
  ASSERT_EQ(::lstat(path("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(SafeFiles, DevNullDiscards) {
  std::string error;
  EXPECT_TRUE(files::writeFileReplacing("/dev/null", "x", error)) << error;
  struct stat st;
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(SafeFiles, NeverWritesThroughAPlantedTemporaryName) {
  // Another user of a shared directory plants links at every temporary name this process
  // could pick next: the writer must fail rather than write through one.
  put(path("victim"), "keep");
  for (int n = 0; n < 1000; ++n) {
    std::string planted = path(".out.tmp." + std::to_string(::getpid()) + "." + std::to_string(n));
    ASSERT_EQ(::symlink(path("victim").c_str(), planted.c_str()), 0);
  }
  std::string error;
  EXPECT_FALSE(files::writeFileReplacing(path("out"), "x", error));
  EXPECT_EQ(error, path("out") + ": cannot write: File exists");
  EXPECT_EQ(contents(path("victim")), "keep");
}

/// Lists the directory's names (the temporary files of a writer show as .out.tmp.*).
static std::vector<std::string> namesIn(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
        names.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(SafeFiles, ReplacingWriterWritesAtOnceAndReplacesOnCommit) {
  // heed-run translate --output=FILE: each batch's lines reach the temporary file when appended
  // (no buffering), the target keeps its old contents until commit.
  put(path("out"), "old");
  std::string error;
  files::ReplacingWriter writer;
  ASSERT_TRUE(writer.open(path("out"), error)) << error;
  ASSERT_TRUE(writer.append("line 1\n", error)) << error;
  std::vector<std::string> names = namesIn(dir);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(contents(path(names[0])), "line 1\n"); // ".out.tmp.PID.N" sorts before "out"
  EXPECT_EQ(contents(path("out")), "old");
  ASSERT_TRUE(writer.append("line 2\n", error)) << error;
  ASSERT_TRUE(writer.commit(error)) << error;
  EXPECT_EQ(contents(path("out")), "line 1\nline 2\n");
  EXPECT_EQ(namesIn(dir), std::vector<std::string>{"out"});
}

TEST_F(SafeFiles, ReplacingWriterAbandonedLeavesTheTargetAlone) {
  put(path("out"), "old");
  std::string error;
  {
    files::ReplacingWriter writer;
    ASSERT_TRUE(writer.open(path("out"), error)) << error;
    ASSERT_TRUE(writer.append("partial", error)) << error;
  }
  EXPECT_EQ(contents(path("out")), "old");
  EXPECT_EQ(namesIn(dir), std::vector<std::string>{"out"});
  files::ReplacingWriter refused;
  ASSERT_EQ(::mkdir(path("dir").c_str(), 0700), 0);
  EXPECT_FALSE(refused.open(path("dir"), error));
  EXPECT_EQ(error, path("dir") + ": is a directory, not a regular file; refusing to replace it");
  EXPECT_FALSE(refused.commit(error));
}

TEST_F(SafeFiles, MakesPrivateDirectories) {
  std::string error;
  ::umask(022);
  ASSERT_TRUE(files::makeDirectories(path("a/b/c"), 0700, error)) << error;
  for (const char *d : {"a", "a/b", "a/b/c"}) {
    struct stat st;
    ASSERT_EQ(::stat(path(d).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }
  put(path("plain"), "x");
  EXPECT_FALSE(files::makeDirectories(path("plain"), 0700, error));
  EXPECT_EQ(error, path("plain") + ": is a regular file, not a directory");
}

} // namespace
