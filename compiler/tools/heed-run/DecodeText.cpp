//===- DecodeText.cpp - heed-run translate/score: text in and out ---------===//

#include "DecodeText.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace heedrun {

bool TextSide::load(const std::string &vocabPath, const std::string &spmPath, int64_t unkOption,
                    std::string &error) {
  if (!::heed::text::Vocabulary::read(vocabPath, vocab, error))
    return false;
  unk = vocab.unkId(unkOption);
  // With a SentencePiece model and no vocabulary, --unk does not apply: the model's ids are
  // SentencePiece's, its unknown piece included.
  return spmPath.empty() || ::heed::text::SentencePiece::load(spmPath, vocab, unk, spm, error);
}

bool TextSide::encode(const std::string &line, const std::string &path, size_t lineNo,
                      std::vector<int64_t> &ids, std::string &error) const {
  std::string where = path + ":" + std::to_string(lineNo) + ": ";
  ids.clear();
  if (spm) {
    if (!spm->encode(line, ids, error)) {
      error = where + error;
      return false;
    }
    return true;
  }
  std::istringstream words(line);
  std::string w;
  while (words >> w) {
    // A vocab word, else a token id.
    if (int64_t id = vocab.find(w); id >= 0) {
      ids.push_back(id);
      continue;
    }
    char *end = nullptr;
    long long id = std::strtoll(w.c_str(), &end, 10);
    bool isId = !w.empty() && !*end && id >= 0;
    if (!isId && !vocab.empty() && unk >= 0) {
      ids.push_back(unk);
      continue;
    }
    if (!isId) {
      error = where + "'" + w + "' is " +
              (vocab.empty() ? "not a token id (give --src-vocab/--tgt-vocab to read words, or "
                               "--src-spm/--tgt-spm to read text)"
                             : "neither in the vocabulary nor a token id (the vocabulary has "
                               "no <unk>; --unk=ID names one)");
      return false;
    }
    ids.push_back(id);
  }
  return true;
}

std::string TextSide::text(const std::vector<int64_t> &ids) const {
  if (spm)
    return spm->decode(ids);
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + vocab.word(ids[i]);
  return s;
}

std::string TextSide::label(int64_t id) const { return spm ? spm->label(id) : vocab.word(id); }

bool LineReader::open(const std::string &path, std::string &error) {
  fromStdin = path == "-";
  if (fromStdin)
    return true;
  if (!::heed::files::readRegularFile(path, text, error))
    return false;
  for (size_t p = 0; p < text.size(); p = text.find('\n', p) + 1) {
    ++count;
    if (text.find('\n', p) == std::string::npos)
      break;
  }
  return true;
}

bool LineReader::next(std::string &line) {
  if (fromStdin) {
    if (!std::getline(std::cin, line))
      return false;
  } else {
    if (pos >= text.size())
      return false;
    size_t end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    line = text.substr(pos, end - pos);
    pos = end + 1;
  }
  // A CRLF file's \r is no part of the sentence (SentencePiece would read it as a character).
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return true;
}

bool OutputSink::open(const std::string &path, std::string &error) {
  toStdout = path.empty() || ::heed::files::isStdoutPath(path);
  return toStdout || file.open(path, error);
}

bool OutputSink::write(const std::string &bytes, std::string &error) {
  if (!toStdout)
    return file.append(bytes, error);
  std::fflush(stdout);
  return ::heed::files::writeStdout(bytes, error);
}

bool OutputSink::close(std::string &error) { return toStdout || file.commit(error); }

} // namespace heedrun
