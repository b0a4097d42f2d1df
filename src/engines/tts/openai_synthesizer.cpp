#include "engines/tts/openai_synthesizer.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "engines/speech_api.hpp"
#include "media/resampler.hpp"

namespace va::engines {
namespace {

class OpenAiSynthesizer final : public voice::SpeechSynthesizer {
 public:
  OpenAiSynthesizer(std::shared_ptr<SpeechApiConnections> api, RemoteEngineSettings settings)
      : api_(std::move(api)), settings_(std::move(settings)) {}

  std::string_view name() const override { return "openai"; }
  const voice::EngineCapabilities& capabilities() const override { return capabilities_; }

  Result<voice::Synthesized, voice::EngineError> synthesize(std::string_view text,
                                                            std::string_view /*language*/,
                                                            const voice::AudioSink& sink) override {
    const std::string body = nlohmann::json{
        {"model", settings_.model},
        {"input", std::string(text)},
        {"voice", settings_.voice},
        {"response_format",
         "pcm"}}.dump();
    media::Resampler resampler(kSpeechApiPcmRate, 16000, media::Resampler::kDesktopQuality);
    std::vector<std::int16_t> in, out;
    std::string carry;  // an odd byte left by a piece boundary inside a sample
    bool sink_stopped = false;
    auto on_piece = [&](std::string_view piece) {
      carry.append(piece);
      const std::size_t samples = carry.size() / 2;
      if (samples == 0) return true;
      in.resize(samples);
      for (std::size_t i = 0; i < samples; ++i)
        in[i] = static_cast<std::int16_t>(
            static_cast<std::uint16_t>(static_cast<unsigned char>(carry[2 * i])) |
            static_cast<std::uint16_t>(static_cast<unsigned char>(carry[2 * i + 1])) << 8);
      carry.erase(0, samples * 2);
      out.resize(resampler.max_output(in.size()));
      out.resize(resampler.process(in, out));
      if (out.empty()) return true;
      if (!sink(out)) sink_stopped = true;
      return !sink_stopped;
    };
    auto client = api_->borrow();
    auto result = client->request_streaming(
        "POST", "/audio/speech", api_->headers({{"Content-Type", "application/json"}}), body, on_piece);
    if (const auto* error = std::get_if<http::ClientError>(&result)) return api_->failure("speech", *error);
    const auto& response = std::get<http::ClientResponse>(result);
    if (response.status < 200 || response.status >= 300) return api_->failure("speech", response);
    return voice::Synthesized{sink_stopped};
  }

 private:
  std::shared_ptr<SpeechApiConnections> api_;
  RemoteEngineSettings settings_;
  voice::EngineCapabilities capabilities_{{"ru", "en"}, {kSpeechApiPcmRate}, true};
};

}  // namespace

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_openai_synthesizer(
    const EngineSettings& settings) {
  auto api = SpeechApiConnections::make("openai", settings.remote);
  if (!api) return api.error();
  return std::shared_ptr<voice::SpeechSynthesizer>(
      std::make_shared<OpenAiSynthesizer>(std::move(*api), settings.remote));
}

}  // namespace va::engines
