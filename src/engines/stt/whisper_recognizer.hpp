// whisper.cpp (MIT) with the multilingual Whisper `base` model: the default speech recogniser, Russian and
// English. One model in memory per recogniser, shared by every call; each concurrent recognition borrows its
// own decoder state from a small pool, so calls on different worker threads decode in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

// The model scripts/setup installs ($VA_TOOLS_DIR/models/ggml-whisper-base.bin, from CMake's
// VA_WHISPER_MODEL).
std::string default_whisper_model();

// settings.model (empty: the default) and settings.threads (per recognition; 1 is the measured best under
// load). A missing model or a failing load is an EngineError naming the file and `scripts/setup`.
Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_whisper_recognizer(
    const EngineSettings& settings);

// What one decode did: for metrics (fallbacks) and the benchmark (bench/stt_wer.cpp).
struct WhisperDecodeReport {
  double seconds = 0;     // of audio
  int audio_ctx = 0;      // encoder frames used; 0: the full 30 s window
  int tokens = 0;         // text tokens decoded
  int token_limit = 0;    // the duration-proportional limit given to the decoder
  std::string rejected;   // why the result was taken for a hallucination; empty: accepted
  bool fallback = false;  // this decode is the full-window retry of a rejected short-window one
};

// The fast path and its guards, on by default; the benchmark turns them off to compare.
struct WhisperTuning {
  bool short_window = true;  // encoder window cut to the utterance (min 512 frames): ~3x faster
  bool guards = true;        // token limit + repetition checks, full-window retry on failure
  int token_limit = 0;       // 0: whisper_token_limit(); else this fixed limit (tests force a retry)
  std::function<void(const WhisperDecodeReport&)> on_decode;  // every decode, from the worker thread
};

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_tuned_whisper_recognizer(
    const EngineSettings& settings, WhisperTuning tuning);

// Full-window retries since start (all whisper recognisers of the process): a rising count means the fast
// path is hallucinating on this traffic.
std::uint64_t whisper_fallbacks();

// The decoder's token limit for an utterance: proportional to its duration, so a decode stuck in a loop
// stops early instead of filling the window. Russian needs more tokens per second than English (measured:
// docs/benchmarks.md, "Speech recognition").
int whisper_token_limit(double seconds, std::string_view language);

// Why `text` looks like a decoder loop rather than speech (the same word or phrase over and over, a few
// words making up most of a long text, a character run), or nullopt. Pure: unit-tested on its own.
std::optional<std::string> whisper_repetition(std::string_view text);

// Available when the library was built in and the default model file exists; does not load the model.
EngineStatus whisper_status();

}  // namespace va::engines
