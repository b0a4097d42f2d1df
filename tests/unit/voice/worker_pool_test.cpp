// The engines' worker pool: bounded (a full queue says no at once), urgent jobs (a reply's synthesis) ahead
// of waiting normal ones (decodes), and a throwing job does not take a worker down.
#include "voice/worker_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace va::voice {
namespace {

using namespace std::chrono_literals;

// Holds the pool's only worker until release(), so what is submitted meanwhile waits in the queue.
class Gate {
 public:
  WorkerPool::Job job() {
    return [this] {
      std::unique_lock lock(mutex_);
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
    };
  }
  bool wait_entered() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [this] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool open_ = false;
};

TEST(WorkerPool, UrgentJobsRunBeforeWaitingNormalOnesInTheirOwnOrder) {
  WorkerPool pool(1, 8);
  Gate gate;
  ASSERT_TRUE(pool.submit(gate.job()));
  ASSERT_TRUE(gate.wait_entered());
  std::mutex mutex;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name] {
      std::lock_guard lock(mutex);
      order.push_back(name);
    };
  };
  ASSERT_TRUE(pool.submit(record("decode 1")));
  ASSERT_TRUE(pool.submit(record("decode 2")));
  ASSERT_TRUE(pool.submit(record("reply 1"), WorkerPool::Priority::urgent));
  ASSERT_TRUE(pool.submit(record("reply 2"), WorkerPool::Priority::urgent));
  gate.release();
  pool.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"reply 1", "reply 2", "decode 1", "decode 2"}));
}

TEST(WorkerPool, AFullQueueSaysNoAtOnceWhateverThePriority) {
  WorkerPool pool(1, 1);
  Gate gate;
  ASSERT_TRUE(pool.submit(gate.job()));
  ASSERT_TRUE(gate.wait_entered());
  EXPECT_TRUE(pool.submit([] {}));
  EXPECT_FALSE(pool.submit([] {}));
  EXPECT_FALSE(pool.submit([] {}, WorkerPool::Priority::urgent));
  gate.release();
}

TEST(WorkerPool, AThrowingJobDoesNotTakeTheWorkerDown) {
  WorkerPool pool(1, 4);
  bool ran = false;
  ASSERT_TRUE(pool.submit([] { throw std::runtime_error("engine exploded"); }));
  ASSERT_TRUE(pool.submit([&] { ran = true; }));
  pool.stop();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace va::voice
