#include "media/media_threads.hpp"

#include <boost/asio/post.hpp>
#include <future>

namespace va::media {

MediaThreads::MediaThreads(std::size_t threads) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->clock = std::make_unique<media::MediaClock>(shard->io);
    shards_.push_back(std::move(shard));
  }
}

MediaThreads::~MediaThreads() {
  stop();
}

void MediaThreads::start() {
  if (started_) return;
  started_ = true;
  for (auto& shard : shards_) {
    work_.push_back(boost::asio::make_work_guard(shard->io));
    boost::asio::post(shard->io, [s = shard.get()] { s->clock->start(); });
    threads_.emplace_back([s = shard.get()] { s->io.run(); });
  }
}

void MediaThreads::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& shard : shards_) {
    std::promise<void> stopped;
    auto done = stopped.get_future();
    boost::asio::post(shard->io, [s = shard.get(), &stopped] {
      s->clock->stop();
      stopped.set_value();
    });
    done.wait();
  }
  work_.clear();
  for (auto& shard : shards_) shard->io.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

MediaThreads::Shard& MediaThreads::next() {
  return *shards_[next_++ % shards_.size()];
}

}  // namespace va::media
