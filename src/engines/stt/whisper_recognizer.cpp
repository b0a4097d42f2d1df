#include "engines/stt/whisper_recognizer.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#ifdef VA_HAVE_WHISPER
#include <whisper.h>
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "whisper";
const voice::EngineCapabilities& whisper_capabilities() {
  // The model is multilingual; these are the languages we measured (docs/engines.md).
  static const voice::EngineCapabilities capabilities{{"ru", "en"}, {16000}, false};
  return capabilities;
}

std::string missing_model_message(const std::string& path) {
  return "model " + path + " not found: run scripts/setup (it converts the Whisper base model there)";
}

std::atomic<std::uint64_t> g_fallbacks{0};

// Words for the repetition checks: split on spaces, ASCII punctuation stripped, ASCII lower-cased
// (Cyrillic case is left: a decoder loop repeats its own spelling exactly).
std::vector<std::string> loop_words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      flush();
    } else if (u >= 0x80 || std::isalnum(u)) {
      word.push_back(static_cast<char>(std::tolower(u)));
    }
  }
  flush();
  return out;
}

// The first UTF-8 character of `s` (its lead byte and continuation bytes).
std::string_view utf8_char(std::string_view s) {
  std::size_t n = 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  return s.substr(0, n);
}

}  // namespace

std::uint64_t whisper_fallbacks() {
  return g_fallbacks.load(std::memory_order_relaxed);
}

int whisper_token_limit(double seconds, std::string_view language) {
  // Tokens per second of speech, with room for fast talkers: Whisper's BPE spends about twice as many
  // tokens on a Russian word as on an English one.
  const double rate = language == "en" ? 8.0 : 12.0;
  const double slack = language == "en" ? 8.0 : 12.0;
  return static_cast<int>(std::ceil(std::max(seconds, 0.0) * rate + slack));
}

std::optional<std::string> whisper_repetition(std::string_view text) {
  // A character run: "аааааааааааа", "!!!!!!!!!!!!", "1111111111111".
  constexpr int kMaxCharRun = 12;
  int run = 0;
  std::string_view previous;
  for (std::size_t i = 0; i < text.size();) {
    const auto ch = utf8_char(text.substr(i));
    i += ch.size();
    if (ch == " ") {
      previous = {};
      run = 0;
      continue;
    }
    run = ch == previous ? run + 1 : 1;
    previous = ch;
    if (run >= kMaxCharRun)
      return "the character '" + std::string(ch) + "' repeated " + std::to_string(run) + " times";
  }
  const auto words = loop_words(text);
  // The same n-gram back to back: a word 5 times ("нет, нет, нет, нет" is still speech), a phrase of 2-4
  // words 4 times.
  for (std::size_t n = 1; n <= 4; ++n) {
    const std::size_t limit = n == 1 ? 5 : 4;
    for (std::size_t start = 0; start + n * limit <= words.size(); ++start) {
      std::size_t repeats = 1;
      while (start + (repeats + 1) * n <= words.size() &&
             std::equal(words.begin() + static_cast<std::ptrdiff_t>(start),
                        words.begin() + static_cast<std::ptrdiff_t>(start + n),
                        words.begin() + static_cast<std::ptrdiff_t>(start + repeats * n)))
        ++repeats;
      if (repeats >= limit) {
        std::string gram;
        for (std::size_t k = 0; k < n; ++k) gram += (k ? " " : "") + words[start + k];
        return "\"" + gram + "\" repeated " + std::to_string(repeats) + " times";
      }
    }
  }
  // Like Whisper's compression-ratio check: a long text made of few distinct words is a loop with
  // variations ("и я сказал и я сказал и он сказал ...").
  constexpr std::size_t kLongText = 16;
  if (words.size() >= kLongText) {
    const std::unordered_set<std::string> distinct(words.begin(), words.end());
    if (distinct.size() * 100 < words.size() * 35)
      return std::to_string(distinct.size()) + " distinct words in " + std::to_string(words.size());
  }
  return std::nullopt;
}

std::string default_whisper_model() {
  return VA_WHISPER_MODEL;
}

#ifdef VA_HAVE_WHISPER
namespace {

constexpr int kSampleRate = 16000;
// Encoder frames per second of audio: 100 mel frames/s, halved by the encoder's strided convolution.
constexpr int kSamplesPerAudioFrame = kSampleRate / 50;
constexpr int kFullWindowFrames = 1500;  // 30 s, the model's window
// Measured (docs/engines.md): a window cut to the utterance decodes ~3x faster at the same WER, but below
// 512 frames (~10 s) the decoder loops and hallucinates.
constexpr int kMinAudioFrames = 512;
// Quieter than this (RMS of int16 samples, about -55 dBFS) is no speech at all: Whisper invents text on
// silence ("Продолжение следует...", "Thank you."), so such input is not decoded.
constexpr double kSilenceRms = 60.0;
// A segment the model itself thinks is not speech (Whisper's own threshold) is dropped.
constexpr float kNoSpeechProbability = 0.6f;
// Idle states kept for reuse; more concurrent recognitions than this create and free extra ones.
constexpr std::size_t kMaxIdleStates = 4;

struct ContextDeleter {
  void operator()(whisper_context* ctx) const { whisper_free(ctx); }
};
struct StateDeleter {
  void operator()(whisper_state* state) const { whisper_free_state(state); }
};
using ContextHandle = std::unique_ptr<whisper_context, ContextDeleter>;
using StateHandle = std::unique_ptr<whisper_state, StateDeleter>;

// whisper.cpp logs every load step to stderr; our log has its own start-up lines.
void quiet_log(ggml_log_level, const char*, void*) {}

double rms(std::span<const std::int16_t> pcm) {
  if (pcm.empty()) return 0.0;
  double sum = 0.0;
  for (auto s : pcm) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Text without a letter or digit ("...", "-") says nothing; text wholly in brackets is Whisper's annotation
// of a non-speech sound ("[BLANK_AUDIO]", "(музыка)", "*кашель*"), not words. Non-ASCII bytes are UTF-8
// letters (Cyrillic) for this purpose.
bool is_words(std::string_view text) {
  if (text.size() >= 2) {
    const char open = text.front(), close = text.back();
    if ((open == '[' && close == ']') || (open == '(' && close == ')') || (open == '*' && close == '*'))
      return false;
  }
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u);
  });
}

class WhisperRecognizer final : public voice::SpeechRecognizer {
 public:
  WhisperRecognizer(ContextHandle ctx, int threads, WhisperTuning tuning)
      : ctx_(std::move(ctx)), threads_(threads), tuning_(std::move(tuning)) {}

  std::string_view name() const override { return kEngine; }
  const voice::EngineCapabilities& capabilities() const override { return whisper_capabilities(); }

  Result<voice::Recognition, voice::EngineError> recognize(
      std::span<const std::int16_t> pcm, std::string_view language,
      const std::function<void(std::string_view)>& /*on_partial: Whisper decodes whole utterances*/)
      override {
    const std::string lang(language);
    // Never auto-detect: it mislabelled 2 of 10 Russian telephone clips and doubles the cost.
    if (lang.empty() || whisper_lang_id(lang.c_str()) < 0)
      return voice::EngineError{std::string(kEngine), "unknown language \"" + lang + "\""};
    voice::Recognition result{{}, lang};
    if (pcm.size() < kSampleRate / 10 || rms(pcm) < kSilenceRms) return result;

    std::vector<float> samples(pcm.size());
    std::transform(pcm.begin(), pcm.end(), samples.begin(),
                   [](std::int16_t s) { return static_cast<float>(s) / 32768.0f; });

    auto state = acquire_state();
    if (!state)
      return voice::EngineError{std::string(kEngine), "cannot allocate a decoder state (out of memory?)"};
    WhisperDecodeReport report;
    report.seconds = static_cast<double>(pcm.size()) / kSampleRate;
    report.audio_ctx = tuning_.short_window ? audio_frames(pcm.size()) : 0;
    // Longer than one window, whisper.cpp decodes window after window: the limit is per window.
    if (tuning_.guards)
      report.token_limit = tuning_.token_limit > 0
                               ? tuning_.token_limit
                               : whisper_token_limit(std::min(report.seconds, 30.0), lang);
    auto text = decode(*state, samples, lang, report);
    // The short window is the fast path; a loop there (measured below 512 frames, possible above) is
    // retried once with the model's own 30 s window, which is slower but what the model was trained on.
    if (text && tuning_.guards && !report.rejected.empty() && report.audio_ctx != 0) {
      g_fallbacks.fetch_add(1, std::memory_order_relaxed);
      WhisperDecodeReport full = report;
      full.audio_ctx = 0;
      full.fallback = true;
      text = decode(*state, samples, lang, full);
      report = full;
    }
    release_state(std::move(state));
    if (!text) return text.error();
    // Still a loop in the full window: nothing intelligible rather than a made-up sentence.
    if (report.rejected.empty() && is_words(*text)) result.text = std::move(*text);
    return result;
  }

 private:
  // One greedy decode with `report.audio_ctx` and `report.token_limit`; fills the rest of the report and
  // tells tuning_.on_decode.
  Result<std::string, voice::EngineError> decode(whisper_state& state, const std::vector<float>& samples,
                                                 const std::string& lang, WhisperDecodeReport& report) {
    whisper_full_params params = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    params.n_threads = threads_;
    params.language = lang.c_str();
    params.detect_language = false;
    params.translate = false;
    params.no_context = true;  // utterances are independent; a previous one must not steer this one
    params.no_timestamps = true;
    params.single_segment = true;
    params.print_progress = false;
    params.print_realtime = false;
    params.print_special = false;
    params.print_timestamps = false;
    params.suppress_blank = true;
    params.suppress_nst = true;
    params.audio_ctx = report.audio_ctx;
    params.max_tokens = report.token_limit;
    const int rc =
        whisper_full_with_state(ctx_.get(), &state, params, samples.data(), static_cast<int>(samples.size()));
    if (rc != 0)
      return voice::EngineError{std::string(kEngine),
                                "decoding failed (whisper_full returned " + std::to_string(rc) + ")"};
    std::string text;
    report.tokens = 0;
    const whisper_token eot = whisper_token_eot(ctx_.get());
    const int segments = whisper_full_n_segments_from_state(&state);
    for (int i = 0; i < segments; ++i) {
      const int tokens = whisper_full_n_tokens_from_state(&state, i);
      for (int t = 0; t < tokens; ++t)
        if (whisper_full_get_token_id_from_state(&state, i, t) < eot) ++report.tokens;
      if (whisper_full_get_segment_no_speech_prob_from_state(&state, i) > kNoSpeechProbability) continue;
      text += whisper_full_get_segment_text_from_state(&state, i);
    }
    std::string trimmed(trim(text));
    report.rejected.clear();
    if (tuning_.guards) {
      if (report.token_limit > 0 && report.tokens >= report.token_limit * std::max(segments, 1))
        report.rejected = "token limit " + std::to_string(report.token_limit) + " reached";
      else if (auto loop = whisper_repetition(trimmed))
        report.rejected = *loop;
    }
    if (tuning_.on_decode) tuning_.on_decode(report);
    return trimmed;
  }

  // The encoder window in frames: the utterance, but never below the measured minimum; longer than one
  // window, whisper.cpp's default (full windows, one after another).
  static int audio_frames(std::size_t samples) {
    const auto frames = static_cast<int>((samples + kSamplesPerAudioFrame - 1) / kSamplesPerAudioFrame);
    if (frames > kFullWindowFrames) return 0;
    return std::clamp(frames, kMinAudioFrames, kFullWindowFrames);
  }

  // whisper_full_with_state() on one context and different states is how whisper.cpp runs parallel
  // decodes (the weights are read-only); a state holds the KV caches and compute buffers (tens of MB), so
  // states are kept for reuse rather than made per utterance.
  StateHandle acquire_state() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto state = std::move(idle_.back());
        idle_.pop_back();
        return state;
      }
    }
    return StateHandle(whisper_init_state(ctx_.get()));
  }
  void release_state(StateHandle state) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleStates) idle_.push_back(std::move(state));
  }

  ContextHandle ctx_;
  int threads_;
  WhisperTuning tuning_;
  std::mutex mutex_;
  std::vector<StateHandle> idle_;
};

}  // namespace

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_whisper_recognizer(
    const EngineSettings& settings) {
  return make_tuned_whisper_recognizer(settings, {});
}

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_tuned_whisper_recognizer(
    const EngineSettings& settings, WhisperTuning tuning) {
  const std::string path = settings.model.empty() ? default_whisper_model() : settings.model;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return voice::EngineError{std::string(kEngine), missing_model_message(path)};
  if (settings.threads < 1)
    return voice::EngineError{std::string(kEngine),
                              "threads must be at least 1, got " + std::to_string(settings.threads)};
  whisper_log_set(quiet_log, nullptr);
  whisper_context_params params = whisper_context_default_params();
  params.use_gpu = false;
  // The context holds only the weights; recognitions bring their own states (see acquire_state()).
  ContextHandle ctx(whisper_init_from_file_with_params_no_state(path.c_str(), params));
  if (!ctx)
    return voice::EngineError{
        std::string(kEngine),
        "cannot load model " + path + " (not a whisper.cpp ggml model, or truncated): run scripts/setup"};
  std::shared_ptr<voice::SpeechRecognizer> recognizer =
      std::make_shared<WhisperRecognizer>(std::move(ctx), settings.threads, std::move(tuning));
  return recognizer;
}

EngineStatus whisper_status() {
  EngineStatus status{std::string(kEngine), EngineKind::stt, false, {}, whisper_capabilities(), {}};
  const auto path = default_whisper_model();
  std::error_code ec;
  status.available = std::filesystem::is_regular_file(path, ec);
  status.detail = status.available ? std::string("whisper.cpp ") + whisper_version() + ", model " + path
                                   : missing_model_message(path);
  return status;
}

#else  // built without whisper.cpp

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_whisper_recognizer(
    const EngineSettings& settings) {
  return make_tuned_whisper_recognizer(settings, {});
}

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_tuned_whisper_recognizer(
    const EngineSettings&, WhisperTuning) {
  return voice::EngineError{std::string(kEngine),
                            "this build has no whisper.cpp: run scripts/setup, then "
                            "configure again"};
}

EngineStatus whisper_status() {
  return {std::string(kEngine),
          EngineKind::stt,
          false,
          "this build has no whisper.cpp: run scripts/setup, then configure again",
          whisper_capabilities(),
          {}};
}

#endif

}  // namespace va::engines
