// whisper.cpp (MIT) with the multilingual Whisper `base` model: the default speech recogniser, Russian and
// English. One model in memory per recogniser, shared by every call; each concurrent recognition borrows its
// own decoder state from a small pool, so calls on different worker threads decode in parallel.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

// The model scripts/setup installs ($VA_TOOLS_DIR/models/ggml-whisper-base.bin, from CMake's
// VA_WHISPER_MODEL).
std::string default_whisper_model();

// settings.model (empty: the default) and settings.threads (per recognition; 1 is the measured best under
// load). A missing model or a failing load is an EngineError naming the file and `scripts/setup`.
Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_whisper_recognizer(
    const EngineSettings& settings);

// Available when the library was built in and the default model file exists; does not load the model.
EngineStatus whisper_status();

}  // namespace va::engines
