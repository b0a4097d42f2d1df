#include "voice/worker_pool.hpp"

#include <pthread.h>

#include "common/log.hpp"

namespace va::voice {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_limit, std::string name)
    : queue_limit_(queue_limit) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { run(); });
    // Linux thread names are at most 15 characters.
    pthread_setname_np(threads_.back().native_handle(), name.substr(0, 15).c_str());
  }
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::submit(Job job, Priority priority) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_ + (threads_.size() - std::min(busy_, threads_.size())))
      return false;
    if (priority == Priority::urgent) {
      queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(urgent_), std::move(job));
      ++urgent_;
    } else {
      queue_.push_back(std::move(job));
    }
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t WorkerPool::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

void WorkerPool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      if (urgent_ > 0) --urgent_;
      ++busy_;
    }
    try {
      job();
    } catch (const std::exception& e) {
      // An engine that throws must not take the pool (and every call's speech) down with it.
      log::error("voice worker job failed", {{"error", std::string(e.what())}});
    } catch (...) {
      log::error("voice worker job failed", {{"error", std::string("unknown exception")}});
    }
    std::lock_guard lock(mutex_);
    --busy_;
  }
}

}  // namespace va::voice
