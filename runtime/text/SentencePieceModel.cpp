//===- SentencePieceModel.cpp - libHeedSentencePiece.so ---------------------===//
//
// The only code that calls libsentencepiece; built as its own shared library and loaded with
// RTLD_DEEPBIND (SentencePieceModel.h says why).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/SentencePieceModel.h"

#include <sentencepiece_processor.h>

namespace heed::text {
namespace {

class Model final : public SentencePieceModel {
public:
  sentencepiece::SentencePieceProcessor sp;

  bool encode(std::string_view text, std::vector<int> &ids, std::string &error) const override {
    return check(sp.Encode(text, &ids), error);
  }
  bool encode(std::string_view text, std::vector<std::string> &pieces,
              std::string &error) const override {
    return check(sp.Encode(text, &pieces), error);
  }
  bool decode(const std::vector<int> &ids, std::string &text) const override {
    return sp.Decode(ids, &text).ok();
  }
  bool decode(const std::vector<std::string> &pieces, std::string &text) const override {
    return sp.Decode(pieces, &text).ok();
  }
  int pieceCount() const override { return sp.GetPieceSize(); }
  std::string idToPiece(int id) const override { return sp.IdToPiece(id); }
  int bosId() const override { return sp.bos_id(); }
  int eosId() const override { return sp.eos_id(); }
  int padId() const override { return sp.pad_id(); }
  int unkId() const override { return sp.unk_id(); }

private:
  static bool check(const sentencepiece::util::Status &status, std::string &error) {
    if (status.ok())
      return true;
    error = status.ToString();
    return false;
  }
};

} // namespace
} // namespace heed::text

extern "C" __attribute__((visibility("default"))) heed::text::SentencePieceModel *
heedLoadSentencePieceModel(const char *bytes, size_t size, std::string *error) {
  auto model = std::make_unique<heed::text::Model>();
  if (auto status = model->sp.LoadFromSerializedProto(std::string_view(bytes, size));
      !status.ok()) {
    *error = status.ToString();
    return nullptr;
  }
  return model.release();
}
