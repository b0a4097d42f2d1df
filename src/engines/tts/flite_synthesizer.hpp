// flite 2.2 (BSD-style CMU licence) with the cmu_us_slt voice: English only, 16 kHz. The English voice when
// RHVoice is missing; clearer than eSpeak NG.
#pragma once

#include <memory>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::engines {

// settings.voice must be empty or "slt"; settings.language empty or "en".
Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_flite_synthesizer(
    const EngineSettings& settings);

EngineStatus flite_status();

}  // namespace va::engines
