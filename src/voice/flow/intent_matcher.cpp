#include "voice/flow/intent_matcher.hpp"

#include <cstdint>

namespace va::voice::flow {
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

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

bool word_matches(std::string_view heard, std::string_view expected) {
  if (!expected.empty() && expected.back() == '*') {
    expected.remove_suffix(1);
    return heard.starts_with(expected);
  }
  return heard == expected;
}

}  // namespace

std::string normalize_transcript(std::string_view text) {
  if (text.size() > kMaxMatchedText) text = text.substr(0, kMaxMatchedText);
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

Keyword parse_keyword(std::string_view phrase) {
  // A trailing '*' on a word survives normalisation: it is the prefix marker.
  Keyword keyword;
  for (auto word : split_words(phrase)) {
    bool prefix = word.ends_with('*');
    auto normalized = normalize_transcript(word);
    for (auto part : split_words(normalized)) keyword.words.emplace_back(part);
    if (prefix && !keyword.words.empty()) keyword.words.back() += '*';
  }
  return keyword;
}

bool contains_keyword(std::string_view normalized_text, const Keyword& keyword) {
  if (keyword.words.empty()) return false;
  auto heard = split_words(normalized_text);
  for (std::size_t start = 0; start + keyword.words.size() <= heard.size(); ++start) {
    bool all = true;
    for (std::size_t k = 0; k < keyword.words.size() && all; ++k)
      all = word_matches(heard[start + k], keyword.words[k]);
    if (all) return true;
  }
  return false;
}

std::optional<std::size_t> match_speech(std::span<const Intent> intents, std::string_view transcript,
                                        const std::string& language) {
  auto text = normalize_transcript(transcript);
  if (text.empty()) return std::nullopt;
  for (std::size_t i = 0; i < intents.size(); ++i) {
    if (auto it = intents[i].keywords.find(language); it != intents[i].keywords.end()) {
      for (const auto& k : it->second)
        if (contains_keyword(text, k)) return i;
    }
    if (auto it = intents[i].patterns.find(language); it != intents[i].patterns.end()) {
      for (const auto& p : it->second)
        if (extract(p, text)) return i;
    }
  }
  return std::nullopt;
}

DtmfMatch match_dtmf(std::span<const Intent> intents, std::string_view digits) {
  DtmfMatch match;
  if (digits.empty()) return match;
  for (std::size_t i = 0; i < intents.size(); ++i) {
    for (const auto& sequence : intents[i].dtmf) {
      if (sequence == digits && !match.exact) match.exact = i;
      if (sequence.size() > digits.size() && sequence.starts_with(digits)) match.longer_possible = true;
    }
  }
  return match;
}

std::optional<std::string> extract(const Pattern& pattern, std::string_view normalized_text) {
  if (!pattern.regex) return std::nullopt;
  if (normalized_text.size() > kMaxMatchedText) normalized_text = normalized_text.substr(0, kMaxMatchedText);
  std::match_results<std::string_view::const_iterator> m;
  try {
    if (!std::regex_search(normalized_text.begin(), normalized_text.end(), m, *pattern.regex))
      return std::nullopt;
  } catch (const std::regex_error&) {
    // error_complexity / error_stack: the engine gave up on this input; treat it as no match.
    return std::nullopt;
  }
  if (m.size() > 1 && m[1].matched) return m[1].str();
  return m[0].str();
}

std::string spoken_digits(std::string_view normalized_text) {
  std::string digits;
  for (char c : normalized_text)
    if (c >= '0' && c <= '9') digits += c;
  return digits;
}

}  // namespace va::voice::flow
