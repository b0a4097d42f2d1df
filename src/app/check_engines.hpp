// `voice-agent check`: the speech engines the configuration selects (agent.engines.vad/stt/tts,
// agent.stt_model, agent.voice), made through the engine registry exactly as `serve` makes them, and tried:
// the VAD judges a frame, the recogniser's model is loaded, each language's voice says a test phrase.
#pragma once

#include <vector>

#include "app/check_result.hpp"
#include "common/config.hpp"

namespace va::app {

// "speech engine: VAD", "speech engine: STT", "speech engine: TTS", "language model", in that order.
// - language model: SKIP for none; FAIL when it cannot be made or does not answer a one-word request.
// - VAD, STT: FAIL when the engine cannot be made (the reason names it: the missing model file, the unknown
//   engine); `serve` refuses to start then. STT is SKIP for `none` (DTMF-only calls).
// - TTS: WARN when a language falls back to eSpeak NG (robotic; also when espeak-ng is the engine chosen),
//   FAIL when not even the fallback voice speaks. `serve` starts degraded in both cases.
std::vector<CheckResult> check_speech_engines(const config::Config& config);

}  // namespace va::app
