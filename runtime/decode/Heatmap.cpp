//===- Heatmap.cpp - Attention weights as an SVG heatmap ------------------===//
//
// Source tokens along the top (x), target tokens down the left (y); a cell's
// darkness is its weight (white 0, black 1), as in Bahdanau et al.'s figure 3.
//
//===----------------------------------------------------------------------===//

#include "runtime/decode/Decoder.h"

#include <algorithm>
#include <cstdio>

namespace heed::decode {
namespace {

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  return out;
}

} // namespace

std::string attentionSvg(const std::vector<std::vector<float>> &attention,
                         const std::vector<std::string> &sourceLabels,
                         const std::vector<std::string> &targetLabels, const std::string &title) {
  const int cell = 28, fontSize = 12;
  size_t rows = attention.size(), cols = 0;
  for (const auto &r : attention)
    cols = std::max(cols, r.size());
  size_t labelChars = 1;
  for (const auto &l : targetLabels)
    labelChars = std::max(labelChars, l.size());
  for (const auto &l : sourceLabels)
    labelChars = std::max(labelChars, l.size());
  int left = 16 + int(labelChars) * 8, top = 24 + int(labelChars) * 8 + (title.empty() ? 0 : 20);
  int width = left + int(cols) * cell + 16, height = top + int(rows) * cell + 16;
  char buf[256];
  std::string svg;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "font-family=\"monospace\" font-size=\"%d\">\n",
                width, height, fontSize);
  svg += buf;
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!title.empty())
    svg += "<text x=\"8\" y=\"16\">" + escape(title) + "</text>\n";
  for (size_t c = 0; c < cols; ++c) {
    std::string label = c < sourceLabels.size() ? sourceLabels[c] : std::to_string(c);
    int x = left + int(c) * cell + cell / 2 + fontSize / 3, y = top - 6;
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-90 %d %d)\">", x, y,
                  x, y);
    svg += buf + escape(label) + "</text>\n";
  }
  for (size_t r = 0; r < rows; ++r) {
    std::string label = r < targetLabels.size() ? targetLabels[r] : std::to_string(r);
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6,
                  top + int(r) * cell + cell / 2 + fontSize / 3);
    svg += buf + escape(label) + "</text>\n";
    for (size_t c = 0; c < attention[r].size(); ++c) {
      float w = std::clamp(attention[r][c], 0.0f, 1.0f);
      int shade = int(255.0f * (1.0f - w) + 0.5f);
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"rgb(%d,%d,%d)\"><title>%.3f</title></rect>\n",
                    left + int(c) * cell, top + int(r) * cell, cell, cell, shade, shade, shade,
                    double(attention[r][c]));
      svg += buf;
    }
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                "stroke=\"gray\"/>\n</svg>\n",
                left, top, int(cols) * cell, int(rows) * cell);
  svg += buf;
  return svg;
}

} // namespace heed::decode
