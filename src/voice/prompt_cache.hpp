// Synthesised audio of fixed prompts (greetings, menus), kept per process so a prompt every caller hears is
// synthesised once. Keyed by voice, language and text; bounded in bytes, least recently used out first.
// Thread-safe: calls on different threads share it.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace va::voice {

class PromptCache {
 public:
  using Audio = std::shared_ptr<const std::vector<std::int16_t>>;

  explicit PromptCache(std::size_t max_bytes = 64u << 20) : max_bytes_(max_bytes) {}

  Audio find(std::string_view voice, std::string_view language, std::string_view text) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(Key{std::string(voice), std::string(language), std::string(text)});
    if (it == entries_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second.audio;
  }

  void store(std::string_view voice, std::string_view language, std::string_view text, Audio audio) {
    if (!audio) return;
    const std::size_t bytes = audio->size() * sizeof(std::int16_t);
    if (bytes > max_bytes_) return;
    std::lock_guard lock(mutex_);
    Key key{std::string(voice), std::string(language), std::string(text)};
    if (entries_.count(key)) return;
    while (bytes_ + bytes > max_bytes_ && !lru_.empty()) {
      auto victim = entries_.find(lru_.back());
      bytes_ -= victim->second.audio->size() * sizeof(std::int16_t);
      entries_.erase(victim);
      lru_.pop_back();
    }
    lru_.push_front(key);
    entries_.emplace(std::move(key), Entry{std::move(audio), lru_.begin()});
    bytes_ += bytes;
  }

  std::size_t hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
  }
  std::size_t misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Entry {
    Audio audio;
    std::list<Key>::iterator position;
  };

  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace va::voice
