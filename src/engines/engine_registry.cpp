#include "engines/engine_registry.hpp"

namespace va::engines {

std::string_view to_string(EngineKind kind) {
  switch (kind) {
    case EngineKind::vad:
      return "vad";
    case EngineKind::stt:
      return "stt";
    case EngineKind::tts:
      return "tts";
  }
  return "unknown";
}

namespace {

template <typename Map>
std::string known(const Map& map) {
  std::string names;
  for (const auto& [name, entry] : map) names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none" : names;
}

template <typename Map>
auto make(const Map& map, std::string_view kind, std::string_view name, const EngineSettings& settings)
    -> decltype(map.begin()->second.factory(settings)) {
  auto it = map.find(name);
  if (it == map.end())
    return voice::EngineError{
        std::string(name),
        "no " + std::string(kind) + " engine of that name (this build has: " + known(map) + ")"};
  return it->second.factory(settings);
}

}  // namespace

void EngineRegistry::add_vad(std::string name, VadFactory factory, Probe probe) {
  vads_[std::move(name)] = {std::move(factory), std::move(probe)};
}
void EngineRegistry::add_recognizer(std::string name, RecognizerFactory factory, Probe probe) {
  recognizers_[std::move(name)] = {std::move(factory), std::move(probe)};
}
void EngineRegistry::add_synthesizer(std::string name, SynthesizerFactory factory, Probe probe) {
  synthesizers_[std::move(name)] = {std::move(factory), std::move(probe)};
}

Result<VadMaker, voice::EngineError> EngineRegistry::make_vad(std::string_view name,
                                                              const EngineSettings& settings) const {
  return make(vads_, "VAD", name, settings);
}
Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> EngineRegistry::make_recognizer(
    std::string_view name, const EngineSettings& settings) const {
  return make(recognizers_, "speech recognition", name, settings);
}
Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> EngineRegistry::make_synthesizer(
    std::string_view name, const EngineSettings& settings) const {
  return make(synthesizers_, "speech synthesis", name, settings);
}

std::vector<EngineStatus> EngineRegistry::statuses() const {
  std::vector<EngineStatus> out;
  for (const auto& [name, entry] : vads_) out.push_back(entry.probe());
  for (const auto& [name, entry] : recognizers_) out.push_back(entry.probe());
  for (const auto& [name, entry] : synthesizers_) out.push_back(entry.probe());
  return out;
}

}  // namespace va::engines
