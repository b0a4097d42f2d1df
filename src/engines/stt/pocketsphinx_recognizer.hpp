// PocketSphinx (BSD) with its US English model (Debian `pocketsphinx-en-us`): a light streaming recogniser
// for English calls on wideband (16 kHz, G.722) legs. It reports partial text while it decodes. English only,
// and useless on narrowband: its acoustic model is trained on 16 kHz speech, and 8 kHz telephone audio
// (upsampled) has nothing above 4 kHz, so most words are misheard (docs/engines.md).
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

// settings.model: the model directory holding en-us/ (empty: the Debian package's). A missing package or
// model is an EngineError naming what to install.
Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_pocketsphinx_recognizer(
    const EngineSettings& settings);

// Available when the library was built in and the model files exist; does not load the model.
EngineStatus pocketsphinx_status();

}  // namespace va::engines
