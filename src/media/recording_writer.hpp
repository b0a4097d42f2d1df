// The call recordings' writer (issue 12 item 11): one thread for every recorded call of the process. Each
// call's media thread feeds its CallRecorder (media/call_recorder.hpp); every `write_interval` this thread
// drains the recorders' queues, lays both sides out on the call's timeline (silence where a side has no
// audio) and appends 16-bit PCM at the pipeline rate (16 kHz) to `<dir>/call-<name>.wav` (stereo: left the
// caller, right the agent) or to `call-<name>-caller.wav` and `call-<name>-agent.wav` (split: two mono files
// of equal length). Audio is written `hold_back` behind the clock, so a frame arriving a little late — or
// agent audio queued on the leg and then flushed by a barge-in — is still placed right. The WAV header is
// updated after every append (media/wav_file_writer.hpp): a recording cut short by a crash stays readable.
//
// Files are opened on this thread, never on a media thread. A file that cannot be written ends that
// recording (logged, recording_errors_total); the call goes on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "media/call_recorder.hpp"

namespace va::metrics {
class Registry;
class Counter;
}  // namespace va::metrics

namespace va::media {

struct RecordingWriterOptions {
  std::filesystem::path dir;  // created when missing
  std::chrono::milliseconds write_interval{100};
  std::chrono::milliseconds hold_back{500};
  std::size_t queue_capacity = 256;  // entries per call: ~2.5 s of both sides
  // Audio placed further than this ahead of what is written is dropped (bounds the writer's memory).
  std::chrono::seconds max_ahead{120};
};

// The file names a recording of `call_name` uses — and the only names the retention sweeper deletes
// (media/recording_retention.hpp). `call_name` is reduced to [A-Za-z0-9._-].
std::vector<std::string> recording_file_names(const std::string& call_name, RecordingMode mode);

class RecordingWriter {
 public:
  // `metrics` may be null (tests). Creating the directory is the caller's check (open_error()).
  RecordingWriter(RecordingWriterOptions options, metrics::Registry* metrics);
  // Writes what every recorder still holds, closes the files, joins the thread.
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Empty when the directory exists (or was created) and is writable.
  const std::string& open_error() const { return open_error_; }
  const std::filesystem::path& dir() const { return options_.dir; }

  // A new recording starting `now` (the call was answered); its files() are the absolute paths. Allocates
  // the recorder's queue; no file I/O (the writer thread creates the files).
  std::shared_ptr<CallRecorder> start(const std::string& call_name, RecordingMode mode,
                                      CallRecorder::Clock::time_point now);

 private:
  struct Open;
  void run();
  // Drains, writes up to the horizon, and returns true when the recording is finished (stopped, or `final`).
  bool service(Open& open, CallRecorder::Clock::time_point now, bool final);

  RecordingWriterOptions options_;
  std::string open_error_;
  metrics::Counter* dropped_ = nullptr;
  metrics::Counter* started_ = nullptr;
  metrics::Counter* errors_ = nullptr;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::shared_ptr<CallRecorder>> arrived_;  // started, not yet taken by the thread
  std::thread thread_;
};

}  // namespace va::media
