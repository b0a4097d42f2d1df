// `voice-agent serve` (the example configuration, no SIP endpoint) with known LiveKit API credentials, for
// the webhook tests: posts events to webhooks.path and reads /metrics and the log.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "livekit/access_token.hpp"
#include "livekit/webhook_verifier.hpp"
#include "support/agent_instance.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace va::test {

inline constexpr const char* kWebhookKey = "APIwebhookTest1";
inline constexpr const char* kWebhookSecret = "webhook-test-secret-0123456789abcdefgh";

inline livekit::UnixSeconds unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A webhook token as LiveKit's server makes it: issuer = key, sha256 of the body, valid from `not_before`.
inline std::string sign_webhook(std::string_view body, const std::string& key = kWebhookKey,
                                const std::string& secret = kWebhookSecret,
                                livekit::UnixSeconds not_before = unix_now(),
                                std::chrono::seconds ttl = std::chrono::minutes(5)) {
  livekit::AccessTokenClaims claims;
  claims.api_key = key;
  claims.sha256 = livekit::webhook_body_hash(body);
  claims.not_before = not_before;
  claims.expires_at = not_before + ttl.count();
  return livekit::mint_access_token(claims, secret);
}

inline std::string room_event(const std::string& id, const std::string& room = "webhook-room",
                              const std::string& type = "room_started") {
  return R"({"event":")" + type + R"(","room":{"sid":"RM_test","name":")" + room +
         R"(","emptyTimeout":300},"id":")" + id + R"(","createdAt":")" + std::to_string(unix_now()) + R"("})";
}

class WebhookAgent {
 public:
  explicit WebhookAgent(const std::vector<std::string>& overrides = {})
      : agent_({.sets = with_credentials(overrides), .http_timeout = std::chrono::seconds(20)}) {}
  ~WebhookAgent() { stop(); }
  WebhookAgent(const WebhookAgent&) = delete;
  WebhookAgent& operator=(const WebhookAgent&) = delete;

  bool listening() const { return agent_.listening(); }
  std::string url(const std::string& path = "/livekit/webhook") const { return agent_.url(path); }
  std::string log() const { return agent_.log(); }
  Process& process() { return agent_.process(); }

  HttpResponse post(const std::string& body, const std::optional<std::string>& authorization,
                    const std::string& content_type = "application/webhook+json") {
    HeaderList headers{{"Content-Type", content_type}};
    if (authorization) headers.push_back({"Authorization", *authorization});
    return client_.request("POST", url(), headers, body);
  }
  std::string metrics() { return client_.get(url("/metrics")).body; }

  // Waits (bounded) until the log shows the event with this id processed.
  bool wait_processed(const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return agent_.process().wait_for_output(
        [&id](const std::string&, const std::string& err) {
          return err.find("\"id\":\"" + id + "\"") != std::string::npos &&
                 err.find("livekit webhook event") != std::string::npos;
        },
        timeout);
  }
  // Lines that report a processed event with this id.
  int processed_count(const std::string& id) const {
    int count = 0;
    std::string text = log();
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      if (line.find("\"msg\":\"livekit webhook event") != std::string_view::npos &&
          line.find("\"id\":\"" + id + "\"") != std::string_view::npos)
        ++count;
      start = end + 1;
    }
    return count;
  }
  void stop() {
    if (agent_.process().running()) agent_.stop();
  }

 private:
  // The API key and secret the tests sign with, JSON logs (the tests read them), then the test's own.
  static std::vector<std::string> with_credentials(const std::vector<std::string>& overrides) {
    std::vector<std::string> sets = {std::string("livekit.api_key=") + kWebhookKey,
                                     std::string("livekit.api_secret=") + kWebhookSecret,
                                     "logging.format=json"};
    sets.insert(sets.end(), overrides.begin(), overrides.end());
    return sets;
  }

  AgentInstance agent_;
  HttpClient client_;
};

}  // namespace va::test
