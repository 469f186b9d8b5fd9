//===- Vocabulary.cpp - Word vocabulary files -----------------------------===//

#include "runtime/files/SafeFiles.h"
#include "runtime/text/Tokenizer.h"

#include <sstream>

namespace heed::text {

Tokenizer::~Tokenizer() = default;

std::string Vocabulary::word(int64_t id) const {
  return id >= 0 && size_t(id) < words.size() ? words[size_t(id)] : std::to_string(id);
}

int64_t Vocabulary::find(std::string_view word) const {
  auto it = ids.find(word);
  return it == ids.end() ? -1 : it->second;
}

int64_t Vocabulary::unkId(int64_t given) const { return given >= 0 ? given : find("<unk>"); }

bool Vocabulary::read(const std::string &path, Vocabulary &out, std::string &error) {
  out = Vocabulary();
  out.path = path;
  if (path.empty())
    return true;
  std::string text;
  if (!files::readRegularFile(path, text, error, "vocab file"))
    return false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // The first field: vocab files of other toolkits put a count or score after the word.
    std::string word = line.substr(0, line.find_first_of(" \t\r"));
    out.ids.emplace(word, int64_t(out.words.size()));
    out.words.push_back(word);
  }
  return true;
}

} // namespace heed::text
