#include "common/log.hpp"
#include "engines/engine_registry.hpp"
#include "engines/fallback_engines.hpp"
#include "engines/speech_api.hpp"
#include "engines/stt/openai_recognizer.hpp"
#include "engines/stt/pocketsphinx_recognizer.hpp"
#include "engines/stt/whisper_recognizer.hpp"
#include "engines/tts/espeak_synthesizer.hpp"
#include "engines/tts/flite_synthesizer.hpp"
#include "engines/tts/openai_synthesizer.hpp"
#include "engines/tts/rhvoice_synthesizer.hpp"
#include "engines/vad/silero_vad.hpp"
#include "engines/vad/webrtc_vad.hpp"

namespace va::engines {
namespace {

// The embedded engine behind an `openai` one (settings.remote.fallback), made by the same registry; one that
// cannot be made leaves the service alone, with a warning (the service may well be up).
template <class Engine, class Make>
std::shared_ptr<Engine> embedded_fallback(std::string_view kind, const EngineSettings& settings, Make make) {
  const auto& name = settings.remote.fallback;
  if (name.empty() || name == "none" || name == "openai") return nullptr;
  EngineSettings embedded = settings;
  embedded.remote = {};
  auto made = make(name, embedded);
  if (made) return *made;
  log::warn("speech service without a fallback engine",
            {{"kind", std::string(kind)}, {"fallback", name}, {"error", made.error().to_string()}});
  return nullptr;
}

// The probes know no configuration: they describe the default service (agent.speech_api.base_url's default).
RemoteEngineSettings default_speech_api() {
  RemoteEngineSettings remote;
  remote.base_url = "https://api.openai.com/v1";
  return remote;
}

}  // namespace

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
  // An OpenAI-compatible speech service (agent.speech_api), wrapped with its embedded fallback. The probe
  // makes no request: whether the service answers is known only when it is asked.
  const EngineRegistry* self = &registry;
  registry.add_recognizer(
      "openai",
      [self](const EngineSettings& settings) -> EngineRegistry::RecognizerFactory::result_type {
        auto primary = make_openai_recognizer(settings);
        if (!primary) return primary;
        return with_fallback(*primary,
                             embedded_fallback<voice::SpeechRecognizer>(
                                 "stt", settings, [self](std::string_view name, const EngineSettings& s) {
                                   return self->make_recognizer(name, s);
                                 }));
      },
      [] { return speech_api_status("openai", EngineKind::stt, default_speech_api()); });
  registry.add_synthesizer(
      "openai",
      [self](const EngineSettings& settings) -> EngineRegistry::SynthesizerFactory::result_type {
        auto primary = make_openai_synthesizer(settings);
        if (!primary) return primary;
        return with_fallback(*primary,
                             embedded_fallback<voice::SpeechSynthesizer>(
                                 "tts", settings, [self](std::string_view name, const EngineSettings& s) {
                                   return self->make_synthesizer(name, s);
                                 }));
      },
      [] { return speech_api_status("openai", EngineKind::tts, default_speech_api()); });
}

}  // namespace va::engines
