// Delivery of the outbound call events (issue 12 item 6) from the store's outbox to the customer's endpoint:
// a thread that POSTs each due event (JSON body as stored, signed: event_signature.hpp) and marks it
// delivered on a 2xx, or schedules the next attempt with exponential backoff and jitter on anything else.
//
// Guarantees: an event is written with its step (store.hpp), so none is lost across restarts; the events of a
// call go out in order, one at a time (the store hands out only each call's oldest undelivered one); once
// marked delivered an event is never sent again. Over HTTP the honest promise is at-least-once: a 2xx whose
// marking did not happen (a crash between the two, or a response that arrived after the request timeout)
// means the event is sent again — receivers de-duplicate on X-Voice-Agent-Event-Id.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "calls/store.hpp"
#include "common/metrics.hpp"
#include "common/retry_schedule.hpp"

namespace va::http {
class Client;
}

namespace va::calls {

struct OutboxOptions {
  std::string url;                   // http(s)://host[:port]/path
  std::vector<std::string> secrets;  // the first signs; more during a rotation
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds poll_interval{1'000};
  std::size_t batch = 50;
  RetrySchedule backoff{std::chrono::milliseconds(1'000), std::chrono::milliseconds(300'000), 0};
  int max_attempts = 0;  // 0: retry forever; else park the event after this many failures
  std::string instance;  // deliver only the events of this instance's calls (Store::due_events); empty: all
};

class Outbox {
 public:
  // Starts the delivery thread. `store` must outlive this object. An unusable url is reported by error().
  Outbox(Store& store, OutboxOptions options, metrics::Registry& metrics);
  ~Outbox();  // stop()
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  const std::string& error() const { return error_; }
  // New events were written: look now instead of at the next poll.
  void wake();
  // Ends the thread after the request in flight (bounded by the request timeout). Idempotent.
  void stop();

 private:
  void run();
  void deliver(const OutboundEvent& event);

  Store& store_;
  OutboxOptions options_;
  std::string error_;
  std::unique_ptr<http::Client> client_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;

  metrics::Counter& delivered_;
  metrics::Counter& failed_;
  metrics::Counter& parked_;
  metrics::Gauge& backlog_;
  metrics::Histogram& delivery_seconds_;
};

}  // namespace va::calls
