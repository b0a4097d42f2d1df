#include "calls/outbox.hpp"

#include <random>

#include "calls/event_signature.hpp"
#include "common/log.hpp"
#include "http/client.hpp"

namespace va::calls {
namespace {

using Clock = std::chrono::system_clock;

Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now());
}

// Parked events keep their row (an operator resends one by setting next_attempt_at) but are not due again.
// 2200-01-01: far beyond any retry, within what system_clock's nanoseconds hold (until 2262).
const Timestamp kParked = Timestamp(std::chrono::milliseconds(7'258'118'400'000));

}  // namespace

Outbox::Outbox(Store& store, OutboxOptions options, metrics::Registry& metrics)
    : store_(store),
      options_(std::move(options)),
      delivered_(
          metrics.counter("calls_outbox_delivered_total", "Outbound call events delivered (2xx)").get()),
      failed_(
          metrics.counter("calls_outbox_failed_attempts_total", "Outbound call event attempts that failed")
              .get()),
      parked_(metrics
                  .counter("calls_outbox_parked_total",
                           "Outbound call events given up after events.max_attempts failures")
                  .get()),
      backlog_(metrics.gauge("calls_outbox_backlog", "Outbound call events not delivered yet").get()),
      delivery_seconds_(
          metrics.histogram("calls_outbox_delivery_seconds", "POST of one outbound call event").get()) {
  auto origin = http::Origin::parse(options_.url, error_);
  if (!origin) {
    error_ = "events.url: " + error_;
    return;
  }
  http::ClientOptions client;
  client.request_timeout = options_.request_timeout;
  client.connect_timeout = std::min(options_.request_timeout, std::chrono::milliseconds(5000));
  client_ = std::make_unique<http::Client>(*origin, client);
  thread_ = std::thread([this] { run(); });
}

Outbox::~Outbox() {
  stop();
}

void Outbox::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void Outbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Outbox::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    bool more = false;
    auto due = store_.due_events(now_ms(), options_.batch, options_.instance);
    if (!due.ok()) {
      log::warn("outbound events: the store cannot be read", {{"error", due.error().message}});
    } else {
      for (const auto& event : *due) {
        {
          std::lock_guard check(mutex_);
          if (stopping_) break;
        }
        deliver(event);
      }
      more = due->size() == options_.batch;
    }
    if (auto backlog = store_.outbox_backlog(); backlog.ok()) backlog_.set(static_cast<double>(*backlog));
    lock.lock();
    if (!more && !woken_)
      wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void Outbox::deliver(const OutboundEvent& event) {
  auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  std::vector<http::Header> headers = {
      {"Content-Type", "application/json"},
      {std::string(kEventHeader), event.type},
      {std::string(kEventIdHeader), std::to_string(event.id)},
  };
  if (!options_.secrets.empty())
    headers.push_back(
        {std::string(kSignatureHeader), sign_event(options_.secrets, unix_seconds, event.payload)});
  auto began = std::chrono::steady_clock::now();
  auto result = client_->request("POST", "", headers, event.payload);
  delivery_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());

  std::string why;
  if (auto* response = std::get_if<http::ClientResponse>(&result)) {
    if (response->status >= 200 && response->status < 300) {
      if (auto e = store_.mark_delivered(event.id, now_ms())) {
        // Sent, not marked: it goes again (at-least-once); the receiver de-duplicates on the event id.
        log::error("outbound event delivered but not marked",
                   {{"event_id", event.id}, {"error", e->message}});
      } else {
        delivered_.inc();
      }
      return;
    }
    why = "HTTP " + std::to_string(response->status) + ": " + response->body.substr(0, 200);
  } else {
    why = std::get<http::ClientError>(result).message;
  }
  failed_.inc();
  const int attempt = event.attempts + 1;
  Timestamp next;
  if (options_.max_attempts > 0 && attempt >= options_.max_attempts) {
    next = kParked;
    parked_.inc();
    log::error("outbound event parked: too many failed attempts", {{"event_id", event.id},
                                                                   {"call_id", event.call_id},
                                                                   {"type", event.type},
                                                                   {"attempts", attempt},
                                                                   {"error", why}});
  } else {
    static thread_local std::mt19937 random{std::random_device{}()};
    auto delay = with_jitter(options_.backoff.delay_after(static_cast<std::uint32_t>(attempt)), 0.2,
                             std::uniform_real_distribution<double>(0.0, 1.0)(random));
    next = now_ms() + delay;
    log::warn("outbound event not delivered; will retry",
              {{"event_id", event.id},
               {"call_id", event.call_id},
               {"type", event.type},
               {"attempt", attempt},
               {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
               {"error", why}});
  }
  if (auto e = store_.mark_attempt_failed(event.id, next, why))
    log::error("outbound event attempt not recorded", {{"event_id", event.id}, {"error", e->message}});
}

}  // namespace va::calls
