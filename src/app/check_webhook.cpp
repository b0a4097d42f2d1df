#include "app/check_webhook.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/metrics.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "livekit/access_token.hpp"
#include "livekit/webhook_receiver.hpp"

namespace va::app {
namespace {

constexpr const char* kCheckRoom = "voice-agent-check";

livekit::UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string check_event(const std::string& id) {
  return R"({"event":"room_started","room":{"sid":"RM_voiceAgentCheck","name":")" + std::string(kCheckRoom) +
         R"(","emptyTimeout":300,"creationTime":")" + std::to_string(unix_now()) + R"("},"id":")" + id +
         R"(","createdAt":")" + std::to_string(unix_now()) + R"("})";
}

std::string sign(std::string_view body, const std::string& key, const std::string& secret) {
  livekit::AccessTokenClaims claims;
  claims.api_key = key;
  claims.sha256 = livekit::webhook_body_hash(body);
  claims.not_before = unix_now();
  claims.expires_at = claims.not_before + 300;
  return livekit::mint_access_token(claims, secret);
}

class RecordingSink : public livekit::WebhookEventSink {
 public:
  void on_event(const livekit::WebhookEvent& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
    arrived_.notify_all();
  }
  std::vector<livekit::WebhookEvent> wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<livekit::WebhookEvent> events_;
};

// The receiver route on a loopback HTTP server with one io thread, for the duration of a check.
class LoopbackEndpoint {
 public:
  explicit LoopbackEndpoint(const config::Config& config)
      : receiver_(livekit::webhook_receiver_options(config), sink_, metrics_) {
    http::Router router;
    receiver_.add_route(router);
    http::ServerOptions options;
    options.listen = {"127.0.0.1:0"};
    options.body_limit = config.http.body_limit.bytes;
    options.rate_limit.enabled = false;
    server_.emplace(io_, options, std::move(router), metrics_);
    server_->start();  // throws on bind failure; the caller reports it
    receiver_.start();
    thread_ = std::thread([this] { io_.run(); });
    auto endpoints = server_->local_endpoints();
    std::string error;
    auto origin =
        http::Origin::parse("http://" + (endpoints.empty() ? std::string() : endpoints.front()), error);
    if (origin) {
      http::ClientOptions client_options;
      client_options.connect_timeout = std::chrono::seconds(2);
      client_options.request_timeout = std::chrono::seconds(5);
      client_.emplace(*origin, client_options);
    }
    path_ = config.webhooks.path;
  }
  ~LoopbackEndpoint() {
    server_->shutdown([] {});
    server_->abort_connections();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    receiver_.stop(std::chrono::steady_clock::now());
  }
  LoopbackEndpoint(const LoopbackEndpoint&) = delete;
  LoopbackEndpoint& operator=(const LoopbackEndpoint&) = delete;

  // The HTTP status, or an error text when no response came.
  std::variant<unsigned, std::string> post(const std::string& body,
                                           const std::optional<std::string>& authorization) {
    if (!client_) return std::string("no local endpoint to send to");
    std::vector<http::Header> headers{{"Content-Type", "application/webhook+json"}};
    if (authorization) headers.push_back({"Authorization", *authorization});
    auto result = client_->request("POST", path_, headers, body);
    if (auto* error = std::get_if<http::ClientError>(&result)) return error->message;
    return std::get<http::ClientResponse>(result).status;
  }
  RecordingSink& sink() { return sink_; }

 private:
  metrics::Registry metrics_;
  RecordingSink sink_;
  livekit::WebhookReceiver receiver_;
  boost::asio::io_context io_;
  std::optional<http::Server> server_;
  std::thread thread_;
  std::optional<http::Client> client_;
  std::string path_;
};

std::string describe(const std::variant<unsigned, std::string>& outcome) {
  if (const auto* status = std::get_if<unsigned>(&outcome)) return "HTTP " + std::to_string(*status);
  return std::get<std::string>(outcome);
}

CheckResult result(std::string name, CheckOutcome outcome, std::string reason, std::string hint = {}) {
  return CheckResult{std::move(name), outcome, std::move(reason), std::move(hint)};
}

}  // namespace

CheckResult check_webhook_endpoint(const config::Config& config) {
  const std::string name = "webhook endpoint";
  if (!config.livekit.configured())
    return result(name, CheckOutcome::skip, "LiveKit is not configured: serve runs no webhook receiver",
                  "set livekit.url, api_key and api_secret to receive LiveKit webhooks");
  if (config.webhooks.verify && (config.livekit.api_key.empty() || config.livekit.api_secret.empty()))
    return result(name, CheckOutcome::fail,
                  "livekit.api_key/api_secret are not set: no webhook can be verified",
                  "set livekit.api_key and livekit.api_secret (or LIVEKIT_API_KEY / LIVEKIT_API_SECRET)");
  try {
    LoopbackEndpoint endpoint(config);
    const std::string id = "EV_voiceAgentCheck" + std::to_string(unix_now());
    auto body = check_event(id);
    auto outcome = endpoint.post(body, sign(body, config.livekit.api_key, config.livekit.api_secret));
    if (!std::holds_alternative<unsigned>(outcome) || std::get<unsigned>(outcome) != 200)
      return result(
          name, CheckOutcome::fail,
          "a correctly signed room_started event to " + config.webhooks.path + " got " + describe(outcome),
          "see the log line \"livekit webhook rejected\" for the reason");
    auto events = endpoint.sink().wait_for(1, std::chrono::seconds(5));
    if (events.empty() || events.front().id != id ||
        events.front().type != livekit::WebhookEventType::room_started || !events.front().room ||
        events.front().room->name != kCheckRoom)
      return result(name, CheckOutcome::fail,
                    "the event was accepted but did not reach the event handler parsed",
                    "this is a bug in voice-agent: please report it with the log");
    std::string reason = "a signed room_started event to POST " + config.webhooks.path +
                         " was answered 200 and parsed (room \"" + kCheckRoom + "\")";
    if (!config.webhooks.verify) reason += "; signatures are NOT verified (webhooks.verify: false)";
    return result(name, CheckOutcome::pass, reason);
  } catch (const std::exception& e) {
    return result(name, CheckOutcome::fail, std::string("cannot start a local webhook endpoint: ") + e.what(),
                  "check that the loopback interface is available");
  }
}

CheckResult check_webhook_error_handling(const config::Config& config) {
  const std::string name = "webhook error handling";
  if (!config.livekit.configured())
    return result(name, CheckOutcome::skip, "LiveKit is not configured: no webhook receiver",
                  "set livekit.url, api_key and api_secret to receive LiveKit webhooks");
  if (!config.webhooks.verify)
    return result(name, CheckOutcome::fail, "webhooks.verify is false: forged LiveKit events are accepted",
                  "set webhooks.verify: true outside development");
  if (config.livekit.api_key.empty() || config.livekit.api_secret.empty())
    return result(name, CheckOutcome::skip, "livekit.api_key/api_secret are not set",
                  "set livekit.api_key and livekit.api_secret");
  try {
    LoopbackEndpoint endpoint(config);
    auto body = check_event("EV_voiceAgentCheckForged");
    auto tampered = body;
    tampered.replace(tampered.find(kCheckRoom), std::string_view(kCheckRoom).size(), "voice-agent-evil");
    struct Attempt {
      const char* what;
      std::string body;
      std::optional<std::string> authorization;
    };
    const std::vector<Attempt> attempts{
        {"a forged signature", body,
         sign(body, config.livekit.api_key, config.livekit.api_secret + "-forged-by-voice-agent-check")},
        {"a tampered body", tampered, sign(body, config.livekit.api_key, config.livekit.api_secret)},
        {"a missing Authorization header", body, std::nullopt},
    };
    for (const auto& attempt : attempts) {
      auto outcome = endpoint.post(attempt.body, attempt.authorization);
      if (!std::holds_alternative<unsigned>(outcome) || std::get<unsigned>(outcome) != 401)
        return result(
            name, CheckOutcome::fail,
            std::string("a webhook with ") + attempt.what + " got " + describe(outcome) + ", not 401",
            "this is a bug in voice-agent: please report it with the log");
    }
    if (!endpoint.sink().wait_for(1, std::chrono::milliseconds(100)).empty())
      return result(name, CheckOutcome::fail, "a rejected webhook reached the event handler",
                    "this is a bug in voice-agent: please report it with the log");
    return result(
        name, CheckOutcome::pass,
        "forged signature, tampered body and missing Authorization header were each rejected with 401");
  } catch (const std::exception& e) {
    return result(name, CheckOutcome::fail, std::string("cannot start a local webhook endpoint: ") + e.what(),
                  "check that the loopback interface is available");
  }
}

}  // namespace va::app
