// Remembers recently seen webhook event ids, so an event LiveKit delivers again (it retries when our answer
// is late or lost) is processed once. Bounded twice: an id is forgotten after `window`, and beyond
// `capacity` ids the least recently claimed are forgotten first. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace va::livekit {

class WebhookDedupe {
 public:
  using Clock = std::chrono::steady_clock;

  WebhookDedupe(std::size_t capacity, std::chrono::milliseconds window);

  // True when `id` was not seen within the window: it is remembered from now on. False for a repeat.
  bool claim(std::string_view id, Clock::time_point now = Clock::now());
  // Forgets a claimed id (its event could not be queued, so LiveKit's retry must be processed).
  void release(std::string_view id);

  std::size_t size() const;

 private:
  struct Entry {
    std::string id;
    Clock::time_point seen;
  };
  void expire(Clock::time_point now);

  std::size_t capacity_;
  std::chrono::milliseconds window_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;                                                  // oldest first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_id_;  // views into order_'s strings
};

}  // namespace va::livekit
