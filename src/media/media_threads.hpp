// The threads that run calls, whatever their transport (SIP dialogs, LiveKit rooms) (design.md "Threading"):
// N threads, each with its own io_context and its own MediaClock. A call is pinned to one of them for its
// whole life, so all its RTP, timers and pipeline events run on that one thread, in order, without locks; the
// thread's single 20 ms tick paces every call on it.
//
// Why an io_context per thread instead of strands on one shared io_context: MediaClock is single-threaded
// (media_clock.hpp: "use it from the thread that runs its io_context"), and a strand of a shared io_context
// hops between threads, so "one tick per thread drives all calls on that thread" needs the call to stay on
// one thread. A one-thread io_context is a strand by construction (its executor is the call's strand).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "media/media_clock.hpp"

namespace va::media {

class MediaThreads {
 public:
  struct Shard {
    // Declared first, destroyed last: the clock's timer must go before its io_context. Pending handlers
    // destroyed with the io_context may still hold legs whose clock subscriptions outlive the clock; those
    // subscriptions hold only a weak reference and then do nothing.
    boost::asio::io_context io{1};
    std::unique_ptr<media::MediaClock> clock;
  };

  explicit MediaThreads(std::size_t threads);
  ~MediaThreads();  // stop() + join
  MediaThreads(const MediaThreads&) = delete;
  MediaThreads& operator=(const MediaThreads&) = delete;

  void start();
  // Stops the clocks and the io_contexts and joins the threads. Idempotent.
  void stop();

  // The next shard, round robin: where a new call lives.
  Shard& next();
  std::size_t size() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  bool started_ = false;
};

}  // namespace va::media
