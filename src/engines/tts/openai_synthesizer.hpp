// Speech synthesis by an OpenAI-compatible service (agent.engines.tts: openai): POST <base_url>/audio/speech
// with {model, input, voice, response_format: "pcm"}; the answer is 24 kHz 16-bit little-endian mono PCM
// (OpenAI's reference), streamed: each piece is resampled to 16 kHz and handed to the sink as it arrives, so
// the caller hears the first words while the rest is still being made. A sink returning false closes the
// connection. Failures are EngineErrors; the fallback voice is fallback_engines.hpp's.
#pragma once

#include <memory>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::engines {

// The rate of the service's "pcm" format.
inline constexpr int kSpeechApiPcmRate = 24000;

// settings.remote: base_url, api_key, model (e.g. tts-1), voice (e.g. alloy), timeout. Makes no request.
Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_openai_synthesizer(
    const EngineSettings& settings);

}  // namespace va::engines
