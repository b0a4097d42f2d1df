#include "voice/text_normalization.hpp"

#include <cstdint>

namespace va::voice {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes decode as U+FFFD, one byte each.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t b0 = byte(i);
  int length = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = length == 1 ? b0 : b0 & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    std::uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Lower case with ё folded into е; 0 for anything that separates words.
char32_t fold(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
  if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return cp;
  if (cp == 0x401 || cp == 0x451) return 0x435;      // Ё ё → е
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;  // А-Я → а-я
  if (cp >= 0x430 && cp <= 0x44F) return cp;         // а-я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;  // Ѐ-Џ (Ukrainian, Belarusian) → ѐ-џ
  if (cp >= 0x450 && cp <= 0x45F) return cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;  // Latin-1 capitals
  if (cp >= 0xDF && cp <= 0xFF && cp != 0xF7) return cp;
  return 0;
}

}  // namespace

std::string normalize_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = fold(next_code_point(text, i));
    if (cp == 0) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    append_utf8(out, cp);
  }
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
