// Text to speech behind one interface (engines/tts/ implements it: RHVoice for Russian and English, flite for
// English, espeak-ng as the last resort). Synthesis streams: audio goes to the sink in chunks as the engine
// makes it, so the first words play before the sentence is finished.
//
// Threading: synthesize() runs on the conversation's worker pool; the sink is called on that worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "common/result.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::voice {

// Gets 16 kHz mono PCM; returns false to stop the synthesis (the reply was interrupted).
using AudioSink = std::function<bool(std::span<const std::int16_t> pcm16k)>;

struct Synthesized {
  bool stopped = false;  // the sink asked to stop
};

class SpeechSynthesizer {
 public:
  virtual ~SpeechSynthesizer() = default;
  virtual std::string_view name() const = 0;
  virtual const EngineCapabilities& capabilities() const = 0;
  virtual Result<Synthesized, EngineError> synthesize(std::string_view text, std::string_view language,
                                                      const AudioSink& sink) = 0;
};

}  // namespace va::voice
