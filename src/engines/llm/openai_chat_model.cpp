#include "engines/llm/openai_chat_model.hpp"

#include <memory>
#include <mutex>
#include <variant>
#include <vector>

#include "engines/llm/chat_stream.hpp"
#include "http/client.hpp"

namespace va::engines::llm {
namespace {

using voice::ChatError;

constexpr std::size_t kMaxWholeAnswer = 1 << 20;

ChatError::Kind error_kind(http::ClientErrorKind kind) {
  switch (kind) {
    case http::ClientErrorKind::timeout:
      return ChatError::Kind::timeout;
    case http::ClientErrorKind::resolve:
    case http::ClientErrorKind::connect:
    case http::ClientErrorKind::tls:
      return ChatError::Kind::connect;
    default:
      return ChatError::Kind::protocol;
  }
}

class OpenAiChatModel final : public voice::LanguageModel {
 public:
  OpenAiChatModel(OpenAiChatSettings settings, http::Origin origin)
      : settings_(std::move(settings)), origin_(std::move(origin)) {}

  std::string_view name() const override { return "openai"; }

  Result<voice::ChatResult, ChatError> complete(const voice::ChatRequest& request,
                                                const std::function<void(std::string_view)>& on_text,
                                                const std::atomic<bool>& cancelled) override {
    auto client = take_client(request.timeout);
    std::vector<http::Header> headers{{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    if (!settings_.api_key.empty()) headers.push_back({"Authorization", "Bearer " + settings_.api_key});
    const auto body = chat_request_body(request, settings_.model);

    SseParser sse;
    ChatChunkDecoder decoder;
    bool broken = false;
    bool oversized = false;
    auto on_event = [&](std::string_view, std::string_view data) {
      if (!broken && !decoder.done() && !decoder.on_data(data, on_text)) broken = true;
    };
    // A 2xx body streams through here; a server that ignored "stream" sends one JSON object, which the
    // event parser passes over (no `data:` line) and which is kept (bounded) for the whole-answer path.
    std::string whole;
    auto on_chunk = [&](std::string_view bytes) {
      if (cancelled.load()) return false;
      if (whole.size() + bytes.size() <= kMaxWholeAnswer) whole.append(bytes);
      if (!sse.feed(bytes, on_event)) {
        broken = true;
        oversized = true;
      }
      return !broken && !decoder.done();
    };
    auto result = client->request_streaming("POST", "/chat/completions", headers, body, on_chunk);
    // A connection that delivered its whole answer is kept alive for the next request (no new TCP and TLS
    // handshake before the next turn's first token); the client closes one it could not finish.
    if (std::holds_alternative<http::ClientResponse>(result)) give_back(std::move(client));
    if (cancelled.load()) return ChatError{ChatError::Kind::cancelled, "openai", "cancelled"};
    if (auto* failure = std::get_if<http::ClientError>(&result)) {
      // A stream cut after [DONE] (the server closed without finishing the chunked body) lost nothing.
      if (!decoder.done())
        return ChatError{error_kind(failure->kind), "openai",
                         std::string(http::to_string(failure->kind)) + ": " + failure->message};
      return decoder.result();
    }
    const auto& response = std::get<http::ClientResponse>(result);
    if (response.status < 200 || response.status >= 300) {
      std::string message = "status " + std::to_string(response.status);
      ChatChunkDecoder reader;
      if (!reader.on_whole(response.body, {}) && !reader.error().empty()) message += ": " + reader.error();
      return ChatError{ChatError::Kind::status, "openai", message};
    }
    if (response.header("Content-Type").find("text/event-stream") == std::string_view::npos) {
      if (!decoder.on_whole(whole, on_text))
        return ChatError{ChatError::Kind::protocol, "openai", decoder.error()};
      return decoder.result();
    }
    sse.finish(on_event);
    if (broken)
      return ChatError{ChatError::Kind::protocol, "openai",
                       oversized ? "an event larger than 1 MiB" : decoder.error()};
    auto done = decoder.result();
    if (!decoder.done() && done.finish_reason.empty())
      return ChatError{ChatError::Kind::protocol, "openai", "the event stream ended before [DONE]"};
    return done;
  }

 private:
  // An idle client (kept-alive connection) or a new one; the timeout is the request's.
  std::unique_ptr<http::Client> take_client(std::chrono::milliseconds timeout) {
    http::ClientOptions options;
    options.connect_timeout = settings_.connect_timeout;
    options.request_timeout = timeout;  // first byte, and between bytes once streaming
    options.ca_file = settings_.ca_file;
    {
      std::lock_guard lock(mutex_);
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if ((*it)->options().request_timeout != timeout) continue;
        auto client = std::move(*it);
        idle_.erase(it);
        return client;
      }
    }
    return std::make_unique<http::Client>(origin_, options);
  }
  void give_back(std::unique_ptr<http::Client> client) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(client));
  }

  static constexpr std::size_t kMaxIdle = 8;  // connections kept for concurrent calls
  OpenAiChatSettings settings_;
  http::Origin origin_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<http::Client>> idle_;
};

}  // namespace

Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_openai_chat_model(
    const OpenAiChatSettings& settings) {
  std::string error;
  auto origin = http::Origin::parse(settings.base_url, error);
  if (!origin)
    return ChatError{ChatError::Kind::engine, "openai", "base_url '" + settings.base_url + "': " + error};
  if (settings.model.empty()) return ChatError{ChatError::Kind::engine, "openai", "no model configured"};
  return std::shared_ptr<voice::LanguageModel>(std::make_shared<OpenAiChatModel>(settings, *origin));
}

}  // namespace va::engines::llm
