// Retention of the call recordings (recording.retention): a file in recording.dir whose name is one the
// writer makes (call-<name>.wav, call-<name>-caller.wav, call-<name>-agent.wav; media/recording_writer.hpp)
// and whose last modification is older than the retention is deleted. Anything else in the directory —
// another program's files, a subdirectory, a symlink — is never touched. A recording in progress is
// modified every write interval, so it is never old enough.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>

namespace va::metrics {
class Registry;
class Counter;
}  // namespace va::metrics

namespace va::media {

// True for the names the recording writer makes.
bool is_recording_file_name(std::string_view name);

struct RetentionSweep {
  std::size_t deleted = 0;
  std::size_t kept = 0;    // our files, younger than the retention
  std::size_t failed = 0;  // our files that could not be deleted (logged)
};

// One pass over `dir`: deletes our files last modified before `now - retention`.
RetentionSweep sweep_recordings(
    const std::filesystem::path& dir, std::chrono::seconds retention,
    std::filesystem::file_time_type now = std::filesystem::file_time_type::clock::now());

// Sweeps at construction and then every `interval` on its own thread, until destroyed. Counts deletions in
// recording_files_deleted_total.
class RecordingRetention {
 public:
  RecordingRetention(std::filesystem::path dir, std::chrono::seconds retention, std::chrono::seconds interval,
                     metrics::Registry* metrics);
  ~RecordingRetention();
  RecordingRetention(const RecordingRetention&) = delete;
  RecordingRetention& operator=(const RecordingRetention&) = delete;

 private:
  void run();

  std::filesystem::path dir_;
  std::chrono::seconds retention_;
  std::chrono::seconds interval_;
  metrics::Counter* deleted_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace va::media
