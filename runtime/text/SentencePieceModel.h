//===- SentencePieceModel.h - libsentencepiece behind a loaded library -*- C++ -*-===//
//
// Why libsentencepiece is not linked into heed-run and the Python extension but reached through
// libHeedSentencePiece.so, loaded on first use with dlopen(RTLD_LOCAL | RTLD_DEEPBIND):
// Debian's libsentencepiece.so.0 (0.1.97) carries its own copy of protobuf-lite 3.14 and exports
// its symbols (google::protobuf::...). In a process that also loads the system libprotobuf.so.32
// (3.21; the ONNX frontend does), the dynamic linker binds sentencepiece's protobuf calls to
// whichever copy comes first in the global scope: with libprotobuf first, loading any model
// aborts ("This program was compiled against version 3.14.0 of the Protocol Buffer runtime
// library"); with sentencepiece first, the ONNX importer would get the old protobuf. A library
// loaded with RTLD_DEEPBIND (and its dependencies, libsentencepiece among them) looks symbols up
// in its own dependencies first, so sentencepiece binds to its own protobuf and the rest of the
// process to the system's; RTLD_LOCAL keeps its symbols out of everyone else's lookups.
//
// This header is the interface between the two: a class with virtual functions only (calls go
// through the vtable, never through symbol lookup) and one extern "C" factory, the one symbol
// looked up with dlsym. Both sides use the process's one libstdc++, so std::string crosses.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_TEXT_SENTENCEPIECEMODEL_H
#define HEED_RUNTIME_TEXT_SENTENCEPIECEMODEL_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace heed::text {

/// The libsentencepiece operations Heed uses (SentencePieceProcessor's of the same names).
class SentencePieceModel {
public:
  virtual ~SentencePieceModel() = default;
  virtual bool encode(std::string_view text, std::vector<int> &ids, std::string &error) const = 0;
  virtual bool encode(std::string_view text, std::vector<std::string> &pieces,
                      std::string &error) const = 0;
  virtual bool decode(const std::vector<int> &ids, std::string &text) const = 0;
  virtual bool decode(const std::vector<std::string> &pieces, std::string &text) const = 0;
  virtual int pieceCount() const = 0;
  virtual std::string idToPiece(int id) const = 0;
  virtual int bosId() const = 0;
  virtual int eosId() const = 0;
  virtual int padId() const = 0;
  virtual int unkId() const = 0;
};

} // namespace heed::text

/// Parses a serialized model (a .model file's bytes); null with `error` set when it is not one.
/// The name dlsym looks up in libHeedSentencePiece.so.
extern "C" heed::text::SentencePieceModel *
heedLoadSentencePieceModel(const char *bytes, size_t size, std::string *error);
using HeedLoadSentencePieceModelFn = decltype(&heedLoadSentencePieceModel);

#endif // HEED_RUNTIME_TEXT_SENTENCEPIECEMODEL_H
