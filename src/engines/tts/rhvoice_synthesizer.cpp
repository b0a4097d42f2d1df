#include "engines/tts/rhvoice_synthesizer.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#ifdef VA_HAVE_RHVOICE
#include <RHVoice.h>

#include "media/resampler.hpp"
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "rhvoice";

const voice::EngineCapabilities& rhvoice_capabilities() {
  static const voice::EngineCapabilities capabilities{{"ru", "en"}, {24000}, true};
  return capabilities;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The voice of `language` named `name` (any case) from the LGPL list, in RHVoice's spelling.
std::optional<std::string> lgpl_voice(std::string_view language, std::string_view name) {
  for (const auto& v : rhvoice_lgpl_voices(language))
    if (lower(v) == lower(name)) return v;
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const std::vector<std::string>& rhvoice_lgpl_voices(std::string_view language) {
  // Debian's copyright file for rhvoice 1.8: these fall under the package-wide LGPL-2.1+; Aleksandr-HQ is
  // CC-BY-SA-4.0 and the rest CC-BY-NC-ND-4.0.
  static const std::vector<std::string> ru{"Anna", "Elena", "Irina", "Aleksandr"};
  static const std::vector<std::string> en{"SLT", "CLB", "ALAN", "BDL"};
  static const std::vector<std::string> none;
  if (language == "ru") return ru;
  if (language == "en") return en;
  return none;
}

#ifdef VA_HAVE_RHVOICE
namespace {

// Debian's locations (the library's compiled-in defaults).
constexpr const char* kDataPath = "/usr/share/RHVoice";
constexpr const char* kConfigPath = "/etc/RHVoice";
constexpr int kOutputRate = 16000;

// One synthesis: where its audio goes. RHVoice hands this back to the callbacks as the message's user data.
struct SpeechStream {
  const voice::AudioSink* sink = nullptr;
  std::optional<media::Resampler> resampler;
  std::vector<std::int16_t> buffer;
  bool stopped = false;
  bool failed = false;
};

int on_sample_rate(int sample_rate, void* user_data) {
  auto& stream = *static_cast<SpeechStream*>(user_data);
  try {
    stream.resampler.emplace(sample_rate, kOutputRate);
  } catch (const std::exception&) {
    stream.failed = true;
    return 0;
  }
  return 1;
}

int on_speech(const short* samples, unsigned int count, void* user_data) {
  auto& stream = *static_cast<SpeechStream*>(user_data);
  if (!stream.resampler) return 0;
  stream.buffer.resize(stream.resampler->max_output(count));
  const auto n = stream.resampler->process(std::span<const std::int16_t>(samples, count), stream.buffer);
  if (n == 0) return 1;
  // Returning 0 makes RHVoice_speak() stop at once: an interrupted reply costs no more synthesis.
  if (!(*stream.sink)(std::span<const std::int16_t>(stream.buffer.data(), n))) {
    stream.stopped = true;
    return 0;
  }
  return 1;
}

struct EngineDeleter {
  void operator()(RHVoice_tts_engine engine) const { RHVoice_delete_tts_engine(engine); }
};
struct MessageDeleter {
  void operator()(RHVoice_message message) const { RHVoice_delete_message(message); }
};
using MessageHandle = std::unique_ptr<RHVoice_message_struct, MessageDeleter>;

// The process's RHVoice engine, and one synthesis at a time on it.
//
// Thread safety, what we found: RHVoice 1.8's design suggests concurrent messages are fine (a message
// carries its own document, each voice hands out HTS engine instances from a mutex-guarded pool,
// core/hts_engine_pool, and RHVoice's SAPI module shares one engine between its objects), but Debian's build
// synthesises through the MAGE engine (mage_hts_engine_impl), and two RHVoice_speak() calls on different
// threads corrupt the heap there: ASan reports a heap-buffer-overflow in MAGE::Label::parseQuery() writing a
// string allocated by the other thread (tests/unit/engines,
// RhvoiceSynthesizer.ParallelSynthesesMatchSerialOnes, without this mutex, on a freshly started process). So
// syntheses are serialised. The cost is small: RHVoice runs at about 2 % of real time (a 5 s reply in ~0.1 s)
// as long as the sink does not block, and the conversation's sink only queues audio.
class RhvoiceEngine {
 public:
  static Result<std::shared_ptr<RhvoiceEngine>, std::string> instance() {
    static std::mutex mutex;
    static std::shared_ptr<RhvoiceEngine> engine;
    static std::string error;
    std::lock_guard lock(mutex);
    if (engine) return engine;
    if (!error.empty()) return error;  // loading is expensive: a failure is remembered, not retried
    std::error_code ec;
    if (!std::filesystem::is_directory(kDataPath, ec)) {
      error =
          std::string("RHVoice data not found in ") + kDataPath +
          " (Debian non-free: rhvoice-russian, rhvoice-english; run scripts/setup): espeak-ng will be used";
      return error;
    }
    RHVoice_init_params params{};
    params.data_path = kDataPath;
    params.config_path = kConfigPath;
    params.resource_paths = nullptr;
    params.callbacks.set_sample_rate = on_sample_rate;
    params.callbacks.play_speech = on_speech;
    params.options = 0;
    RHVoice_tts_engine handle = RHVoice_new_tts_engine(&params);
    if (!handle) {
      error = std::string("RHVoice_new_tts_engine failed (data ") + kDataPath + ")";
      return error;
    }
    engine = std::shared_ptr<RhvoiceEngine>(new RhvoiceEngine(handle));
    return engine;
  }

  bool installed(const std::string& voice) const { return installed_.contains(lower(voice)); }

  // Speaks `text` with `voice` into `stream`; false if RHVoice refused the message.
  bool speak(std::string_view text, const std::string& voice, SpeechStream& stream) {
    RHVoice_synth_params synth{};
    synth.voice_profile = voice.c_str();
    synth.absolute_rate = synth.absolute_pitch = synth.absolute_volume = 0.0;
    synth.relative_rate = synth.relative_pitch = synth.relative_volume = 1.0;
    synth.punctuation_mode = RHVoice_punctuation_default;
    synth.punctuation_list = nullptr;
    synth.capitals_mode = RHVoice_capitals_default;
    synth.flags = 0;

    std::lock_guard lock(speak_mutex_);
    MessageHandle message(RHVoice_new_message(handle_.get(), text.data(), static_cast<unsigned>(text.size()),
                                              RHVoice_message_text, &synth, &stream));
    if (!message) return false;
    RHVoice_speak(message.get());  // 0 also when the sink stopped it; the stream says which
    return true;
  }

 private:
  explicit RhvoiceEngine(RHVoice_tts_engine handle) : handle_(handle) {
    const auto* voices = RHVoice_get_voices(handle);
    for (unsigned i = 0, n = RHVoice_get_number_of_voices(handle); i < n; ++i)
      if (voices[i].name) installed_.insert(lower(voices[i].name));
  }

  std::unique_ptr<RHVoice_tts_engine_struct, EngineDeleter> handle_;
  std::set<std::string> installed_;
  std::mutex speak_mutex_;
};

class RhvoiceSynthesizer final : public voice::SpeechSynthesizer {
 public:
  RhvoiceSynthesizer(std::shared_ptr<RhvoiceEngine> engine, std::string language, std::string voice)
      : engine_(std::move(engine)), language_(std::move(language)), voice_(std::move(voice)) {}

  std::string_view name() const override { return kEngine; }
  const voice::EngineCapabilities& capabilities() const override { return rhvoice_capabilities(); }

  Result<voice::Synthesized, voice::EngineError> synthesize(std::string_view text, std::string_view language,
                                                            const voice::AudioSink& sink) override {
    const auto& voices = rhvoice_lgpl_voices(language);
    if (voices.empty())
      return voice::EngineError{
          std::string(kEngine),
          "no LGPL voice for language \"" + std::string(language) + "\" (RHVoice here speaks ru, en)"};
    const std::string& voice = (language == language_ && !voice_.empty()) ? voice_ : voices.front();
    SpeechStream stream;
    stream.sink = &sink;
    if (!engine_->speak(text, voice, stream))
      return voice::EngineError{std::string(kEngine), "RHVoice refused the text (not valid UTF-8?)"};
    if (stream.failed)
      return voice::EngineError{std::string(kEngine), "unsupported sample rate from voice " + voice};
    return voice::Synthesized{stream.stopped};
  }

 private:
  std::shared_ptr<RhvoiceEngine> engine_;
  std::string language_;
  std::string voice_;  // for language_; empty: the default
};

}  // namespace

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_rhvoice_synthesizer(
    const EngineSettings& settings) {
  // Without a language, a voice names its own ("SLT" is English).
  std::string lang = settings.language;
  if (lang.empty()) lang = (!settings.voice.empty() && lgpl_voice("en", settings.voice)) ? "en" : "ru";
  std::string voice;
  if (!settings.voice.empty()) {
    auto allowed = lgpl_voice(lang, settings.voice);
    if (!allowed)
      return voice::EngineError{
          std::string(kEngine),
          "voice \"" + settings.voice + "\" is not allowed for \"" + lang + "\": only the LGPL-2.1 voices (" +
              joined(rhvoice_lgpl_voices(lang)) +
              ") may be used; most other RHVoice voices are CC-BY-NC-ND (non-commercial use only)"};
    voice = *allowed;
  }
  auto engine = RhvoiceEngine::instance();
  if (!engine) return voice::EngineError{std::string(kEngine), engine.error()};
  if (!voice.empty() && !(*engine)->installed(voice))
    return voice::EngineError{std::string(kEngine), "voice " + voice + " is not installed (Debian rhvoice-" +
                                                        (lang == "en" ? "english" : "russian") + ")"};
  std::shared_ptr<voice::SpeechSynthesizer> synthesizer =
      std::make_shared<RhvoiceSynthesizer>(*engine, lang, voice);
  return synthesizer;
}

EngineStatus rhvoice_status() {
  EngineStatus status{std::string(kEngine), EngineKind::tts, false, {}, rhvoice_capabilities(), {}};
  auto engine = RhvoiceEngine::instance();
  if (!engine) {
    status.detail = engine.error();
    return status;
  }
  for (const char* lang : {"ru", "en"})
    for (const auto& v : rhvoice_lgpl_voices(lang))
      if ((*engine)->installed(v)) status.voices.push_back(v);
  status.available = !status.voices.empty();
  status.detail = std::string("RHVoice ") + RHVoice_get_version() + ", LGPL voices only (" +
                  std::to_string(status.voices.size()) + " installed), 24 kHz resampled to 16 kHz";
  if (!status.available) status.detail = "no LGPL RHVoice voice installed (rhvoice-russian, rhvoice-english)";
  return status;
}

#else  // built without RHVoice

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_rhvoice_synthesizer(
    const EngineSettings&) {
  return voice::EngineError{std::string(kEngine),
                            "RHVoice not installed (Debian non-free): espeak-ng will be used"};
}

EngineStatus rhvoice_status() {
  return {std::string(kEngine),
          EngineKind::tts,
          false,
          "RHVoice not installed (Debian non-free): espeak-ng will be used",
          rhvoice_capabilities(),
          {}};
}

#endif

}  // namespace va::engines
