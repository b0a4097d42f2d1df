// Text as the dialogue compares it: lower case (Cyrillic and Latin), ё folded to е, everything that is not a
// letter or digit (punctuation, hyphens, quotes) a single space between words. UTF-8 in, UTF-8 out; invalid
// bytes separate words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace va::voice {

std::string normalize_text(std::string_view text);

// Sentences of a prompt, for synthesis one at a time: split after . ! ? … (and ; for long clauses), keeping
// the punctuation; whitespace-only pieces dropped. Each piece's end offset in `text` is kept.
struct Sentence {
  std::string text;
  std::size_t end = 0;  // byte offset in the original text just after this sentence
};
std::vector<Sentence> split_sentences(std::string_view text);

}  // namespace va::voice
