#include "media/media_clock.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

namespace va::media {

struct MediaClock::State : std::enable_shared_from_this<MediaClock::State> {
  struct Entry {
    HandlerId id;
    Handler handler;
    bool active;
  };

  State(boost::asio::io_context& io, Options opts) : timer(io), options(opts) {}

  void remove(HandlerId id) {
    for (auto* list : {&entries, &added}) {
      for (Entry& e : *list) {
        if (e.id == id) e.active = false;
      }
    }
    // The handler object itself is destroyed after the tick (it may be the one running now).
    if (!dispatching) compact();
  }

  void schedule() {
    timer.expires_at(start + options.period * static_cast<std::int64_t>(next_index));
    timer.async_wait(
        [weak = weak_from_this(), scheduled_in = generation](const boost::system::error_code& ec) {
          if (ec) return;  // cancelled by stop() or by the clock's destruction
          const auto self = weak.lock();
          if (self && self->running && self->generation == scheduled_in) self->on_timer();
        });
  }

  void on_timer() {
    // A handler may stop (and restart) the clock: the rest of this wake-up then belongs to an old timeline.
    const std::uint64_t current = generation;
    auto same_timeline = [&] { return running && generation == current; };
    const Clock::time_point now = Clock::now();
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
    const auto last_due = static_cast<std::uint64_t>(elapsed / options.period);
    if (last_due >= next_index) {
      const std::uint64_t due = last_due - next_index + 1;
      const auto lateness =
          std::chrono::duration_cast<std::chrono::microseconds>(now - deadline_of(next_index));
      stats.max_lateness = std::max(stats.max_lateness, lateness);
      if (due > 1) ++stats.late_wakeups;
      const std::uint64_t keep =
          options.catch_up == CatchUp::skip ? 1 : std::max<std::uint64_t>(1, options.max_burst);
      std::uint64_t skipped = due > keep ? due - keep : 0;
      next_index += skipped;
      stats.skipped += skipped;
      while (same_timeline() && next_index <= last_due) {
        // Advance first: a handler that restarts the clock sets next_index for the new timeline.
        const std::uint64_t index = next_index++;
        dispatch(MediaTick{.index = index, .deadline = deadline_of(index), .woke = now, .skipped = skipped});
        skipped = 0;
      }
    }
    if (same_timeline()) schedule();  // also after an early wake-up (the timer may fire a hair early)
  }

  Clock::time_point deadline_of(std::uint64_t index) const {
    return start + options.period * static_cast<std::int64_t>(index);
  }

  void dispatch(const MediaTick& tick) {
    ++stats.ticks;
    // Entries are not added to `entries` during dispatch (they wait in `added`), so the vector does not
    // reallocate under a running handler; removals only clear the active flag until compact().
    struct Dispatching {
      explicit Dispatching(State& s) : state(s) { state.dispatching = true; }
      ~Dispatching() {
        state.dispatching = false;
        state.compact();
      }
      Dispatching(const Dispatching&) = delete;
      Dispatching& operator=(const Dispatching&) = delete;
      State& state;
    } guard(*this);
    const std::uint64_t current = generation;
    for (std::size_t i = 0; i < entries.size() && running && generation == current; ++i) {
      if (entries[i].active) entries[i].handler(tick);
    }
  }

  void compact() {
    std::erase_if(entries, [](const Entry& e) { return !e.active; });
    for (Entry& e : added) entries.push_back(std::move(e));
    added.clear();
  }

  boost::asio::steady_timer timer;
  Options options;
  Clock::time_point start{};
  std::uint64_t next_index = 1;
  std::uint64_t generation = 0;
  bool running = false;
  bool dispatching = false;
  std::vector<Entry> entries;
  std::vector<Entry> added;  // during dispatch
  HandlerId next_id = 1;
  Stats stats;
};

MediaClock::MediaClock(boost::asio::io_context& io, Options options)
    : state_(std::make_shared<State>(io, options)) {
  if (options.period.count() <= 0) throw std::invalid_argument("media clock: period must be positive");
}

MediaClock::~MediaClock() {
  stop();
}

void MediaClock::start() {
  if (state_->running) return;
  state_->running = true;
  ++state_->generation;
  state_->start = Clock::now();
  state_->next_index = 1;
  state_->schedule();
}

void MediaClock::stop() {
  if (!state_->running) return;
  state_->running = false;
  ++state_->generation;
  state_->timer.cancel();
}

bool MediaClock::running() const {
  return state_->running;
}
MediaClock::Clock::time_point MediaClock::start_time() const {
  return state_->start;
}
const MediaClock::Options& MediaClock::options() const {
  return state_->options;
}
const MediaClock::Stats& MediaClock::stats() const {
  return state_->stats;
}

MediaClock::HandlerId MediaClock::add(Handler handler) {
  const HandlerId id = state_->next_id++;
  auto& list = state_->dispatching ? state_->added : state_->entries;
  list.push_back(State::Entry{id, std::move(handler), true});
  return id;
}

void MediaClock::remove(HandlerId id) {
  state_->remove(id);
}

std::size_t MediaClock::handler_count() const {
  std::size_t n = 0;
  for (const auto* list : {&state_->entries, &state_->added}) {
    n += static_cast<std::size_t>(
        std::count_if(list->begin(), list->end(), [](const State::Entry& e) { return e.active; }));
  }
  return n;
}

MediaClock::Subscription::Subscription(Subscription&& other) noexcept
    : state_(std::exchange(other.state_, {})), id_(std::exchange(other.id_, 0)) {}

MediaClock::Subscription& MediaClock::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::exchange(other.state_, {});
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void MediaClock::Subscription::reset() {
  if (auto state = state_.lock()) state->remove(id_);
  state_.reset();
  id_ = 0;
}

}  // namespace va::media
