// Reading a streamed OpenAI-compatible chat completion: Server-Sent Events (the WHATWG event-stream format)
// and the `chat.completion.chunk` objects they carry. Both are fed bytes as they arrive, in any split, and
// never throw: the server is untrusted input (fuzzed: tests/fuzz/chat_stream_fuzz.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "voice/language_model.hpp"

namespace va::engines::llm {

// Splits an event stream into events. Lines end in LF, CRLF or CR; `data:` lines of one event are joined
// with LF; an empty line dispatches; `:` comments and unknown fields are ignored.
class SseParser {
 public:
  using OnEvent = std::function<void(std::string_view event, std::string_view data)>;
  explicit SseParser(std::size_t max_event_bytes = 1 << 20) : max_event_bytes_(max_event_bytes) {}

  // False when an event grew beyond the limit (the stream is broken off).
  bool feed(std::string_view bytes, const OnEvent& on_event);
  // At the end of the stream: an event not closed by an empty line is dispatched (servers that end on
  // "data: [DONE]\n" without the blank line).
  void finish(const OnEvent& on_event);

 private:
  void line(std::string_view text, const OnEvent& on_event);
  void dispatch(const OnEvent& on_event);

  std::string line_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;
  std::size_t max_event_bytes_;
};

// Assembles a completion from its chunks: text deltas (passed on as they come), tool calls (their
// argument fragments joined by index), the finish reason and the usage.
class ChatChunkDecoder {
 public:
  // Each SSE `data` payload. False with error() set on a payload that is not a chunk ("[DONE]" is fine,
  // an {"error": ...} object is the server's error).
  bool on_data(std::string_view data, const std::function<void(std::string_view)>& on_text);
  // A whole non-streamed answer (a server that ignored "stream": true).
  bool on_whole(std::string_view body, const std::function<void(std::string_view)>& on_text);

  bool done() const { return done_; }  // [DONE] seen
  const std::string& error() const { return error_; }
  voice::ChatResult result() const;

 private:
  // `text` as a JSON object that is not an error report (its usage read); nullopt with error_ set otherwise.
  std::optional<nlohmann::json> open(std::string_view text, std::string not_an_object);

  voice::ChatResult result_;
  std::map<long, voice::ToolCall> tools_;  // by index
  bool done_ = false;
  std::string error_;
};

// The request body of a streamed chat completion.
std::string chat_request_body(const voice::ChatRequest& request, const std::string& model);

}  // namespace va::engines::llm
