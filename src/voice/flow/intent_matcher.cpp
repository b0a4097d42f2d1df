#include "voice/flow/intent_matcher.hpp"

#include <cstdint>

#include "voice/text_normalization.hpp"

namespace va::voice::flow {
namespace {

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
  return normalize_text(text);
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
