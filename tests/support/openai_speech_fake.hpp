// Hand-written stand-in for the OpenAI Audio API (cloud service that cannot run here), following its
// published reference: POST /v1/audio/transcriptions (multipart: file, model, language, response_format) →
// {"text"}; POST /v1/audio/speech (JSON: model, input, voice, response_format=pcm) → 24 kHz 16-bit mono PCM,
// chunked.
//
// It checks requests as the service does (Bearer key, the multipart fields, the JSON fields) and answers
// errors in the service's shape ({"error": {"message", "type", "code"}} with 401/400/500). The text and the
// audio are real: transcriptions run the project's whisper recogniser on the uploaded WAV, speech is the
// project's synthesiser resampled to 24 kHz and sent in several chunks with a pause between them. It can
// misbehave on purpose (answer late, answer 500, cut the connection mid-stream).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "voice/speech_recognizer.hpp"
#include "voice/speech_synthesizer.hpp"

namespace va::test {

class OpenAiSpeechFake {
 public:
  enum class Mode { normal, late, server_error, cut_mid_stream };

  OpenAiSpeechFake(std::string api_key, std::shared_ptr<voice::SpeechRecognizer> recognizer,
                   std::shared_ptr<voice::SpeechSynthesizer> synthesizer);
  ~OpenAiSpeechFake();
  OpenAiSpeechFake(const OpenAiSpeechFake&) = delete;
  OpenAiSpeechFake& operator=(const OpenAiSpeechFake&) = delete;

  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"

  void set_mode(Mode mode) { mode_ = mode; }
  void set_late_by(std::chrono::milliseconds delay) { late_by_ = delay; }
  // Speech: the audio goes out in `chunks` pieces with `pause` between them.
  void set_chunking(int chunks, std::chrono::milliseconds pause) {
    chunks_ = chunks;
    pause_ = pause;
  }

  int requests() const { return requests_; }
  // When the last speech answer's final byte was sent.
  std::chrono::steady_clock::time_point last_speech_finished() const;

 private:
  void serve(boost::asio::ip::tcp::socket& socket);

  std::string api_key_;
  std::shared_ptr<voice::SpeechRecognizer> recognizer_;
  std::shared_ptr<voice::SpeechSynthesizer> synthesizer_;
  std::atomic<Mode> mode_{Mode::normal};
  std::atomic<std::chrono::milliseconds> late_by_{std::chrono::milliseconds(3000)};
  std::atomic<int> chunks_{6};
  std::atomic<std::chrono::milliseconds> pause_{std::chrono::milliseconds(150)};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point speech_finished_{};
  std::atomic<bool> stopping_{false};
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

}  // namespace va::test
