#include "engines/engine_registry.hpp"
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
}

}  // namespace va::engines
