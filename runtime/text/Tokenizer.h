//===- Tokenizer.h - Text to token ids and back ------------------*- C++ -*-===//
//
// The text side of decoding, shared by heed-run translate/score and heed.Translator (the Python
// binding) so that both tokenize alike: word vocabularies (one word per line, the line number is
// its id) and SentencePiece models (libsentencepiece, Debian's libsentencepiece-dev).
//
// A library of its own rather than part of runtime/decode: the decoder only sees token ids, and
// keeping SentencePiece out of it keeps libHeedRuntime.so and the C API free of that dependency
// (only the tools and the Python extension link this). Plain C++, no MLIR/LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_TEXT_TOKENIZER_H
#define HEED_RUNTIME_TEXT_TOKENIZER_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace heed::text {

/// A word vocabulary file: each line's first field is a word, the line number (from 0) its id.
struct Vocabulary {
  std::vector<std::string> words;
  std::map<std::string, int64_t, std::less<>> ids;
  std::string path; // for messages

  bool empty() const { return words.empty(); }
  /// The word of `id`, else the id as text (an id past the vocabulary).
  std::string word(int64_t id) const;
  /// The id of `word`, else -1.
  int64_t find(std::string_view word) const;
  /// `given` when >= 0 (--unk), else the id of the word <unk>, else -1 (unknown words are errors).
  int64_t unkId(int64_t given) const;

  /// Reads `path` (an empty path: an empty vocabulary) through the safe file reader.
  static bool read(const std::string &path, Vocabulary &out, std::string &error);
};

/// Turns a line of text into a model's token ids and token ids back into text.
class Tokenizer {
public:
  virtual ~Tokenizer();
  /// The ids of `line`; false with `error` (without a location: the caller names the line).
  virtual bool encode(std::string_view line, std::vector<int64_t> &ids,
                      std::string &error) const = 0;
  /// The text of `ids` (ids without a token decode as the unknown token).
  virtual std::string decode(const std::vector<int64_t> &ids) const = 0;
  /// One token's label (attention heatmaps, score lists).
  virtual std::string label(int64_t id) const = 0;
};

/// The special ids a SentencePiece model defines (-1: none).
struct SpecialIds {
  int64_t bos = -1, eos = -1, pad = -1, unk = -1;
};

/// A SentencePiece model (a .model file written by spm_train). Without a vocabulary the model's
/// token ids are SentencePiece's own; with one, each piece maps to the vocabulary's id of the
/// same word (a piece it lacks to `unk`, or an error naming the piece when `unk` < 0), and
/// output ids map back to pieces through the vocabulary's words.
class SentencePiece : public Tokenizer {
public:
  ~SentencePiece() override;
  /// Reads the model through the safe file reader; a missing or malformed file is an error
  /// naming `path`.
  static bool load(const std::string &path, Vocabulary vocabulary, int64_t unk,
                   std::unique_ptr<SentencePiece> &out, std::string &error);

  bool encode(std::string_view line, std::vector<int64_t> &ids, std::string &error) const override;
  std::string decode(const std::vector<int64_t> &ids) const override;
  std::string label(int64_t id) const override;

  SpecialIds specialIds() const;
  /// Without a vocabulary the model's ids are SentencePiece's: the id that `option` (--bos,
  /// --eos, --pad) gives must be the model's token of that role, or, when the SentencePiece
  /// model has none, not one of its pieces. `role` is "<s>", "</s>" or "<pad>".
  bool checkSpecialId(const char *option, int64_t id, const char *role, std::string &error) const;
  int pieceCount() const;

private:
  SentencePiece();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace heed::text

#endif // HEED_RUNTIME_TEXT_TOKENIZER_H
