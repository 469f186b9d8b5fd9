//===- SentencePiece.cpp - SentencePiece models as Tokenizers --------------===//

#include "runtime/files/SafeFiles.h"
#include "runtime/text/Tokenizer.h"

#include "runtime/text/SentencePieceModel.h"

#include <dlfcn.h>
#include <mutex>

namespace heed::text {
namespace {

/// heedLoadSentencePieceModel from libHeedSentencePiece.so, loaded once (SentencePieceModel.h:
/// why with RTLD_DEEPBIND). It is found as a library of the calling program's run path, which for
/// heed-run and the Python extension names the directory that holds it (build/lib, or the
/// installed library directory).
HeedLoadSentencePieceModelFn loadFunction(std::string &error) {
  static HeedLoadSentencePieceModelFn fn = nullptr;
  static std::string loadError;
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's dlopen refuses RTLD_DEEPBIND (it would bypass its malloc), and without
    // it libsentencepiece meets the system protobuf: no SentencePiece in sanitizer builds
    // (.ci/sanitize.sh; lit's `sentencepiece` feature is off there).
    loadError = "SentencePiece models cannot be used in an AddressSanitizer build (loading "
                "libsentencepiece needs RTLD_DEEPBIND, which the sanitizer refuses)";
    return;
#endif
    void *library = ::dlopen("libHeedSentencePiece.so", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!library) {
      loadError = std::string("cannot load SentencePiece support: ") + ::dlerror();
      return;
    }
    fn = reinterpret_cast<HeedLoadSentencePieceModelFn>(
        ::dlsym(library, "heedLoadSentencePieceModel"));
    if (!fn)
      loadError = std::string("cannot load SentencePiece support: ") + ::dlerror();
  });
  if (!fn)
    error = loadError;
  return fn;
}

} // namespace

struct SentencePiece::Impl {
  std::unique_ptr<SentencePieceModel> sp;
  Vocabulary vocabulary;
  int64_t unk = -1;
  std::string path;
};

SentencePiece::SentencePiece() : impl(std::make_unique<Impl>()) {}
SentencePiece::~SentencePiece() = default;

bool SentencePiece::load(const std::string &path, Vocabulary vocabulary, int64_t unk,
                         std::unique_ptr<SentencePiece> &out, std::string &error) {
  // Read here, not by SentencePiece's Load(path): every input goes through the safe reader
  // (a FIFO or a directory is a one-line error, docs/reliability.md); the size cap keeps a
  // wrong path (a weights file) from being read whole: SentencePiece models are a few MB.
  std::string bytes;
  if (!files::readRegularFile(path, bytes, error, "SentencePiece model", 0, uint64_t(1) << 30))
    return false;
  HeedLoadSentencePieceModelFn loadModel = loadFunction(error);
  if (!loadModel) {
    error = path + ": " + error;
    return false;
  }
  std::unique_ptr<SentencePiece> s(new SentencePiece());
  std::string why;
  s->impl->sp.reset(loadModel(bytes.data(), bytes.size(), &why));
  if (!s->impl->sp) {
    // libsentencepiece says only where in its sources the protobuf parse failed.
    error = path + ": not a SentencePiece model (it does not parse as one)";
    return false;
  }
  if (s->impl->sp->pieceCount() <= 0) {
    error = path + ": not a SentencePiece model (no pieces)";
    return false;
  }
  s->impl->vocabulary = std::move(vocabulary);
  s->impl->unk = unk;
  s->impl->path = path;
  out = std::move(s);
  return true;
}

bool SentencePiece::encode(std::string_view line, std::vector<int64_t> &ids,
                           std::string &error) const {
  const Impl &m = *impl;
  ids.clear();
  if (m.vocabulary.empty()) {
    std::vector<int> pieceIds;
    if (!m.sp->encode(line, pieceIds, error)) {
      error = m.path + ": " + error;
      return false;
    }
    ids.assign(pieceIds.begin(), pieceIds.end());
    return true;
  }
  std::vector<std::string> pieces;
  if (!m.sp->encode(line, pieces, error)) {
    error = m.path + ": " + error;
    return false;
  }
  for (const std::string &piece : pieces) {
    int64_t id = m.vocabulary.find(piece);
    if (id < 0 && m.unk < 0) {
      error = "the piece '" + piece + "' is not in the vocabulary " + m.vocabulary.path +
              " (it has no <unk>; --unk=ID names one)";
      return false;
    }
    ids.push_back(id < 0 ? m.unk : id);
  }
  return true;
}

std::string SentencePiece::decode(const std::vector<int64_t> &ids) const {
  const Impl &m = *impl;
  std::string text;
  if (m.vocabulary.empty()) {
    // An id past the model's pieces (a model whose output vocabulary is larger) decodes as the
    // unknown token, as a piece the model lacks does below.
    std::vector<int> pieceIds;
    for (int64_t id : ids)
      pieceIds.push_back(id >= 0 && id < m.sp->pieceCount() ? int(id) : m.sp->unkId());
    return m.sp->decode(pieceIds, text) ? text : std::string();
  }
  std::vector<std::string> pieces;
  for (int64_t id : ids)
    pieces.push_back(m.vocabulary.word(id));
  return m.sp->decode(pieces, text) ? text : std::string();
}

std::string SentencePiece::label(int64_t id) const {
  const Impl &m = *impl;
  if (!m.vocabulary.empty())
    return m.vocabulary.word(id);
  return id >= 0 && id < m.sp->pieceCount() ? m.sp->idToPiece(int(id)) : std::to_string(id);
}

SpecialIds SentencePiece::specialIds() const {
  const SentencePieceModel &sp = *impl->sp;
  return {sp.bosId(), sp.eosId(), sp.padId(), sp.unkId()};
}

int SentencePiece::pieceCount() const { return impl->sp->pieceCount(); }

bool SentencePiece::checkSpecialId(const char *option, int64_t id, const char *role,
                                   std::string &error) const {
  const Impl &m = *impl;
  if (!m.vocabulary.empty())
    return true; // ids come from the vocabulary, whatever SentencePiece numbers its pieces
  SpecialIds special = specialIds();
  int64_t own = std::string_view(role) == "<s>"    ? special.bos
                : std::string_view(role) == "</s>" ? special.eos
                                                   : special.pad;
  if (own >= 0 && own != id) {
    error = std::string("--") + option + "=" + std::to_string(id) + " disagrees with " + m.path +
            ", whose " + role + " is id " + std::to_string(own) + " (without a vocabulary file " +
            "the model's ids are SentencePiece's: give --" + option + "=" + std::to_string(own) +
            ", or a vocab file to map the pieces through)";
    return false;
  }
  if (own < 0 && id >= 0 && id < m.sp->pieceCount()) {
    error = std::string("--") + option + "=" + std::to_string(id) + " is the piece '" +
            m.sp->idToPiece(int(id)) + "' of " + m.path + ", which has no " + role +
            " (without a vocabulary file the model's ids are SentencePiece's)";
    return false;
  }
  return true;
}

} // namespace heed::text
