// Engines by name (Envoy style): each engine is one file plus one registration line in
// register_builtin_engines() (builtin_engines.cpp). The composition root asks the registry for the engines
// the configuration names; `voice-agent engines` and `check` list what is available and why not.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/speech_synthesizer.hpp"
#include "voice/voice_activity.hpp"

namespace va::engines {

enum class EngineKind { vad, stt, tts };
std::string_view to_string(EngineKind kind);

// A speech service reached over HTTP (agent.speech_api): the `openai` engines.
struct RemoteEngineSettings {
  std::string base_url;  // "https://api.openai.com/v1"
  std::string api_key;   // never in errors or logs
  std::string model;     // the service's model ("whisper-1", "tts-1")
  std::string voice;     // TTS: the service's voice ("alloy")
  std::chrono::milliseconds timeout{5000};
  std::string fallback;  // the embedded engine used when a request fails; empty or "none": no fallback
};

// What the configuration says about one engine.
struct EngineSettings {
  std::string model;              // STT: model file; empty: the engine's default (installed by scripts/setup)
  std::string voice;              // TTS: voice name; empty: the engine's default for the language
  std::string language;           // TTS: the language this instance speaks ("ru", "en")
  int threads = 1;                // STT: threads per recognition
  int aggressiveness = 2;         // VAD
  RemoteEngineSettings remote{};  // openai
};

// Whether an engine can run here, and what it offers: for `voice-agent engines`, `check` and start-up.
struct EngineStatus {
  std::string name;
  EngineKind kind = EngineKind::stt;
  bool available = false;
  std::string detail;  // available: model/voices found; else why not (missing library, model, voice)
  voice::EngineCapabilities capabilities;
  std::vector<std::string> voices;  // TTS: the voices it can use
};

using VadMaker = std::function<std::unique_ptr<voice::VoiceActivityDetector>()>;

class EngineRegistry {
 public:
  using VadFactory = std::function<Result<VadMaker, voice::EngineError>(const EngineSettings&)>;
  using RecognizerFactory =
      std::function<Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError>(
          const EngineSettings&)>;
  using SynthesizerFactory =
      std::function<Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError>(
          const EngineSettings&)>;
  using Probe = std::function<EngineStatus()>;

  void add_vad(std::string name, VadFactory factory, Probe probe);
  void add_recognizer(std::string name, RecognizerFactory factory, Probe probe);
  void add_synthesizer(std::string name, SynthesizerFactory factory, Probe probe);

  // An unknown name is an EngineError naming the known ones.
  Result<VadMaker, voice::EngineError> make_vad(std::string_view name, const EngineSettings& settings) const;
  Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_recognizer(
      std::string_view name, const EngineSettings& settings) const;
  Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_synthesizer(
      std::string_view name, const EngineSettings& settings) const;

  // Every registered engine's status, in kind then name order.
  std::vector<EngineStatus> statuses() const;

 private:
  template <typename F>
  struct Entry {
    F factory;
    Probe probe;
  };
  std::map<std::string, Entry<VadFactory>, std::less<>> vads_;
  std::map<std::string, Entry<RecognizerFactory>, std::less<>> recognizers_;
  std::map<std::string, Entry<SynthesizerFactory>, std::less<>> synthesizers_;
};

// The engines this build has: webrtc, silero (VAD), whisper, pocketsphinx (STT), rhvoice, flite, espeak-ng
// (TTS), and openai (an OpenAI-compatible speech service, STT and TTS, with an embedded fallback).
void register_builtin_engines(EngineRegistry& registry);

}  // namespace va::engines
