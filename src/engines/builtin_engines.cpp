#include "engines/engine_registry.hpp"
#include "engines/stt/pocketsphinx_recognizer.hpp"
#include "engines/stt/whisper_recognizer.hpp"
#include "engines/tts/espeak_synthesizer.hpp"
#include "engines/tts/flite_synthesizer.hpp"
#include "engines/tts/rhvoice_synthesizer.hpp"
#include "engines/vad/silero_vad.hpp"
#include "engines/vad/webrtc_vad.hpp"

namespace va::engines {

void register_builtin_engines(EngineRegistry& registry) {
  registry.add_vad(
      "webrtc",
      [](const EngineSettings& settings) -> Result<VadMaker, voice::EngineError> {
        // Probe once so a broken library is a start-up error, not a per-call one.
        auto probe = make_webrtc_vad({settings.aggressiveness});
        if (!probe) return voice::EngineError{"webrtc", probe.error()};
        const int aggressiveness = settings.aggressiveness;
        return VadMaker([aggressiveness] {
          auto vad = make_webrtc_vad({aggressiveness});
          return vad ? std::move(*vad) : nullptr;
        });
      },
      [] {
        EngineStatus status{"webrtc", EngineKind::vad, false, {}, {{}, {8000, 16000}, true}, {}};
        auto vad = make_webrtc_vad({});
        status.available = vad.ok();
        status.detail = vad ? "libwebrtc_audio_processing (GMM VAD), aggressiveness 0-3" : vad.error();
        return status;
      });
  registry.add_vad("silero", make_silero_vad_maker, silero_status);
  registry.add_recognizer("whisper", make_whisper_recognizer, whisper_status);
  registry.add_recognizer("pocketsphinx", make_pocketsphinx_recognizer, pocketsphinx_status);
  registry.add_synthesizer("rhvoice", make_rhvoice_synthesizer, rhvoice_status);
  registry.add_synthesizer("flite", make_flite_synthesizer, flite_status);
  registry.add_synthesizer("espeak-ng", make_espeak_synthesizer, espeak_status);
}

}  // namespace va::engines
