// The LiveKit webhook endpoint: POST <webhooks.path> on the HTTP service.
//
// Per request, in this order: media type (application/webhook+json or application/json, else 415), signature
// (WebhookVerifier; 401 with no side effect beyond a metric and a log line with the reason and the remote
// address), JSON (400), de-duplication by event id (a repeat answers 200, is counted and not processed
// again), then the event is queued and answered 200 *before* it is processed. A full queue answers 503 with
// Retry-After and forgets the id, so LiveKit's retry is processed: nothing is dropped silently.
//
// Processing runs on the receiver's own worker thread, not on the io_context: a sink may block (the
// orchestrator will call the LiveKit API synchronously), and that must not stall HTTP or SIP.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "http/router.hpp"
#include "livekit/webhook_dedupe.hpp"
#include "livekit/webhook_event.hpp"
#include "livekit/webhook_verifier.hpp"

namespace va::livekit {

// What happens with a verified, new event. Called on the receiver's worker thread, one event at a time, in
// arrival order. Exceptions are caught and logged.
class WebhookEventSink {
 public:
  virtual ~WebhookEventSink() = default;
  virtual void on_event(const WebhookEvent& event) = 0;
};

struct WebhookReceiverOptions {
  std::string path = "/livekit/webhook";
  bool verify = true;  // false: signatures are not checked (development only; serve warns)
  std::map<std::string, std::string> secrets_by_key;
  std::size_t queue_size = 1024;
  std::chrono::milliseconds dedupe_window = std::chrono::minutes(10);
  std::size_t dedupe_capacity = 65'536;
  // The time tokens are checked against; the system clock when empty.
  std::function<UnixSeconds()> clock;
};

// The options from the configuration: webhooks.* and livekit.api_key/api_secret as the one known key.
WebhookReceiverOptions webhook_receiver_options(const config::Config& config);

class WebhookReceiver {
 public:
  WebhookReceiver(WebhookReceiverOptions options, WebhookEventSink& sink, metrics::Registry& metrics);
  ~WebhookReceiver();  // stop() with no time to drain
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // Registers POST options.path; the router's handler calls handle().
  void add_route(http::Router& router);
  http::Response handle(const http::Request& request);

  // Starts the worker thread.
  void start();
  // Stops taking events (new requests get 503), processes what is queued until `deadline`, then stops the
  // worker. Returns how many queued events were left unprocessed. Idempotent.
  std::size_t stop(std::chrono::steady_clock::time_point deadline);

  std::size_t queue_depth() const;

 private:
  void run();
  http::Response reject(const http::Request& request, std::string_view reason, unsigned status,
                        std::string_view code, const std::string& message);

  WebhookReceiverOptions options_;
  WebhookEventSink& sink_;
  WebhookVerifier verifier_;
  WebhookDedupe dedupe_;
  metrics::Registry& registry_;
  metrics::Gauge& queue_depth_gauge_;
  metrics::Counter& duplicates_;
  metrics::Histogram& processing_seconds_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<WebhookEvent> queue_;
  bool accepting_ = true;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::thread worker_;
};

}  // namespace va::livekit
