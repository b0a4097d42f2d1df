#include "voice/llm/sentence_splitter.hpp"

namespace va::voice::llm {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The UTF-8 character that ends at byte `end` (exclusive) is a single letter word: "т." in "т.е.", "A."
bool single_letter_before(std::string_view text, std::size_t end) {
  if (end == 0) return false;
  std::size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  // A one-digit number ends a sentence ("добавочный 5. Спасибо"): only letters make abbreviations.
  if (text[start] >= '0' && text[start] <= '9') return false;
  if (start == 0) return true;
  char before = text[start - 1];
  return is_space(before) || before == '.' || before == '(';
}

// Where the sentence ends (exclusive), scanning `text`; npos when it does not yet.
std::size_t sentence_end(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') return i + 1;
    bool terminator = c == '.' || c == '!' || c == '?';
    std::size_t len = 1;
    if (text.substr(i, 3) == "…") {
      terminator = true;
      len = 3;
    }
    if (!terminator) continue;
    std::size_t j = i + len;
    // A run: "?!", "...", "».", closing quotes and brackets belong to the sentence.
    while (j < text.size()) {
      if (text[j] == '.' || text[j] == '!' || text[j] == '?' || text[j] == '"' || text[j] == ')' ||
          text[j] == '\'') {
        ++j;
      } else if (text.substr(j, 3) == "…") {
        j += 3;
      } else if (text.substr(j, 2) == "»") {
        j += 2;
      } else {
        break;
      }
    }
    if (j >= text.size()) return std::string_view::npos;  // the next character decides
    if (!is_space(text[j])) {
      i = j - 1;
      continue;  // "3.5", "example.com", "т.е"
    }
    if (c == '.' && j == i + 1 && single_letter_before(text, i)) continue;
    return j;
  }
  return std::string_view::npos;
}

// A letter or digit of any script (not punctuation, symbols, emoji): text with none is not worth speaking.
bool word_character(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  if (c == 0xD7 || c == 0xF7) return false;                           // × ÷
  return (c >= 0xC0 && c < 0x2000) ||                                 // Latin, Greek, Cyrillic, ... scripts
         (c >= 0x3040 && c < 0xD800) ||                               // kana, CJK, Hangul
         (c >= 0xF900 && c < 0xFE00) || (c >= 0xFF10 && c < 0xFFE0);  // compatibility, full width
}

bool has_word(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    char32_t c = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k)
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (word_character(c)) return true;
    i += length;
  }
  return false;
}

}  // namespace

std::string speakable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '*' || c == '_' || c == '`' || c == '#') continue;
    if (line_start && (c == '-' || c == '+') && i + 1 < text.size() && text[i + 1] == ' ') continue;
    if (c == '\n') line_start = true;
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    line_start = false;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<std::string> SentenceSplitter::next() {
  while (true) {
    std::size_t end = sentence_end(buffer_);
    // A run-on: also when its end has already arrived (a whole reply in one piece), so that the cut does
    // not depend on how the stream was split.
    if (end == std::string::npos ? buffer_.size() > max_chars_ : end > max_chars_) {
      // Cut at the last comma, else the last space, within the limit.
      std::string_view head(buffer_.data(), max_chars_);
      std::size_t cut = head.rfind(", ");
      if (cut == std::string_view::npos) cut = head.rfind(' ');
      end = cut == std::string_view::npos ? max_chars_ : cut + 1;
      // Back to the start of the character the limit falls in: going forward would overrun the limit, and
      // the character's last bytes may not have arrived yet.
      while (end > 0 && is_continuation(buffer_[end])) --end;
      if (end == 0) {  // a limit shorter than one character: give that character whole
        end = 1;
        while (end < buffer_.size() && is_continuation(buffer_[end])) ++end;
      }
    }
    if (end == std::string::npos) return std::nullopt;
    std::string sentence = speakable(std::string_view(buffer_).substr(0, end));
    buffer_.erase(0, end);
    if (has_word(sentence)) return sentence;
  }
}

std::string SentenceSplitter::flush() {
  std::string rest = speakable(buffer_);
  buffer_.clear();
  return has_word(rest) ? rest : std::string();
}

}  // namespace va::voice::llm
