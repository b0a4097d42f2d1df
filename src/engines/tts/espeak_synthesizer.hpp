// eSpeak NG: the last-resort voice, for any language (robotic; ~100 languages). eSpeak NG is GPL-3+, so it is
// never linked into the product (docs/engines.md, "Licences"): each synthesis runs the `espeak-ng` program
// as a child process and reads its WAV from a pipe, which is aggregation, not a combined work.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::engines {

// The program looked up on PATH.
inline constexpr const char* kEspeakProgram = "espeak-ng";

// settings.voice: an eSpeak NG voice ("ru", "en-us"); empty: the language asked for in each synthesize().
Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_espeak_synthesizer(
    const EngineSettings& settings);

EngineStatus espeak_status();

}  // namespace va::engines
