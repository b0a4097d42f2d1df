// The bounded pool where CPU-heavy engine work runs (recognition, synthesis), so a slow engine never holds a
// call's media thread (design.md, "Threading"). Fixed threads, a bounded queue: when every worker is busy
// and the queue is full, submit() says no at once and the caller falls back (a spoken "one moment", a
// re-prompt) instead of queueing speech that would come too late to matter.
//
// Results go back to the call's thread by the job itself (boost::asio::post to the call's executor).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace va::voice {

class WorkerPool {
 public:
  using Job = std::function<void()>;
  // urgent jobs run before every normal one waiting (first come, first served among themselves): a reply's
  // synthesis (tens of ms, and the caller is waiting for it) should not queue behind other calls' decodes
  // (~1 s each) — shortest job first, which keeps the mean wait of all calls lowest.
  enum class Priority { normal, urgent };

  // `threads` >= 1; `queue_limit`: jobs waiting beyond the running ones.
  WorkerPool(std::size_t threads, std::size_t queue_limit, std::string name = "voice-worker");
  ~WorkerPool();  // stop(): runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the job is then not run.
  bool submit(Job job, Priority priority = Priority::normal);
  // Waits for the queued jobs to finish and joins the threads. Idempotent.
  void stop();

  std::size_t threads() const { return threads_.size(); }
  std::size_t queued() const;
  std::size_t busy() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::size_t urgent_ = 0;  // urgent jobs at the front of queue_
  std::size_t queue_limit_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace va::voice
