// An engine that may fail (a speech service over the network) paired with an embedded one that takes over
// when it does: the caller still gets an answer, later and in another voice, instead of silence. Each
// fallback is logged with the primary's error and counted (engine_fallbacks()).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "voice/speech_recognizer.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::engines {

// recognize(): the primary's result, or on its error the fallback's. The name and capabilities are the
// primary's.
std::shared_ptr<voice::SpeechRecognizer> with_fallback(std::shared_ptr<voice::SpeechRecognizer> primary,
                                                       std::shared_ptr<voice::SpeechRecognizer> fallback);

// synthesize(): the primary's; on its error the fallback speaks the text only if no audio of the primary
// reached the sink yet (the caller would hear the start twice otherwise), else the error stands.
std::shared_ptr<voice::SpeechSynthesizer> with_fallback(std::shared_ptr<voice::SpeechSynthesizer> primary,
                                                        std::shared_ptr<voice::SpeechSynthesizer> fallback);

// Fallbacks taken since start, by every decorator of the process; by kind ("stt", "tts").
std::uint64_t engine_fallbacks();
std::uint64_t engine_fallbacks(std::string_view kind);

}  // namespace va::engines
