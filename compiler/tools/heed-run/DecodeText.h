//===- DecodeText.h - heed-run translate/score: text in and out --*- C++ -*-===//
//
// The text side of heed-run translate / score, apart from the decoding itself (Decode.cpp):
// - TextSide: how one side's lines become token ids and ids become text: token ids, words of a
//   vocab file, or SentencePiece (runtime/text, shared with the Python binding);
// - LineReader: source lines from a file or from standard input, read as they arrive, so that
//   translate can decode a batch while later lines are still being written to a pipe;
// - OutputSink: standard output or --output=FILE (SafeFiles' ReplacingWriter), flushed after each
//   batch.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_HEED_RUN_DECODETEXT_H
#define HEED_TOOLS_HEED_RUN_DECODETEXT_H

#include "runtime/files/SafeFiles.h"
#include "runtime/text/Tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace heedrun {

struct TextSide {
  ::heed::text::Vocabulary vocab;
  int64_t unk = -1; // resolved: --unk, else the vocabulary's <unk>, else -1
  std::unique_ptr<::heed::text::SentencePiece> spm;

  /// Reads the vocab file and the SentencePiece model (either path may be empty).
  bool load(const std::string &vocabPath, const std::string &spmPath, int64_t unkOption,
            std::string &error);
  /// The ids of one line; errors are prefixed with "PATH:LINE: ".
  bool encode(const std::string &line, const std::string &path, size_t lineNo,
              std::vector<int64_t> &ids, std::string &error) const;
  /// Output text: detokenized with SentencePiece, else words (or ids) joined by spaces.
  std::string text(const std::vector<int64_t> &ids) const;
  /// One token's label (attention heatmaps).
  std::string label(int64_t id) const;
};

/// Lines of a file, or of standard input ("-") read one at a time as they arrive.
class LineReader {
public:
  bool open(const std::string &path, std::string &error);
  /// The next line (without its newline); false at the end.
  bool next(std::string &line);
  /// Lines in all when known in advance (a file), else 0.
  size_t knownCount() const { return count; }

private:
  bool fromStdin = false;
  std::string text;
  size_t pos = 0, count = 0;
};

/// Standard output, or a file replaced as SafeFiles does; write() sends the bytes at once.
class OutputSink {
public:
  bool open(const std::string &path, std::string &error);
  bool write(const std::string &bytes, std::string &error);
  /// Renames the file into place (nothing for standard output).
  bool close(std::string &error);

private:
  bool toStdout = true;
  ::heed::files::ReplacingWriter file;
};

} // namespace heedrun

#endif // HEED_TOOLS_HEED_RUN_DECODETEXT_H
