#include "engines/stt/openai_recognizer.hpp"

#include <atomic>
#include <nlohmann/json.hpp>

#include "engines/speech_api.hpp"
#include "engines/wav_format.hpp"

namespace va::engines {
namespace {

constexpr int kRate = 16000;

class OpenAiRecognizer final : public voice::SpeechRecognizer {
 public:
  OpenAiRecognizer(std::shared_ptr<SpeechApiConnections> api, std::string model)
      : api_(std::move(api)), model_(std::move(model)) {}

  std::string_view name() const override { return "openai"; }
  const voice::EngineCapabilities& capabilities() const override { return capabilities_; }

  Result<voice::Recognition, voice::EngineError> recognize(
      std::span<const std::int16_t> pcm, std::string_view language,
      const std::function<void(std::string_view)>& /*on_partial*/) override {
    // RFC 7578 form: a boundary that cannot occur in the fields (WAV bytes could contain anything, but a
    // 40-character random-looking run in them is as likely as a collision of the counter below: nil).
    const std::string boundary = "voice-agent-form-" + std::to_string(++forms_) + "-7f3a9c1e5b2d4068";
    std::string body;
    auto field = [&](std::string_view field_name, std::string_view value) {
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(field_name) +
              "\"\r\n\r\n" + std::string(value) + "\r\n";
    };
    body += "--" + boundary +
            "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"utterance.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n";
    body += wav_bytes(pcm, kRate);
    body += "\r\n";
    field("model", model_);
    if (!language.empty()) field("language", language);
    field("response_format", "json");
    body += "--" + boundary + "--\r\n";

    auto client = api_->borrow();
    auto result =
        client->request("POST", "/audio/transcriptions",
                        api_->headers({{"Content-Type", "multipart/form-data; boundary=" + boundary},
                                       {"Accept", "application/json"}}),
                        body);
    if (const auto* error = std::get_if<http::ClientError>(&result))
      return api_->failure("transcription", *error);
    const auto& response = std::get<http::ClientResponse>(result);
    if (response.status < 200 || response.status >= 300) return api_->failure("transcription", response);
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (!json.is_object() || !json.contains("text") || !json["text"].is_string())
      return api_->error("transcription: the answer has no \"text\" string: " + response.body.substr(0, 200));
    return voice::Recognition{json["text"].get<std::string>(), std::string(language)};
  }

 private:
  std::shared_ptr<SpeechApiConnections> api_;
  std::string model_;
  std::atomic<std::uint64_t> forms_{0};
  voice::EngineCapabilities capabilities_{{"ru", "en"}, {kRate}, false};
};

}  // namespace

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_openai_recognizer(
    const EngineSettings& settings) {
  auto api = SpeechApiConnections::make("openai", settings.remote);
  if (!api) return api.error();
  return std::shared_ptr<voice::SpeechRecognizer>(
      std::make_shared<OpenAiRecognizer>(std::move(*api), settings.remote.model));
}

}  // namespace va::engines
