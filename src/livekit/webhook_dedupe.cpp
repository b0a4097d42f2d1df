#include "livekit/webhook_dedupe.hpp"

#include <algorithm>

namespace va::livekit {

WebhookDedupe::WebhookDedupe(std::size_t capacity, std::chrono::milliseconds window)
    : capacity_(std::max<std::size_t>(1, capacity)), window_(window) {}

void WebhookDedupe::expire(Clock::time_point now) {
  while (!order_.empty() && (now - order_.front().seen >= window_ || order_.size() > capacity_)) {
    by_id_.erase(order_.front().id);
    order_.pop_front();
  }
}

bool WebhookDedupe::claim(std::string_view id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  expire(now);
  if (by_id_.contains(id)) return false;
  order_.push_back(Entry{std::string(id), now});
  auto it = std::prev(order_.end());
  by_id_.emplace(it->id, it);
  if (order_.size() > capacity_) {
    by_id_.erase(order_.front().id);
    order_.pop_front();
  }
  return true;
}

void WebhookDedupe::release(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return;
  auto it = found->second;
  by_id_.erase(found);
  order_.erase(it);
}

std::size_t WebhookDedupe::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace va::livekit
