#include "voice/text_normalization.hpp"

#include <cstdint>

namespace va::voice {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); malformed bytes come back as themselves.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[i + k]) & 0x3Fu; };
  if (b < 0x80) {
    ++i;
    return b;
  }
  if ((b & 0xE0) == 0xC0 && i + 1 < s.size()) {
    char32_t c = ((b & 0x1Fu) << 6) | cont(1);
    i += 2;
    return c;
  }
  if ((b & 0xF0) == 0xE0 && i + 2 < s.size()) {
    char32_t c = ((b & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
    i += 3;
    return c;
  }
  if ((b & 0xF8) == 0xF0 && i + 3 < s.size()) {
    char32_t c = ((b & 0x07u) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    i += 4;
    return c;
  }
  ++i;
  return b;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= U'А' && c <= U'Я') return c + 32;  // А..Я → а..я
  if (c == U'Ё' || c == U'ё') return U'е';
  return c;
}

bool is_word_char(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9') || (c >= U'а' && c <= U'я') || c == U'-' ||
         (c >= 0x100 && !(c >= 0x2000 && c <= 0x206F));  // other letters; not general punctuation
}

}  // namespace

std::string normalize_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = true;  // no leading space
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = fold(next_code_point(text, i));
    if (is_word_char(c)) {
      append_utf8(out, c);
      space = false;
    } else if (!space) {
      out.push_back(' ');
      space = true;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '-')) out.pop_back();
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  return out;
}

std::vector<Sentence> split_sentences(std::string_view text) {
  std::vector<Sentence> sentences;
  std::size_t start = 0;
  auto emit = [&](std::size_t end) {
    std::string_view piece = text.substr(start, end - start);
    std::size_t a = piece.find_first_not_of(" \t\r\n");
    if (a != std::string_view::npos) {
      std::size_t b = piece.find_last_not_of(" \t\r\n");
      sentences.push_back({std::string(piece.substr(a, b - a + 1)), end});
    }
    start = end;
  };
  for (std::size_t i = 0; i < text.size();) {
    std::size_t at = i;
    char32_t c = next_code_point(text, i);
    bool end = c == U'.' || c == U'!' || c == U'?' || c == U'…' || c == U';';
    if (!end) continue;
    // Runs like "?!" or "..." end once; a dot inside a number ("3.5") does not end a sentence.
    while (i < text.size() && (text[i] == '.' || text[i] == '!' || text[i] == '?')) ++i;
    bool digit_follows = i < text.size() && text[i] >= '0' && text[i] <= '9';
    if (c == U'.' && digit_follows && at > 0 && text[at - 1] >= '0' && text[at - 1] <= '9') continue;
    emit(i);
  }
  emit(text.size());
  return sentences;
}

}  // namespace va::voice
