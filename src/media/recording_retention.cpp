#include "media/recording_retention.hpp"

#include <system_error>

#include "common/log.hpp"
#include "common/metrics.hpp"

namespace va::media {

bool is_recording_file_name(std::string_view name) {
  constexpr std::string_view prefix = "call-";
  constexpr std::string_view suffix = ".wav";
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
    return false;
  const auto token = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  for (char c : token) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

RetentionSweep sweep_recordings(const std::filesystem::path& dir, std::chrono::seconds retention,
                                std::filesystem::file_time_type now) {
  RetentionSweep result;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    log::warn("recording retention: cannot read the directory",
              {{"dir", dir.string()}, {"error", ec.message()}});
    return result;
  }
  const auto cutoff = now - retention;
  for (const auto end = std::filesystem::directory_iterator(); it != end; it.increment(ec)) {
    if (ec) break;
    const auto& entry = *it;
    const auto name = entry.path().filename().string();
    if (!is_recording_file_name(name)) continue;
    std::error_code status_ec;
    // symlink_status: a link named like a recording is not ours to follow, nor to delete.
    if (!std::filesystem::is_regular_file(entry.symlink_status(status_ec))) continue;
    const auto modified = std::filesystem::last_write_time(entry.path(), status_ec);
    if (status_ec) continue;
    if (modified >= cutoff) {
      ++result.kept;
      continue;
    }
    if (std::filesystem::remove(entry.path(), status_ec)) {
      ++result.deleted;
    } else if (status_ec) {
      ++result.failed;
      log::warn("recording retention: cannot delete",
                {{"file", entry.path().string()}, {"error", status_ec.message()}});
    }
  }
  return result;
}

RecordingRetention::RecordingRetention(std::filesystem::path dir, std::chrono::seconds retention,
                                       std::chrono::seconds interval, metrics::Registry* metrics)
    : dir_(std::move(dir)), retention_(retention), interval_(interval) {
  if (metrics)
    deleted_ = &metrics
                    ->counter("recording_files_deleted_total",
                              "Call recording files deleted because they were older than recording.retention")
                    .get();
  thread_ = std::thread([this] { run(); });
}

RecordingRetention::~RecordingRetention() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RecordingRetention::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto swept = sweep_recordings(dir_, retention_);
    if (deleted_ && swept.deleted > 0) deleted_->inc(static_cast<double>(swept.deleted));
    if (swept.deleted > 0 || swept.failed > 0)
      log::info("recording retention: old recordings deleted", {{"dir", dir_.string()},
                                                                {"deleted", swept.deleted},
                                                                {"failed", swept.failed},
                                                                {"kept", swept.kept}});
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace va::media
