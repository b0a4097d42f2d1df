#include "app/check_engines.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "app/conversation_flows.hpp"
#include "engines/engine_registry.hpp"
#include "engines/llm/llama_model.hpp"
#include "media/audio_frame.hpp"

namespace va::app {
namespace {

constexpr const char* kFallbackVoice = "espeak-ng";

std::string detail_of(const engines::EngineRegistry& registry, engines::EngineKind kind,
                      const std::string& name) {
  for (const auto& status : registry.statuses())
    if (status.kind == kind && status.name == name) return status.detail;
  return {};
}

std::string seconds(std::size_t samples) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(samples) / media::kPipelineSampleRate);
  return text;
}

// The settings below are the ones make_conversation_service (conversation_flows.cpp) gives the engines.

CheckResult check_vad(const config::Config& cfg, const engines::EngineRegistry& registry) {
  const auto& name = cfg.agent.engines.vad;
  CheckResult r{"speech engine: VAD", CheckOutcome::pass, "", ""};
  engines::EngineSettings settings;
  settings.aggressiveness = static_cast<int>(cfg.agent.conversation.vad_aggressiveness);
  auto maker = registry.make_vad(name, settings);
  std::unique_ptr<voice::VoiceActivityDetector> vad;
  if (maker) vad = (*maker)();
  if (!vad) {
    r.outcome = CheckOutcome::fail;
    r.reason = maker ? name + ": cannot create a detector" : maker.error().to_string();
    r.hint = "agent.engines.vad must name an available VAD (`voice-agent engines`); serve refuses to start";
    return r;
  }
  // A frame of digital silence is never speech: the detector runs.
  if (vad->is_speech(media::AudioFrame::silence())) {
    r.outcome = CheckOutcome::fail;
    r.reason = name + ": digital silence was judged speech";
    r.hint = "a broken VAD library; reinstall it (scripts/setup)";
    return r;
  }
  r.reason = name + " (aggressiveness " + std::to_string(settings.aggressiveness) +
             "): " + detail_of(registry, engines::EngineKind::vad, name);
  return r;
}

CheckResult check_recognizer(const config::Config& cfg, const engines::EngineRegistry& registry,
                             const std::string& name) {
  CheckResult r{"speech engine: STT", CheckOutcome::pass, "", ""};
  if (name == "none") {
    r.outcome = CheckOutcome::skip;
    r.reason = "agent.engines.stt is none: calls are DTMF-only";
    r.hint = "set agent.engines.stt: whisper to understand speech";
    return r;
  }
  engines::EngineSettings settings;
  settings.model = cfg.agent.stt_model;
  const auto& api = cfg.agent.speech_api;
  settings.remote = speech_api_settings(api, api.stt_model, api.fallback_stt);
  const auto t0 = std::chrono::steady_clock::now();
  auto recognizer = registry.make_recognizer(name, settings);  // loads the model
  const auto load_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (!recognizer) {
    r.outcome = CheckOutcome::fail;
    r.reason = recognizer.error().to_string();
    r.hint = cfg.agent.stt_model.empty()
                 ? "run scripts/setup (it installs the default model), or set agent.engines.stt: none for "
                   "DTMF-only calls; serve refuses to start until then"
                 : "agent.stt_model must name a whisper.cpp ggml model file (empty: the one scripts/setup "
                   "installs); serve refuses to start until then";
    return r;
  }
  r.reason = cfg.agent.stt_model.empty() ? detail_of(registry, engines::EngineKind::stt, name)
                                         : name + ", model " + cfg.agent.stt_model;
  r.reason += " (loaded in " + std::to_string(load_ms.count()) + " ms)";
  return r;
}

// The recogniser of each language (usually one for both).
CheckResult check_stt(const config::Config& cfg, const engines::EngineRegistry& registry) {
  const auto ru = engines_for_language(cfg.agent, "ru").stt;
  const auto en = engines_for_language(cfg.agent, "en").stt;
  if (ru == en || en == "none") return check_recognizer(cfg, registry, ru);
  if (ru == "none") return check_recognizer(cfg, registry, en);
  auto first = check_recognizer(cfg, registry, ru);
  if (first.outcome == CheckOutcome::fail) return first;
  auto second = check_recognizer(cfg, registry, en);
  if (second.outcome == CheckOutcome::pass) second.reason = "ru: " + first.reason + "; en: " + second.reason;
  return second;
}

// The voice of each language says a short phrase, as the service's first prompt would be said.
CheckResult check_tts(const config::Config& cfg, const engines::EngineRegistry& registry) {
  const auto& name = cfg.agent.engines.tts;
  CheckResult r{"speech engine: TTS", CheckOutcome::pass, "", ""};
  auto say = [](voice::SpeechSynthesizer& tts, const std::string& language, std::string& error) {
    std::size_t samples = 0;
    auto said = tts.synthesize(language == "ru" ? "Проверка связи." : "Testing.", language,
                               [&](std::span<const std::int16_t> pcm) {
                                 samples += pcm.size();
                                 return true;
                               });
    if (!said) error = said.error().to_string();
    if (said && samples == 0) error = std::string(tts.name()) + ": no audio";
    return said && samples > 0 ? samples : 0;
  };

  std::vector<std::string> spoken, degraded, broken;
  for (const std::string language : {"ru", "en"}) {
    const auto choice = engines_for_language(cfg.agent, language);
    engines::EngineSettings settings;
    settings.language = language;
    settings.voice = choice.voice;
    settings.remote = speech_api_settings(cfg.agent.speech_api, cfg.agent.speech_api.tts_model,
                                          cfg.agent.speech_api.fallback_tts);
    std::string error;
    if (auto tts = registry.make_synthesizer(choice.tts, settings)) {
      if (auto samples = say(**tts, language, error)) {
        spoken.push_back(language + (choice.tts != name ? " (" + choice.tts + ")" : std::string()) + " " +
                         seconds(samples));
        continue;
      }
    } else {
      error = tts.error().to_string();
    }
    // The service says this language's prompts in the fallback voice then.
    engines::EngineSettings fallback;
    fallback.language = language;
    std::string fallback_error;
    auto espeak = registry.make_synthesizer(kFallbackVoice, fallback);
    if (espeak && say(**espeak, language, fallback_error) > 0) {
      degraded.push_back(language + ": " + error);
    } else {
      broken.push_back(language + ": " + error + "; fallback " +
                       (espeak ? fallback_error : espeak.error().to_string()));
    }
  }

  auto join = [](const std::vector<std::string>& parts, const char* separator = "; ") {
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : separator) + p;
    return s;
  };
  if (!broken.empty()) {
    r.outcome = CheckOutcome::fail;
    r.reason = "nothing can speak " + join(broken);
    r.hint = "install the voices (scripts/setup) or choose another agent.engines.tts / agent.voice";
    return r;
  }
  if (!degraded.empty()) {
    r.outcome = CheckOutcome::warn;
    r.reason = name + " fails for " + join(degraded) + "; those prompts use the fallback voice " +
               kFallbackVoice + " (robotic)";
    if (!spoken.empty()) r.reason += "; test phrase said: " + join(spoken, ", ");
    r.hint = "fix agent.engines.tts / agent.voice or install the engine's voices (scripts/setup)";
    return r;
  }
  r.reason = name + ", test phrase said: " + join(spoken, ", ") + " (" +
             detail_of(registry, engines::EngineKind::tts, name) + ")";
  if (name == kFallbackVoice) {
    r.outcome = CheckOutcome::warn;
    r.hint = "espeak-ng is the robotic fallback voice; rhvoice (ru, en) or flite (en) sound natural";
  }
  return r;
}

// The model is made as serve makes it and asked for a one-word reply: the URL, the key, the model name (or
// the GGUF file) all work, and how long its first words take.
CheckResult check_llm(const config::Config& cfg) {
  CheckResult r{"language model", CheckOutcome::pass, "", ""};
  const auto& agent = cfg.agent;
  if (agent.engines.llm == "none") {
    r.outcome = CheckOutcome::skip;
    r.reason = "agent.engines.llm is none: scripted flows only";
    r.hint = "set agent.engines.llm (openai, llama.cpp) for the AI dialogue (docs/llm.md)";
    return r;
  }
  const std::string where = agent.engines.llm == "openai"
                                ? agent.llm.model + " at " + agent.llm.base_url
                                : (agent.llm.gguf.empty() ? "the default model" : agent.llm.gguf);
  auto model = make_language_model(agent);
  if (!model) {
    r.outcome = CheckOutcome::fail;
    r.reason = model.error().to_string();
    r.hint = "serve refuses to start with this agent.engines.llm; see docs/llm.md";
    return r;
  }
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::system, "You are being tested. Reply with one word.", {}, {}},
                      {voice::ChatRole::user, "Say OK.", {}, {}}};
  request.max_tokens = 8;
  request.temperature = 0;
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(agent.llm.timeout);
  const auto start = std::chrono::steady_clock::now();
  std::optional<double> first_ms;
  std::atomic<bool> never{false};
  auto result = (*model)->complete(
      request,
      [&](std::string_view) {
        if (!first_ms)
          first_ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      },
      never);
  if (!result) {
    r.outcome = CheckOutcome::fail;
    r.reason = agent.engines.llm + " (" + where + "): " + result.error().message;
    r.hint =
        result.error().kind == voice::ChatError::Kind::status
            ? "check agent.llm.model and agent.llm.api_key (LLM_API_KEY)"
            : "check agent.llm.base_url and that the server is up; calls hear the fallback phrase meanwhile";
    return r;
  }
  char text[64];
  std::snprintf(text, sizeof text, "first words after %.0f ms", first_ms.value_or(-1));
  r.reason =
      agent.engines.llm + " (" + where + "): answered \"" +
      std::string(
          std::string_view(result->text)
              .substr(0, engines::utf8_complete_prefix(std::string_view(result->text).substr(0, 40)))) +
      "\", " + text;
  if (result->text.empty()) {
    r.outcome = CheckOutcome::warn;
    r.reason = agent.engines.llm + " (" + where + "): an empty answer";
    r.hint = "the model answered nothing to a simple request; try another model";
  }
  return r;
}

}  // namespace

std::vector<CheckResult> check_speech_engines(const config::Config& config) {
  engines::EngineRegistry registry;
  engines::register_builtin_engines(registry);
  return {check_vad(config, registry), check_stt(config, registry), check_tts(config, registry),
          check_llm(config)};
}

}  // namespace va::app
