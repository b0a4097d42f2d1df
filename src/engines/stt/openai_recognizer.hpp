// Speech recognition by an OpenAI-compatible service (agent.engines.stt: openai): each endpointed utterance
// is POSTed to <base_url>/audio/transcriptions as a 16 kHz mono WAV (multipart/form-data: file, model,
// language, response_format=json) and the answer's {"text"} is the recognition. Failures and timeouts are
// EngineErrors; the fallback to an embedded recogniser is fallback_engines.hpp's.
#pragma once

#include <memory>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

// settings.remote: base_url, api_key, model (e.g. whisper-1), timeout. Makes no request.
Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_openai_recognizer(
    const EngineSettings& settings);

}  // namespace va::engines
