// Helpers of the engine tests: real synthesis into a buffer, the telephone path a call's audio takes
// (16 kHz → 8 kHz → G.711 A-law → 8 kHz → 16 kHz, with our own codec and resampler), and word error rate.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "media/g711_codec.hpp"
#include "media/resampler.hpp"
#include "voice/speech_synthesizer.hpp"
#include "voice/text_normalization.hpp"

namespace va::test {

inline constexpr int kRate = 16000;

struct Speech {
  std::vector<std::int16_t> pcm;  // 16 kHz
  bool stopped = false;
  std::size_t chunks = 0;
  double seconds() const { return static_cast<double>(pcm.size()) / kRate; }
};

// Everything the synthesizer says, or the error.
inline Result<Speech, voice::EngineError> synthesize(voice::SpeechSynthesizer& tts, std::string_view text,
                                                     std::string_view language) {
  Speech speech;
  auto result = tts.synthesize(text, language, [&](std::span<const std::int16_t> pcm) {
    speech.pcm.insert(speech.pcm.end(), pcm.begin(), pcm.end());
    ++speech.chunks;
    return true;
  });
  if (!result) return result.error();
  speech.stopped = result->stopped;
  return speech;
}

// 16 kHz speech as it arrives from a PCMA call leg.
inline std::vector<std::int16_t> through_alaw_call(std::span<const std::int16_t> pcm16k) {
  media::Resampler down(kRate, 8000), up(8000, kRate);
  std::vector<std::int16_t> narrow(down.max_output(pcm16k.size()));
  narrow.resize(down.process(pcm16k, narrow));
  for (auto& s : narrow) s = media::decode_alaw(media::encode_alaw(s));
  std::vector<std::int16_t> wide(up.max_output(narrow.size()));
  wide.resize(up.process(narrow, wide));
  return wide;
}

inline double rms(std::span<const std::int16_t> pcm) {
  double sum = 0;
  for (auto s : pcm) sum += static_cast<double>(s) * s;
  return pcm.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(pcm.size()));
}

inline std::vector<std::string> words(std::string_view text) {
  std::istringstream in(voice::normalize_text(text));
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Word-level Levenshtein distance between the normalised texts: substitutions + deletions + insertions.
inline std::size_t word_errors(std::string_view reference, std::string_view hypothesis) {
  const auto r = words(reference), h = words(hypothesis);
  std::vector<std::size_t> prev(h.size() + 1), cur(h.size() + 1);
  for (std::size_t j = 0; j <= h.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= r.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= h.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[h.size()];
}

}  // namespace va::test
