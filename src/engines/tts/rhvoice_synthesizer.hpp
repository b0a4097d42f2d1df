// RHVoice (LGPL-2.1+, Debian non-free): the default voice for Russian and English. Only the voices whose
// licence is LGPL are used (docs/engines.md, "Licences"); most other RHVoice voices are CC-BY-NC-ND and may
// not be used commercially, so they are refused by name.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::engines {

// The LGPL voices of `language` ("ru": Anna, Elena, Irina, Aleksandr; "en": SLT, CLB, ALAN, BDL), the default
// first; empty for a language RHVoice does not speak here.
const std::vector<std::string>& rhvoice_lgpl_voices(std::string_view language);

// settings.language and settings.voice (empty: the language's default) choose the voice used for that
// language; other languages get their default voice. A voice outside the LGPL list is an EngineError saying
// so. All synthesizers share the process's one RHVoice engine (loading it reads every voice's data).
Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_rhvoice_synthesizer(
    const EngineSettings& settings);

EngineStatus rhvoice_status();

}  // namespace va::engines
