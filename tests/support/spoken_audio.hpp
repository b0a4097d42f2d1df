// Speech for end-to-end calls, through the binary under test (the engines the calls use): a caller's
// utterance synthesised to a WAV (`voice-agent say`), and a recording recognised again
// (`voice-agent transcribe`) to check what the agent said.
#pragma once

#include <filesystem>
#include <string>

#include "support/temp_directory.hpp"

namespace va::test {

// `text` spoken in `language`, as <dir>/<name>.wav at `rate` Hz mono: `lead_s` seconds of silence first (the
// agent greets meanwhile), then the utterance, then `tail_s` seconds of silence.
std::filesystem::path spoken_wav(const TempDirectory& dir, const std::string& name,
                                 const std::string& language, const std::string& text, int rate,
                                 double lead_s, double tail_s);

// What whisper hears in `wav`, ASCII letters lower-cased (Cyrillic stays as it is).
std::string transcribe(const std::filesystem::path& wav, const std::string& language);

}  // namespace va::test
