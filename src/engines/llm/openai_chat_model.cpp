#include "engines/llm/openai_chat_model.hpp"

#include "engines/llm/chat_stream.hpp"
#include "http/client.hpp"
#include "http/client_pool.hpp"

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

http::ClientOptions client_options(const OpenAiChatSettings& settings) {
  http::ClientOptions options;
  options.connect_timeout = settings.connect_timeout;
  options.ca_file = settings.ca_file;
  return options;
}

class OpenAiChatModel final : public voice::LanguageModel {
 public:
  OpenAiChatModel(OpenAiChatSettings settings, http::Origin origin)
      : settings_(std::move(settings)), pool_(std::move(origin), client_options(settings_)) {}

  std::string_view name() const override { return "openai"; }

  Result<voice::ChatResult, ChatError> complete(const voice::ChatRequest& request,
                                                const std::function<void(std::string_view)>& on_text,
                                                const std::atomic<bool>& cancelled) override {
    auto client = pool_.borrow();
    client->set_request_timeout(request.timeout);  // first byte, and between bytes once streaming
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
  OpenAiChatSettings settings_;
  http::ClientPool pool_;  // request_timeout set per request (ChatRequest::timeout)
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
