#include "engines/speech_api.hpp"

#include <nlohmann/json.hpp>

namespace va::engines {

namespace {

http::ClientOptions options_of(const RemoteEngineSettings& settings) {
  http::ClientOptions options;
  options.connect_timeout = settings.timeout;
  options.request_timeout = settings.timeout;
  options.max_response_bytes = 1024 * 1024;
  return options;
}

}  // namespace

std::string without_secret(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;  // too short to hide without mangling ordinary words
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "***");
  // OpenAI quotes a wrong key with its middle elided ("sk-abc***wxyz"): hide its visible ends too.
  for (std::string_view part : {secret.substr(0, 6), secret.substr(secret.size() - 4)}) {
    if (part.size() < 4) continue;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at))
      text.replace(at, part.size(), "***");
  }
  return text;
}

Result<std::shared_ptr<SpeechApiConnections>, voice::EngineError> SpeechApiConnections::make(
    std::string engine, const RemoteEngineSettings& settings) {
  std::string problem;
  auto origin = http::Origin::parse(settings.base_url, problem);
  if (!origin) return voice::EngineError{engine, "agent.speech_api.base_url: " + problem};
  return std::shared_ptr<SpeechApiConnections>(
      new SpeechApiConnections(std::move(engine), std::move(*origin), settings));
}

SpeechApiConnections::SpeechApiConnections(std::string engine, http::Origin origin,
                                           const RemoteEngineSettings& settings)
    : engine_(std::move(engine)),
      api_key_(settings.api_key),
      pool_(std::move(origin), options_of(settings)) {}

std::vector<http::Header> SpeechApiConnections::headers(std::vector<http::Header> extra) const {
  if (!api_key_.empty()) extra.push_back({"Authorization", "Bearer " + api_key_});
  return extra;
}

voice::EngineError SpeechApiConnections::failure(std::string_view what,
                                                 const http::ClientError& error) const {
  return {engine_, without_secret(std::string(what) + ": " + std::string(http::to_string(error.kind)) + ": " +
                                      error.message,
                                  api_key_)};
}

voice::EngineError SpeechApiConnections::failure(std::string_view what,
                                                 const http::ClientResponse& response) const {
  // The service's reference: {"error": {"message", "type", "code"}}.
  std::string detail;
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_object()) {
    const auto& e = json["error"];
    if (e.contains("message") && e["message"].is_string()) detail = e["message"].get<std::string>();
    if (e.contains("code") && e["code"].is_string()) detail += " (" + e["code"].get<std::string>() + ")";
  }
  if (detail.empty()) detail = response.body.substr(0, 200);
  return {engine_, without_secret(std::string(what) + ": HTTP " + std::to_string(response.status) + " from " +
                                      pool_.origin().to_string() + ": " + detail,
                                  api_key_)};
}

EngineStatus speech_api_status(std::string name, EngineKind kind, const RemoteEngineSettings& settings) {
  EngineStatus status;
  status.name = std::move(name);
  status.kind = kind;
  status.capabilities = {{"ru", "en"}, {16000}, kind == EngineKind::tts};
  std::string problem;
  auto origin = http::Origin::parse(settings.base_url, problem);
  status.available = origin.has_value();
  status.detail = origin ? "OpenAI-compatible service (default " + origin->to_string() +
                               "; agent.speech_api.base_url), with an embedded fallback"
                         : "agent.speech_api.base_url: " + problem;
  return status;
}

}  // namespace va::engines
