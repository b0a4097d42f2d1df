#include "app/engine_commands.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/exit_codes.hpp"
#include "engines/engine_registry.hpp"
#include "engines/wav_format.hpp"
#include "media/resampler.hpp"

namespace va::app {
namespace {

constexpr int kPipelineRate = 16000;

engines::EngineRegistry builtin_registry() {
  engines::EngineRegistry registry;
  engines::register_builtin_engines(registry);
  return registry;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

int list_engines(bool json) {
  const auto statuses = builtin_registry().statuses();
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& s : statuses)
      out.push_back({{"name", s.name},
                     {"kind", std::string(engines::to_string(s.kind))},
                     {"available", s.available},
                     {"detail", s.detail},
                     {"languages", s.capabilities.languages},
                     {"sample_rates", s.capabilities.sample_rates},
                     {"streaming", s.capabilities.streaming},
                     {"voices", s.voices}});
    std::cout << nlohmann::json{{"engines", out}}.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& s : statuses) {
    std::cout << engines::to_string(s.kind) << "  " << s.name << "  "
              << (s.available ? "available" : "UNAVAILABLE") << "  " << s.detail << "\n";
    if (!s.capabilities.languages.empty())
      std::cout << "      languages: " << joined(s.capabilities.languages) << "\n";
    if (!s.voices.empty()) std::cout << "      voices: " << joined(s.voices) << "\n";
  }
  return kExitOk;
}

// Without --engine: the first available engine of `kind` that speaks `language`, in the order of preference
// (the service's fallback order: RHVoice, then flite for English, then eSpeak NG for anything).
std::string choose_engine(const engines::EngineRegistry& registry, engines::EngineKind kind,
                          const std::string& language) {
  const std::vector<std::string> order = kind == engines::EngineKind::stt
                                             ? std::vector<std::string>{"whisper"}
                                             : std::vector<std::string>{"rhvoice", "flite", "espeak-ng"};
  const auto statuses = registry.statuses();
  for (const auto& name : order)
    for (const auto& s : statuses) {
      if (s.name != name || !s.available) continue;
      const auto& langs = s.capabilities.languages;
      if (std::find(langs.begin(), langs.end(), language) != langs.end() ||
          std::find(langs.begin(), langs.end(), "*") != langs.end())
        return name;
    }
  return order.front();  // not available: making it reports why
}

int say(const std::string& language, std::string engine, const std::string& voice, const std::string& text,
        const std::string& out_path) {
  const auto registry = builtin_registry();
  if (engine.empty()) engine = choose_engine(registry, engines::EngineKind::tts, language);
  engines::EngineSettings settings;
  settings.language = language;
  settings.voice = voice;
  auto tts = registry.make_synthesizer(engine, settings);
  if (!tts) {
    std::cerr << "error: " << tts.error().to_string() << "\n";
    return kExitUsageOrConfig;
  }
  std::vector<std::int16_t> pcm;
  auto result = (*tts)->synthesize(text, language, [&](std::span<const std::int16_t> chunk) {
    pcm.insert(pcm.end(), chunk.begin(), chunk.end());
    return true;
  });
  if (!result) {
    std::cerr << "error: " << result.error().to_string() << "\n";
    return kExitRuntimeFailure;
  }
  if (auto error = engines::write_wav_file(out_path, pcm, kPipelineRate)) {
    std::cerr << "error: " << *error << "\n";
    return kExitRuntimeFailure;
  }
  std::cerr << out_path << ": " << engine << ", " << static_cast<double>(pcm.size()) / kPipelineRate
            << " s at 16 kHz\n";
  return kExitOk;
}

int transcribe(const std::string& language, std::string engine, const std::string& path) {
  engines::WavAudio audio;
  if (auto error = engines::read_wav_file(path, audio)) {
    std::cerr << "error: " << *error << "\n";
    return kExitUsageOrConfig;
  }
  std::vector<std::int16_t> pcm;
  try {
    media::Resampler resampler(audio.format.sample_rate, kPipelineRate, media::Resampler::kDesktopQuality);
    pcm.resize(resampler.max_output(audio.samples.size()));
    pcm.resize(resampler.process(audio.samples, pcm));
  } catch (const std::invalid_argument&) {
    std::cerr << "error: " << path << ": sample rate " << audio.format.sample_rate << " Hz not supported\n";
    return kExitUsageOrConfig;
  }
  const auto registry = builtin_registry();
  if (engine.empty()) engine = choose_engine(registry, engines::EngineKind::stt, language);
  auto stt = registry.make_recognizer(engine, {});
  if (!stt) {
    std::cerr << "error: " << stt.error().to_string() << "\n";
    return kExitUsageOrConfig;
  }
  const auto start = std::chrono::steady_clock::now();
  auto heard = (*stt)->recognize(pcm, language);
  if (!heard) {
    std::cerr << "error: " << heard.error().to_string() << "\n";
    return kExitRuntimeFailure;
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << heard->text << "\n";
  std::cerr << path << ": " << engine << ", " << static_cast<double>(pcm.size()) / kPipelineRate
            << " s of audio recognised in " << seconds << " s\n";
  return kExitOk;
}

}  // namespace

EngineCommands::EngineCommands(CLI::App& app) {
  engines_cmd_ =
      app.add_subcommand("engines", "List the speech engines (VAD, STT, TTS): available or why not");
  engines_cmd_->add_flag("--json", json_, "Machine-readable output");

  say_cmd_ = app.add_subcommand("say", "Synthesise TEXT to a 16 kHz mono WAV file with a speech engine");
  say_cmd_->add_option("--lang", language_, "Language: ru, en, ...")->required();
  say_cmd_->add_option("--engine", engine_, "rhvoice, flite, espeak-ng; default: the best available");
  say_cmd_->add_option("--voice", voice_, "Voice, e.g. Anna, Aleksandr, SLT (RHVoice: LGPL voices only)");
  say_cmd_->add_option("-o,--output", file_, "WAV file to write")->required();
  say_cmd_->add_option("text", text_, "What to say")->required();

  transcribe_cmd_ = app.add_subcommand(
      "transcribe",
      "Recognise speech in a 16-bit mono PCM WAV file (8, 16, 24 or 48 kHz) and print the text");
  transcribe_cmd_->add_option("--lang", language_, "Language of the speech: ru, en")->required();
  transcribe_cmd_->add_option("--engine", engine_, "Speech recognition engine; default: whisper");
  transcribe_cmd_->add_option("file", file_, "WAV file")->required()->check(CLI::ExistingFile);
}

std::optional<int> EngineCommands::run() const {
  if (*engines_cmd_) return list_engines(json_);
  if (*say_cmd_) return say(language_, engine_, voice_, text_, file_);
  if (*transcribe_cmd_) return transcribe(language_, engine_, file_);
  return std::nullopt;
}

}  // namespace va::app
