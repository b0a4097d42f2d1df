// Cuts a streamed reply into sentences for speech: each sentence goes to the synthesiser as soon as it is
// complete, so the caller hears the first one while the model writes the rest.
//
// A sentence ends at . ! ? … (and runs of them) followed by white space, or at a line break; a period
// between digits ("3.5") or after a single letter ("т.е.", "A.") does not end one. What the model writes
// for the eye (markdown emphasis, headings, list bullets, code ticks) is dropped. A sentence longer than
// `max_chars` is cut at its last comma or space: the synthesiser never waits for a run-on paragraph.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace va::voice::llm {

class SentenceSplitter {
 public:
  explicit SentenceSplitter(std::size_t max_chars = 220) : max_chars_(max_chars) {}

  void append(std::string_view text) { buffer_ += text; }
  // The next complete sentence, if the buffer holds one.
  std::optional<std::string> next();
  // The rest, once the stream has ended (empty when nothing speakable is left).
  std::string flush();

 private:
  std::string buffer_;
  std::size_t max_chars_;
};

// Text as it should be spoken: markdown marks removed, white space collapsed, trimmed.
std::string speakable(std::string_view text);

}  // namespace va::voice::llm
