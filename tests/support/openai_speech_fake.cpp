// Hand-written stand-in for the OpenAI Audio API: see openai_speech_fake.hpp.
#include "support/openai_speech_fake.hpp"

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engines/wav_format.hpp"
#include "media/resampler.hpp"

namespace va::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string api_error(std::string_view message, std::string_view type, std::string_view code) {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}
      .dump();
}

void write_all(tcp::socket& socket, const std::string& bytes) {
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
}

void answer(tcp::socket& socket, unsigned status, std::string_view reason, const std::string& json) {
  write_all(socket, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(json.size()) + "\r\n\r\n" + json);
}

// RFC 7578 parts by name: {name → body}; the file part's body is the WAV.
std::map<std::string, std::string> form_fields(const std::string& body, const std::string& boundary) {
  std::map<std::string, std::string> out;
  const std::string delimiter = "--" + boundary;
  std::size_t at = body.find(delimiter);
  while (at != std::string::npos) {
    at += delimiter.size();
    if (body.compare(at, 2, "--") == 0) break;
    const auto headers_end = body.find("\r\n\r\n", at);
    const auto next = body.find("\r\n" + delimiter, headers_end);
    if (headers_end == std::string::npos || next == std::string::npos) break;
    const std::string headers = body.substr(at, headers_end - at);
    const auto name_at = headers.find("name=\"");
    if (name_at != std::string::npos) {
      const auto name_end = headers.find('"', name_at + 6);
      out[headers.substr(name_at + 6, name_end - name_at - 6)] =
          body.substr(headers_end + 4, next - headers_end - 4);
    }
    at = next + 2;
  }
  return out;
}

}  // namespace

OpenAiSpeechFake::OpenAiSpeechFake(std::string api_key, std::shared_ptr<voice::SpeechRecognizer> recognizer,
                                   std::shared_ptr<voice::SpeechSynthesizer> synthesizer)
    : api_key_(std::move(api_key)),
      recognizer_(std::move(recognizer)),
      synthesizer_(std::move(synthesizer)),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  accept_thread_ = std::thread([this] {
    while (!stopping_) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      std::lock_guard lock(mutex_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] { serve(*socket); });
    }
  });
}

OpenAiSpeechFake::~OpenAiSpeechFake() {
  stopping_ = true;
  boost::system::error_code ec;
  tcp::socket poke(io_);
  poke.connect(acceptor_.local_endpoint(), ec);
  accept_thread_.join();
  // Wakes the connection threads blocked reading a kept-alive connection (the sockets stay open until here,
  // so their descriptors are never reused under us).
  for (auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
  for (auto& t : threads_) t.join();
}

std::string OpenAiSpeechFake::base_url() const {
  return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
}

std::chrono::steady_clock::time_point OpenAiSpeechFake::last_speech_finished() const {
  std::lock_guard lock(mutex_);
  return speech_finished_;
}

void OpenAiSpeechFake::serve(tcp::socket& socket) {
  boost::beast::flat_buffer buffer;
  while (!stopping_) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(32 * 1024 * 1024);
    boost::system::error_code ec;
    bhttp::read(socket, buffer, parser, ec);
    if (ec) return;
    const auto& req = parser.get();
    ++requests_;
    const Mode mode = mode_;
    if (mode == Mode::late) std::this_thread::sleep_for(late_by_.load());
    if (std::string(req[bhttp::field::authorization]) != "Bearer " + api_key_) {
      const std::string got(req[bhttp::field::authorization]);
      const std::string shown = got.size() > 17 ? got.substr(7, 6) + "***" + got.substr(got.size() - 4) : "";
      answer(socket, 401, "Unauthorized",
             api_error("Incorrect API key provided: " + shown +
                           ". You can find your API key at https://platform.openai.com/account/api-keys.",
                       "invalid_request_error", "invalid_api_key"));
      continue;
    }
    if (mode == Mode::server_error) {
      answer(socket, 500, "Internal Server Error",
             api_error("The server had an error while processing your request. Sorry about that!",
                       "server_error", "server_error"));
      continue;
    }
    const std::string target(req.target());
    if (req.method() != bhttp::verb::post) {
      answer(socket, 405, "Method Not Allowed",
             api_error("Only POST is supported", "invalid_request_error", ""));
      continue;
    }
    if (target == "/v1/audio/transcriptions") {
      const std::string content_type(req[bhttp::field::content_type]);
      const auto b = content_type.find("boundary=");
      if (!content_type.starts_with("multipart/form-data") || b == std::string::npos) {
        answer(socket, 400, "Bad Request",
               api_error("Expected multipart/form-data", "invalid_request_error", "invalid_content_type"));
        continue;
      }
      auto fields = form_fields(req.body(), content_type.substr(b + 9));
      std::string missing;
      for (const char* name : {"file", "model"})
        if (!fields.contains(name)) missing = name;
      if (!missing.empty() || (fields.contains("response_format") && fields["response_format"] != "json")) {
        answer(socket, 400, "Bad Request",
               api_error(missing.empty() ? "This fake answers response_format json only"
                                         : "you must provide a " + missing + " parameter",
                         "invalid_request_error", missing.empty() ? "invalid_value" : "missing_parameter"));
        continue;
      }
      engines::WavReader wav;
      auto wav_error = wav.feed(fields["file"]);
      std::vector<std::int16_t> pcm;
      wav.take_samples(pcm);
      if (wav_error || !wav.format() || wav.format()->sample_rate != 16000 || pcm.empty()) {
        answer(socket, 400, "Bad Request",
               api_error("Audio file might be corrupted or unsupported", "invalid_request_error",
                         "invalid_value"));
        continue;
      }
      auto recognized = recognizer_->recognize(pcm, fields.contains("language") ? fields["language"] : "");
      if (!recognized) {
        answer(socket, 500, "Internal Server Error",
               api_error(recognized.error().to_string(), "server_error", "server_error"));
        continue;
      }
      answer(socket, 200, "OK", nlohmann::json{{"text", recognized->text}}.dump());
      continue;
    }
    if (target == "/v1/audio/speech") {
      auto json = nlohmann::json::parse(req.body(), nullptr, false);
      std::string problem;
      for (const char* name : {"model", "input", "voice"})
        if (!json.is_object() || !json.contains(name) || !json[name].is_string())
          problem = std::string("you must provide a ") + name + " parameter";
      if (problem.empty() && json.value("response_format", std::string("mp3")) != "pcm")
        problem = "this fake speaks response_format pcm only";
      if (!problem.empty()) {
        answer(socket, 400, "Bad Request", api_error(problem, "invalid_request_error", "invalid_value"));
        continue;
      }
      std::vector<std::int16_t> pcm16k;
      const std::string input = json["input"].get<std::string>();
      // The service guesses the language from the text: Cyrillic → ru.
      const bool cyrillic =
          input.find('\xd0') != std::string::npos || input.find('\xd1') != std::string::npos;
      auto said =
          synthesizer_->synthesize(input, cyrillic ? "ru" : "en", [&](std::span<const std::int16_t> p) {
            pcm16k.insert(pcm16k.end(), p.begin(), p.end());
            return true;
          });
      if (!said) {
        answer(socket, 500, "Internal Server Error",
               api_error(said.error().to_string(), "server_error", "server_error"));
        continue;
      }
      media::Resampler up(16000, 24000, media::Resampler::kDesktopQuality);
      std::vector<std::int16_t> pcm24k(up.max_output(pcm16k.size()));
      pcm24k.resize(up.process(pcm16k, pcm24k));
      std::string bytes;
      for (auto s : pcm24k) {
        bytes += static_cast<char>(static_cast<std::uint16_t>(s) & 0xff);
        bytes += static_cast<char>(static_cast<std::uint16_t>(s) >> 8);
      }
      write_all(
          socket,
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
      const int chunks = std::max(1, chunks_.load());
      const std::size_t piece =
          (bytes.size() + static_cast<std::size_t>(chunks) - 1) / static_cast<std::size_t>(chunks);
      for (int i = 0; i < chunks; ++i) {
        const std::size_t from = static_cast<std::size_t>(i) * piece;
        if (from >= bytes.size()) break;
        if (mode == Mode::cut_mid_stream && i == chunks / 2) {
          ::shutdown(socket.native_handle(), SHUT_RDWR);  // the socket itself lives until the fake goes
          return;
        }
        const auto part = bytes.substr(from, piece);
        std::ostringstream size;
        size << std::hex << part.size();
        write_all(socket, size.str() + "\r\n" + part + "\r\n");
        std::this_thread::sleep_for(pause_.load());
      }
      write_all(socket, "0\r\n\r\n");
      std::lock_guard lock(mutex_);
      speech_finished_ = std::chrono::steady_clock::now();
      continue;
    }
    answer(socket, 404, "Not Found",
           api_error("Invalid URL (POST " + target + ")", "invalid_request_error", "unknown_url"));
  }
}

}  // namespace va::test
