// Transaction timers of RFC 3261 §17 (Table 4 of Appendix A) and RFC 6026 (Timers L and M).
//
// T1, T2 and T4 are configurable so tests can run the whole state machine with T1 = 5-20 ms; every other
// timer is derived from them here, in one place, with the clause that defines it. Reliable transports (TCP,
// TLS) zero the timers that only exist to absorb UDP retransmissions (D, I, J, K).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace va::sip {

using Milliseconds = std::chrono::milliseconds;

struct TimerSettings {
  Milliseconds t1{500};   // RTT estimate (§17.1.1.1)
  Milliseconds t2{4000};  // maximum retransmit interval for non-INVITE requests and INVITE responses
  Milliseconds t4{5000};  // maximum duration a message remains in the network
  // Timer D: "at least 32 seconds" on unreliable transports (§17.1.1.2). Configurable only so tests can
  // observe its end; production keeps 32 s.
  Milliseconds timer_d{32000};

  // Timer A (INVITE request retransmit): starts at T1 and doubles without a cap (§17.1.1.2); Timer B bounds
  // it.
  Milliseconds timer_a_initial() const { return t1; }
  Milliseconds timer_b() const { return 64 * t1; }
  Milliseconds timer_d_for(bool reliable) const { return reliable ? Milliseconds{0} : timer_d; }
  // Timer E (non-INVITE request retransmit): T1 doubling up to T2; T2 once a provisional arrived (§17.1.2.2).
  Milliseconds timer_e_initial() const { return t1; }
  Milliseconds timer_f() const { return 64 * t1; }
  Milliseconds timer_k_for(bool reliable) const { return reliable ? Milliseconds{0} : t4; }
  // Timer G (INVITE final response retransmit): T1 doubling up to T2 (§17.2.1).
  Milliseconds timer_g_initial() const { return t1; }
  Milliseconds timer_h() const { return 64 * t1; }
  Milliseconds timer_i_for(bool reliable) const { return reliable ? Milliseconds{0} : t4; }
  Milliseconds timer_j_for(bool reliable) const { return reliable ? Milliseconds{0} : 64 * t1; }
  // RFC 6026: how long an accepted INVITE transaction absorbs retransmissions (L, server) and passes
  // further 2xx responses to the TU (M, client).
  Milliseconds timer_l() const { return 64 * t1; }
  Milliseconds timer_m() const { return 64 * t1; }

  // The next interval of a retransmission timer that doubles and is capped at T2 (E, G, and the 2xx
  // retransmission of §13.3.1.4).
  Milliseconds doubled_capped(Milliseconds current) const { return std::min(2 * current, t2); }
};

// Checks the relations the RFC relies on (T1 > 0, T2 >= T1, T4 > 0); returns a message or empty.
std::string validate(const TimerSettings& settings);

// One transaction timer on the SIP core strand. Starting it again or cancelling it guarantees that the
// previous callback never runs, even if its completion was already queued when cancel() was called (asio
// only aborts waits that have not completed yet); a generation counter closes that gap.
class TransactionTimer {
 public:
  explicit TransactionTimer(const boost::asio::any_io_executor& executor) : timer_(executor) {}
  TransactionTimer(const TransactionTimer&) = delete;
  TransactionTimer& operator=(const TransactionTimer&) = delete;

  // `on_expiry` must keep whatever it needs alive (e.g. capture a shared_ptr to the transaction); it is
  // destroyed when the wait completes or is cancelled.
  void start(Milliseconds after, std::function<void()> on_expiry);
  void cancel();
  bool pending() const { return pending_; }

 private:
  boost::asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  bool pending_ = false;
};

}  // namespace va::sip
