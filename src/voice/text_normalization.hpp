// Text as the dialogue compares it: lower case (Cyrillic and Latin), ё folded to е, punctuation turned into
// spaces, runs of spaces collapsed. UTF-8 in, UTF-8 out.
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
