// Speech to text behind one interface (engines/stt/ implements it: whisper.cpp by default). The pipeline
// hands over one endpointed utterance at a time; a recogniser that streams may also report partial text.
//
// Threading: recognize() is CPU-heavy and runs on the conversation's worker pool, never on a call's media
// thread. One recogniser instance may serve several calls at once only if it says so (concurrent()); else
// the registry makes one per worker.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace va::voice {

// What an engine can do, for `voice-agent engines`, config validation and `check`.
struct EngineCapabilities {
  std::vector<std::string> languages;  // "ru", "en"
  std::vector<int> sample_rates;       // of the audio it takes (STT) or makes (TTS) natively
  bool streaming = false;              // STT: partial results; TTS: audio before the whole text is done
};

struct EngineError {
  std::string engine;   // "whisper", "rhvoice", ...
  std::string message;  // what went wrong, for the log and `check`
  std::string to_string() const { return engine + ": " + message; }
};

struct Recognition {
  std::string text;  // empty: nothing intelligible
  std::string language;
};

class SpeechRecognizer {
 public:
  virtual ~SpeechRecognizer() = default;
  virtual std::string_view name() const = 0;
  virtual const EngineCapabilities& capabilities() const = 0;
  // `pcm` is 16 kHz mono; `language` is the call's ("ru", "en"). `on_partial`, when set and the engine
  // streams, gets the text so far (from the worker thread).
  virtual Result<Recognition, EngineError> recognize(
      std::span<const std::int16_t> pcm, std::string_view language,
      const std::function<void(std::string_view)>& on_partial = {}) = 0;
};

}  // namespace va::voice
