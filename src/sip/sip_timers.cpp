#include "sip/sip_timers.hpp"

#include <string>

namespace va::sip {

std::string validate(const TimerSettings& settings) {
  if (settings.t1.count() <= 0) return "T1 must be positive";
  if (settings.t2 < settings.t1) return "T2 must not be shorter than T1";
  if (settings.t4.count() <= 0) return "T4 must be positive";
  if (settings.timer_d.count() < 0) return "Timer D must not be negative";
  return {};
}

void TransactionTimer::start(Milliseconds after, std::function<void()> on_expiry) {
  std::uint64_t generation = ++generation_;
  pending_ = true;
  timer_.expires_after(after);
  timer_.async_wait([this, generation, fn = std::move(on_expiry)](const boost::system::error_code& ec) {
    // `this` is alive: the callback owns what owns this timer (see start()), and a destroyed timer completes
    // its waits with operation_aborted before releasing them. The generation check comes first either way.
    if (ec || generation != generation_) return;
    pending_ = false;
    fn();
  });
}

void TransactionTimer::cancel() {
  ++generation_;
  pending_ = false;
  timer_.cancel();
}

}  // namespace va::sip
