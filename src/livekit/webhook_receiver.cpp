#include "livekit/webhook_receiver.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/log.hpp"

namespace va::livekit {
namespace {

constexpr const char* kEventsTotal = "livekit_webhook_events_total";
constexpr const char* kRejectedTotal = "livekit_webhook_rejected_total";

// Seconds LiveKit should wait before retrying when our queue is full.
constexpr const char* kRetryAfterSeconds = "1";

std::vector<double> processing_buckets() {
  return {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
}

}  // namespace

WebhookReceiverOptions webhook_receiver_options(const config::Config& config) {
  WebhookReceiverOptions options;
  options.path = config.webhooks.path;
  options.verify = config.webhooks.verify;
  if (!config.livekit.api_key.empty())
    options.secrets_by_key[config.livekit.api_key] = config.livekit.api_secret;
  options.queue_size = static_cast<std::size_t>(std::max<std::int64_t>(1, config.webhooks.queue_size));
  options.dedupe_window =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.webhooks.dedupe_window);
  return options;
}

WebhookReceiver::WebhookReceiver(WebhookReceiverOptions options, WebhookEventSink& sink,
                                 metrics::Registry& metrics)
    : options_(std::move(options)),
      sink_(sink),
      verifier_(options_.secrets_by_key),
      dedupe_(options_.dedupe_capacity, options_.dedupe_window),
      registry_(metrics),
      queue_depth_gauge_(
          metrics.gauge("livekit_webhook_queue_depth", "LiveKit webhook events waiting to be processed")
              .get()),
      duplicates_(metrics
                      .counter("livekit_webhook_duplicates_total",
                               "LiveKit webhook events received again (same id) and not processed again")
                      .get()),
      processing_seconds_(metrics
                              .histogram("livekit_webhook_processing_seconds",
                                         "Time the event sink took per LiveKit webhook event", {},
                                         processing_buckets())
                              .get()) {
  registry_.counter(kEventsTotal, "Verified LiveKit webhook events accepted, by event type", {"event"});
  registry_.counter(kRejectedTotal, "LiveKit webhook requests rejected, by reason", {"reason"});
}

WebhookReceiver::~WebhookReceiver() {
  stop(std::chrono::steady_clock::now());
}

void WebhookReceiver::add_route(http::Router& router) {
  http::RouteOptions route_options;
  route_options.metrics_label = options_.path;
  router.add(
      http::Method::post, options_.path, [this](const http::Request& request) { return handle(request); },
      std::move(route_options));
}

http::Response WebhookReceiver::reject(const http::Request& request, std::string_view reason, unsigned status,
                                       std::string_view code, const std::string& message) {
  registry_.counter(kRejectedTotal, "", {"reason"}).with({std::string(reason)}).inc();
  log::warn("livekit webhook rejected", {{"reason", reason},
                                         {"status", static_cast<std::int64_t>(status)},
                                         {"remote_address", request.remote_address},
                                         {"detail", message}});
  return http::Response::error(status, code, message);
}

http::Response WebhookReceiver::handle(const http::Request& request) {
  const std::string media_type = request.media_type();
  if (media_type != "application/webhook+json" && media_type != "application/json") {
    return reject(request, "unsupported_media_type", 415, "unsupported_media_type",
                  "a webhook must be application/webhook+json or application/json, not \"" +
                      media_type.substr(0, 100) + "\"");
  }
  if (options_.verify) {
    if (auto failure =
            verifier_.verify(request.header("Authorization"), request.body,
                             options_.clock ? options_.clock()
                                            : std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count())) {
      return reject(request, to_string(failure->reason), 401, "unauthorized",
                    "webhook signature rejected: " + failure->message);
    }
  }
  auto parsed = parse_webhook_event(request.body);
  if (auto* error = std::get_if<WebhookParseError>(&parsed)) {
    return reject(request, "malformed_event", 400, "bad_request",
                  "malformed webhook event: " + error->message);
  }
  auto& event = std::get<WebhookEvent>(parsed);
  const bool has_id = !event.id.empty();
  if (has_id && !dedupe_.claim(event.id)) {
    duplicates_.inc();
    log::debug("livekit webhook repeated: already processed", {{"id", event.id}, {"event", event.name}});
    return http::Response::json(200, R"({"status":"duplicate"})");
  }
  const std::string type_label(to_string(event.type));
  const std::string id = event.id;
  {
    std::lock_guard lock(mutex_);
    if (!accepting_ || queue_.size() >= options_.queue_size) {
      const bool shutting_down = !accepting_;
      if (has_id) dedupe_.release(id);
      return reject(request, shutting_down ? "shutting_down" : "queue_full", 503, "unavailable",
                    shutting_down ? "shutting down; retry later"
                                  : "webhook queue is full (" + std::to_string(options_.queue_size) +
                                        " events); retry later")
          .header("Retry-After", kRetryAfterSeconds);
    }
    // Counted before the worker can see it, so the metric never lags behind the event's log line.
    registry_.counter(kEventsTotal, "", {"event"}).with({type_label}).inc();
    queue_.push_back(std::move(event));
    queue_depth_gauge_.set(static_cast<double>(queue_.size()));
  }
  wake_.notify_one();
  return http::Response::json(200, R"({"status":"accepted"})");
}

void WebhookReceiver::start() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { run(); });
}

void WebhookReceiver::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_ && (queue_.empty() || std::chrono::steady_clock::now() >= drain_deadline_)) return;
    WebhookEvent event = std::move(queue_.front());
    queue_.pop_front();
    queue_depth_gauge_.set(static_cast<double>(queue_.size()));
    lock.unlock();
    auto started = std::chrono::steady_clock::now();
    try {
      sink_.on_event(event);
    } catch (const std::exception& e) {
      log::error("livekit webhook event handler failed",
                 {{"event", event.name}, {"id", event.id}, {"error", e.what()}});
    } catch (...) {
      log::error("livekit webhook event handler failed", {{"event", event.name}, {"id", event.id}});
    }
    processing_seconds_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    lock.lock();
  }
}

std::size_t WebhookReceiver::stop(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    if (!stopping_) {
      stopping_ = true;
      drain_deadline_ = deadline;
    }
  }
  wake_.notify_all();
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  std::lock_guard lock(mutex_);
  std::size_t left = queue_.size();
  if (left > 0) {
    log::warn("livekit webhook events not processed before shutdown",
              {{"events", static_cast<std::int64_t>(left)}});
    queue_.clear();
    queue_depth_gauge_.set(0);
  }
  return left;
}

std::size_t WebhookReceiver::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace va::livekit
