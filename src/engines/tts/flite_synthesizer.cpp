#include "engines/tts/flite_synthesizer.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#ifdef VA_HAVE_FLITE
#include <flite/flite.h>
#include <flite/flite_version.h>

#include "media/resampler.hpp"

// The voice's registration functions are exported by libflite_cmu_us_slt, which ships no header.
extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
void unregister_cmu_us_slt(cst_voice* voice);
}
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "flite";

const voice::EngineCapabilities& flite_capabilities() {
  static const voice::EngineCapabilities capabilities{{"en"}, {16000}, true};
  return capabilities;
}

std::optional<voice::EngineError> check_settings(const EngineSettings& settings) {
  if (!settings.language.empty() && settings.language != "en")
    return voice::EngineError{std::string(kEngine), "speaks English only, not \"" + settings.language + "\""};
  if (!settings.voice.empty() && settings.voice != "slt" && settings.voice != "cmu_us_slt")
    return voice::EngineError{std::string(kEngine),
                              "voice \"" + settings.voice + "\" unknown (this build has slt)"};
  return std::nullopt;
}

}  // namespace

#ifdef VA_HAVE_FLITE
namespace {

constexpr int kOutputRate = 16000;

// One synthesis, as the streaming callback sees it.
struct SpeechStream {
  const voice::AudioSink* sink = nullptr;
  std::optional<media::Resampler> resampler;  // only if the voice is not 16 kHz
  std::vector<std::int16_t> buffer;
  bool stopped = false;
};

// flite's audio streaming callback (the clustergen voice calls it as it generates): `size` new samples of
// `w` from `start`. Returning CST_AUDIO_STREAM_STOP ends the synthesis.
int on_audio(const cst_wave* w, int start, int size, int /*last*/, cst_audio_streaming_info* asi) {
  auto& stream = *static_cast<SpeechStream*>(asi->userdata);
  if (size <= 0) return CST_AUDIO_STREAM_CONT;
  std::span<const std::int16_t> pcm(w->samples + start, static_cast<std::size_t>(size));
  if (w->sample_rate != kOutputRate) {
    if (!stream.resampler || stream.resampler->input_rate() != w->sample_rate)
      stream.resampler.emplace(w->sample_rate, kOutputRate);
    stream.buffer.resize(stream.resampler->max_output(pcm.size()));
    pcm = std::span<const std::int16_t>(stream.buffer.data(), stream.resampler->process(pcm, stream.buffer));
  }
  if (!pcm.empty() && !(*stream.sink)(pcm)) {
    stream.stopped = true;
    return CST_AUDIO_STREAM_STOP;
  }
  return CST_AUDIO_STREAM_CONT;
}

// flite is not thread safe: the streaming hook lives in the voice's feature set (shared by every
// synthesis with that voice), and its error handling and some lexicon caches are process globals. So one
// voice per process and one synthesis at a time; flite runs at a small fraction of real time, and it is the
// fallback voice, so the wait is short unless a sink blocks.
class FliteVoice {
 public:
  static FliteVoice& instance() {
    static FliteVoice voice;
    return voice;
  }

  bool ok() const { return voice_ != nullptr; }

  // Streams `text` into `stream` through on_audio(); false if flite produced nothing.
  bool speak(const std::string& text, SpeechStream& stream) {
    std::lock_guard lock(mutex_);
    streaming_->userdata = &stream;
    cst_wave* wave = flite_text_to_wave(text.c_str(), voice_);
    streaming_->userdata = nullptr;
    if (!wave) return false;
    delete_wave(wave);  // the whole utterance again; streamed already
    return true;
  }

 private:
  FliteVoice() {
    flite_init();
    voice_ = register_cmu_us_slt(nullptr);
    if (!voice_) return;
    streaming_ = new_audio_streaming_info();
    streaming_->asc = on_audio;
    streaming_->min_buffsize = 1600;  // 100 ms at 16 kHz between callbacks
    // The voice's features own the streaming info from here on.
    feat_set(voice_->features, "streaming_info", audio_streaming_info_val(streaming_));
  }
  ~FliteVoice() {
    if (voice_) unregister_cmu_us_slt(voice_);
  }

  std::mutex mutex_;
  cst_voice* voice_ = nullptr;
  cst_audio_streaming_info* streaming_ = nullptr;
};

class FliteSynthesizer final : public voice::SpeechSynthesizer {
 public:
  std::string_view name() const override { return kEngine; }
  const voice::EngineCapabilities& capabilities() const override { return flite_capabilities(); }

  Result<voice::Synthesized, voice::EngineError> synthesize(std::string_view text, std::string_view language,
                                                            const voice::AudioSink& sink) override {
    if (language != "en")
      return voice::EngineError{std::string(kEngine),
                                "speaks English only, not \"" + std::string(language) + "\""};
    SpeechStream stream;
    stream.sink = &sink;
    if (!FliteVoice::instance().speak(std::string(text), stream))
      return voice::EngineError{std::string(kEngine), "synthesis failed"};
    return voice::Synthesized{stream.stopped};
  }
};

}  // namespace

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_flite_synthesizer(
    const EngineSettings& settings) {
  if (auto error = check_settings(settings)) return *error;
  if (!FliteVoice::instance().ok())
    return voice::EngineError{std::string(kEngine), "cannot load the cmu_us_slt voice (flite1-dev)"};
  std::shared_ptr<voice::SpeechSynthesizer> synthesizer = std::make_shared<FliteSynthesizer>();
  return synthesizer;
}

EngineStatus flite_status() {
  const bool ok = FliteVoice::instance().ok();
  return {std::string(kEngine),
          EngineKind::tts,
          ok,
          ok ? "flite " FLITE_PROJECT_VERSION ", voice cmu_us_slt (English), 16 kHz"
             : "cannot load the cmu_us_slt voice (Debian flite1-dev)",
          flite_capabilities(),
          {"slt"}};
}

#else  // built without flite

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_flite_synthesizer(
    const EngineSettings& settings) {
  if (auto error = check_settings(settings)) return *error;
  return voice::EngineError{std::string(kEngine),
                            "flite not installed (Debian flite1-dev): run scripts/setup"};
}

EngineStatus flite_status() {
  return {std::string(kEngine),
          EngineKind::tts,
          false,
          "flite not installed (Debian flite1-dev): run scripts/setup",
          flite_capabilities(),
          {}};
}

#endif

}  // namespace va::engines
