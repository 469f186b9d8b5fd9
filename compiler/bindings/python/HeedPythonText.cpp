//===- HeedPythonText.cpp - heed._heed.SentencePiece ----------------------===//
//
// The tokenizer of heed-run translate/score (runtime/text) for heed.Translator's source_spm /
// target_spm: the same code tokenizes in the tool and in Python.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Tokenizer.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

namespace py = pybind11;

namespace heedpython {

void bindText(py::module_ &m, void (*raise)(const std::string &)) {
  using ::heed::text::SentencePiece;
  using ::heed::text::Vocabulary;
  py::class_<SentencePiece>(m, "SentencePiece")
      // path: the .model file; vocabulary: a vocab file the pieces map through ("" for none);
      // unk: the id of pieces the vocabulary lacks (< 0: its <unk> line, else an error).
      .def(py::init([raise](const std::string &path, const std::string &vocabulary, int64_t unk) {
             std::string error;
             Vocabulary vocab;
             std::unique_ptr<SentencePiece> s;
             if (!Vocabulary::read(vocabulary, vocab, error))
               raise(error);
             int64_t unkId = vocab.unkId(unk);
             if (!SentencePiece::load(path, std::move(vocab), unkId, s, error))
               raise(error);
             return s;
           }),
           py::arg("path"), py::arg("vocabulary"), py::arg("unk"))
      .def("encode",
           [raise](const SentencePiece &s, const std::string &text) {
             std::vector<int64_t> ids;
             std::string error;
             if (!s.encode(text, ids, error))
               raise(error);
             return ids;
           })
      .def("decode", &SentencePiece::decode)
      .def("label", &SentencePiece::label)
      .def("check_special_id",
           [raise](const SentencePiece &s, const std::string &option, int64_t id,
                   const std::string &role) {
             std::string error;
             if (!s.checkSpecialId(option.c_str(), id, role.c_str(), error))
               raise(error);
           })
      .def_property_readonly("piece_count", &SentencePiece::pieceCount);
}

} // namespace heedpython
