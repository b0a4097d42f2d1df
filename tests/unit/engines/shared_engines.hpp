// The engines of this machine, made once per test process through the registry (loading Whisper's model or
// RHVoice's voices per test would cost more than the tests). A missing engine skips the test with the
// probe's reason.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "engines/engine_registry.hpp"

namespace va::test {

inline const engines::EngineRegistry& registry() {
  static const engines::EngineRegistry r = [] {
    engines::EngineRegistry made;
    engines::register_builtin_engines(made);
    return made;
  }();
  return r;
}

inline engines::EngineStatus status_of(const std::string& name) {
  for (auto& s : registry().statuses())
    if (s.name == name) return s;
  return {};
}

// The shared recogniser, or nullptr with `why` set.
inline std::shared_ptr<voice::SpeechRecognizer> whisper(std::string& why) {
  static auto made = registry().make_recognizer("whisper", {});
  if (!made) {
    why = made.error().to_string();
    return nullptr;
  }
  return *made;
}

inline std::shared_ptr<voice::SpeechSynthesizer> synthesizer(const std::string& name,
                                                             const std::string& language,
                                                             const std::string& voice, std::string& why) {
  static std::map<std::string, std::shared_ptr<voice::SpeechSynthesizer>> cache;
  const auto key = name + "/" + language + "/" + voice;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  engines::EngineSettings settings;
  settings.language = language;
  settings.voice = voice;
  auto made = registry().make_synthesizer(name, settings);
  if (!made) {
    why = made.error().to_string();
    return nullptr;
  }
  return cache[key] = *made;
}

}  // namespace va::test

#define VA_REQUIRE_ENGINE(ptr, why) \
  if (!(ptr)) GTEST_SKIP() << "engine not available here: " << (why)
