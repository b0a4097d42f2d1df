// Matching what the caller said or keyed against a flow's intents.
//
// Speech is compared after normalisation: lower case (Latin and Cyrillic), ё → е, everything that is not a
// letter or a digit becomes a space, runs of spaces collapse. Recognisers differ in case, punctuation and
// ё (whisper writes "Алло, оператор!", pocketsphinx "алло оператор"); normalising both sides makes the
// flow's keywords independent of the engine.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "voice/flow/flow_model.hpp"

namespace va::voice::flow {

// Transcripts longer than this are cut before matching: regexes run on bounded input.
inline constexpr std::size_t kMaxMatchedText = 1000;

std::string normalize_transcript(std::string_view text);

// "Живой человек" → {"живой", "человек"}; empty when the phrase has no letters or digits.
Keyword parse_keyword(std::string_view phrase);

// Whether the keyword's words occur consecutively in the normalised text.
bool contains_keyword(std::string_view normalized_text, const Keyword& keyword);

// The first intent whose keywords or patterns for `language` match the transcript.
std::optional<std::size_t> match_speech(std::span<const Intent> intents, std::string_view transcript,
                                        const std::string& language);

// DTMF keyed so far against the intents' digit sequences.
struct DtmfMatch {
  std::optional<std::size_t> exact;  // an intent whose sequence equals the digits
  bool longer_possible = false;      // some intent's sequence starts with the digits and is longer
};
DtmfMatch match_dtmf(std::span<const Intent> intents, std::string_view digits);

// The value a pattern finds in the normalised text: capture group 1 if the pattern has one, else the whole
// match; nullopt when it does not match (or the regex engine gives up).
std::optional<std::string> extract(const Pattern& pattern, std::string_view normalized_text);

// The digits of a spoken answer ("12 34 56" → "123456").
std::string spoken_digits(std::string_view normalized_text);

}  // namespace va::voice::flow
