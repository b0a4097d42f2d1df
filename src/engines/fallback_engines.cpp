#include "engines/fallback_engines.hpp"

#include <atomic>
#include <string>

#include "common/log.hpp"

namespace va::engines {
namespace {

std::atomic<std::uint64_t> g_stt_fallbacks{0};
std::atomic<std::uint64_t> g_tts_fallbacks{0};

void note_fallback(std::string_view kind, const voice::EngineError& error, std::string_view fallback,
                   std::string_view language) {
  ++(kind == "stt" ? g_stt_fallbacks : g_tts_fallbacks);
  log::warn("speech engine failed, the fallback engine answers", {{"kind", std::string(kind)},
                                                                  {"engine", error.engine},
                                                                  {"error", error.message},
                                                                  {"fallback", std::string(fallback)},
                                                                  {"language", std::string(language)}});
}

class FallbackRecognizer final : public voice::SpeechRecognizer {
 public:
  FallbackRecognizer(std::shared_ptr<voice::SpeechRecognizer> primary,
                     std::shared_ptr<voice::SpeechRecognizer> fallback)
      : primary_(std::move(primary)), fallback_(std::move(fallback)) {}
  std::string_view name() const override { return primary_->name(); }
  const voice::EngineCapabilities& capabilities() const override { return primary_->capabilities(); }
  Result<voice::Recognition, voice::EngineError> recognize(
      std::span<const std::int16_t> pcm, std::string_view language,
      const std::function<void(std::string_view)>& on_partial) override {
    auto result = primary_->recognize(pcm, language, on_partial);
    if (result) return result;
    note_fallback("stt", result.error(), fallback_->name(), language);
    auto second = fallback_->recognize(pcm, language, on_partial);
    if (second) return second;
    return voice::EngineError{std::string(primary_->name()),
                              result.error().message + "; fallback " + second.error().to_string()};
  }

 private:
  std::shared_ptr<voice::SpeechRecognizer> primary_, fallback_;
};

class FallbackSynthesizer final : public voice::SpeechSynthesizer {
 public:
  FallbackSynthesizer(std::shared_ptr<voice::SpeechSynthesizer> primary,
                      std::shared_ptr<voice::SpeechSynthesizer> fallback)
      : primary_(std::move(primary)), fallback_(std::move(fallback)) {}
  std::string_view name() const override { return primary_->name(); }
  const voice::EngineCapabilities& capabilities() const override { return primary_->capabilities(); }
  Result<voice::Synthesized, voice::EngineError> synthesize(std::string_view text, std::string_view language,
                                                            const voice::AudioSink& sink) override {
    bool heard = false;
    auto result = primary_->synthesize(text, language, [&](std::span<const std::int16_t> pcm) {
      heard = heard || !pcm.empty();
      return sink(pcm);
    });
    if (result || heard) return result;
    note_fallback("tts", result.error(), fallback_->name(), language);
    auto second = fallback_->synthesize(text, language, sink);
    if (second) return second;
    return voice::EngineError{std::string(primary_->name()),
                              result.error().message + "; fallback " + second.error().to_string()};
  }

 private:
  std::shared_ptr<voice::SpeechSynthesizer> primary_, fallback_;
};

}  // namespace

std::shared_ptr<voice::SpeechRecognizer> with_fallback(std::shared_ptr<voice::SpeechRecognizer> primary,
                                                       std::shared_ptr<voice::SpeechRecognizer> fallback) {
  if (!fallback) return primary;
  return std::make_shared<FallbackRecognizer>(std::move(primary), std::move(fallback));
}

std::shared_ptr<voice::SpeechSynthesizer> with_fallback(std::shared_ptr<voice::SpeechSynthesizer> primary,
                                                        std::shared_ptr<voice::SpeechSynthesizer> fallback) {
  if (!fallback) return primary;
  return std::make_shared<FallbackSynthesizer>(std::move(primary), std::move(fallback));
}

std::uint64_t engine_fallbacks() {
  return g_stt_fallbacks.load() + g_tts_fallbacks.load();
}

std::uint64_t engine_fallbacks(std::string_view kind) {
  return kind == "stt" ? g_stt_fallbacks.load() : kind == "tts" ? g_tts_fallbacks.load() : 0;
}

}  // namespace va::engines
