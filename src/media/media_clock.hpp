// The media clock: one 20 ms tick per io_context thread paces every call on that thread (design.md,
// "Threading": no timer per packet or per call). Each call's media subscribes a handler; each tick it pulls
// from its jitter buffer, sends the next packet, and feeds the pipeline.
//
// Scheduling is drift-free: tick n is due at start + n·period, computed from the start time rather than from
// the previous wake-up, so timer latency never accumulates. When the thread wakes up late by more than a
// period (it was busy, or the machine stalled), the catch-up policy decides:
// - CatchUp::burst (default): run the missed ticks back to back, up to max_burst of them; older ones are
//   skipped. Each tick stands for exactly one period of media, so RTP timestamps, jitter-buffer pulls and
//   pipeline frames stay in step with the wall clock; the peer's jitter buffer absorbs the small burst of
//   packets. Beyond max_burst (100 ms by default) a burst would only flood the peer with stale audio.
// - CatchUp::skip: run only the latest due tick. For consumers that prefer gaps to bursts.
// Skipped ticks are reported in MediaTick::skipped, so a handler can advance its timestamps over the gap.
//
// Not thread-safe: use it from the thread that runs its io_context (which is the only place ticks run).
// Handlers may be added and removed at any time, including from inside a tick handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace va::media {

enum class CatchUp { burst, skip };

struct MediaTick {
  std::uint64_t index = 0;  // tick n is due at start + n·period; the first tick is 1
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point woke;  // when the timer fired (≥ deadline)
  std::uint64_t skipped = 0;                   // ticks dropped by the catch-up policy just before this one
};

struct MediaClockOptions {
  std::chrono::microseconds period{std::chrono::milliseconds{20}};
  CatchUp catch_up = CatchUp::burst;
  std::uint64_t max_burst = 5;  // ticks run back to back at most (burst policy)
};

struct MediaClockStats {
  std::uint64_t ticks = 0;                    // ticks dispatched
  std::uint64_t skipped = 0;                  // ticks dropped by the catch-up policy
  std::uint64_t late_wakeups = 0;             // wake-ups with more than one tick due
  std::chrono::microseconds max_lateness{0};  // worst wake-up time after a deadline
};

class MediaClock {
 public:
  using Clock = std::chrono::steady_clock;
  using Handler = std::function<void(const MediaTick&)>;
  using HandlerId = std::uint64_t;

  using Options = MediaClockOptions;
  using Stats = MediaClockStats;

  struct State;  // defined in media_clock.cpp

  // An RAII subscription: removes its handler when destroyed. It may outlive the clock (then it does
  // nothing): a call leg held by a pending handler can be destroyed after its media thread's clock.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(MediaClock& clock, HandlerId id) : state_(clock.state_), id_(id) {}
    ~Subscription() { reset(); }
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    void reset();
    HandlerId id() const { return id_; }

   private:
    std::weak_ptr<State> state_;
    HandlerId id_ = 0;
  };

  explicit MediaClock(boost::asio::io_context& io, Options options = {});
  ~MediaClock();
  MediaClock(const MediaClock&) = delete;
  MediaClock& operator=(const MediaClock&) = delete;

  // Starts ticking: tick 1 is due one period from now. No effect when running.
  void start();
  // Stops ticking (also from inside a handler: the remaining handlers of that tick do not run).
  void stop();
  bool running() const;
  Clock::time_point start_time() const;

  // Adds a handler; added during a tick, it runs from the next tick on.
  HandlerId add(Handler handler);
  // Removes a handler; from inside a tick, it is not called again, even later in the same tick.
  void remove(HandlerId id);
  Subscription subscribe(Handler handler) { return Subscription(*this, add(std::move(handler))); }
  std::size_t handler_count() const;

  const Options& options() const;
  const Stats& stats() const;

 private:
  std::shared_ptr<State> state_;  // shared with pending timer callbacks, which may outlive the clock
};

}  // namespace va::media
