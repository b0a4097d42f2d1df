#include "media/recording_writer.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <system_error>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "media/wav_file_writer.hpp"

namespace va::media {
namespace {

std::string file_token(const std::string& call_name) {
  std::string token;
  token.reserve(call_name.size());
  for (char c : call_name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    token.push_back(ok ? c : '_');
  }
  if (token.empty()) token = "unnamed";
  return token.substr(0, 160);
}

}  // namespace

std::vector<std::string> recording_file_names(const std::string& call_name, RecordingMode mode) {
  const auto stem = "call-" + file_token(call_name);
  if (mode == RecordingMode::split) return {stem + "-caller.wav", stem + "-agent.wav"};
  return {stem + ".wav"};
}

// The writer thread's side of one recording: the files and both sides' audio from `written` on.
struct RecordingWriter::Open {
  std::shared_ptr<CallRecorder> recorder;
  std::array<WavFileWriter, 2> files;
  bool failed = false;
  SampleTime written{0};
  std::vector<std::int16_t> caller;  // caller[i] is at written + i
  std::vector<std::int16_t> agent;
  std::vector<std::int16_t> scratch;
  std::uint64_t late_samples = 0;
  std::uint64_t far_ahead_entries = 0;
};

RecordingWriter::RecordingWriter(RecordingWriterOptions options, metrics::Registry* metrics)
    : options_(std::move(options)) {
  std::error_code ec;
  options_.dir = std::filesystem::absolute(options_.dir, ec);
  std::filesystem::create_directories(options_.dir, ec);
  if (ec || !std::filesystem::is_directory(options_.dir, ec))
    open_error_ = "recording.dir '" + options_.dir.string() + "' cannot be created: " + ec.message();
  if (metrics) {
    dropped_ = &metrics
                    ->counter("recording_dropped_frames_total",
                              "Frames of recorded calls dropped because the recording writer fell behind")
                    .get();
    started_ = &metrics->counter("recordings_started_total", "Call recordings started").get();
    errors_ = &metrics
                   ->counter("recording_errors_total",
                             "Call recordings ended early because a file could not be written")
                   .get();
  }
  thread_ = std::thread([this] { run(); });
}

RecordingWriter::~RecordingWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<CallRecorder> RecordingWriter::start(const std::string& call_name, RecordingMode mode,
                                                     CallRecorder::Clock::time_point now) {
  std::vector<std::string> paths;
  for (const auto& name : recording_file_names(call_name, mode))
    paths.push_back((options_.dir / name).string());
  auto recorder = std::make_shared<CallRecorder>(call_name, mode, std::move(paths), now,
                                                 options_.queue_capacity, dropped_);
  if (started_) started_->inc();
  {
    std::lock_guard lock(mutex_);
    arrived_.push_back(recorder);
  }
  return recorder;
}

void RecordingWriter::run() {
  std::vector<std::unique_ptr<Open>> open;
  bool stopping = false;
  while (!stopping) {
    std::vector<std::shared_ptr<CallRecorder>> arrived;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.write_interval, [this] { return stopping_; });
      stopping = stopping_;
      arrived.swap(arrived_);
    }
    for (auto& recorder : arrived) {
      auto o = std::make_unique<Open>();
      o->recorder = std::move(recorder);
      const auto& files = o->recorder->files();
      const int channels = o->recorder->mode() == RecordingMode::stereo ? 2 : 1;
      for (std::size_t i = 0; i < files.size() && !o->failed; ++i) {
        if (auto e = o->files[i].open(files[i], kPipelineSampleRate, channels)) {
          log::error("recording: cannot create the file",
                     {{"call", o->recorder->call_name()}, {"error", *e}});
          o->failed = true;
        }
      }
      if (o->failed && errors_) errors_->inc();
      open.push_back(std::move(o));
    }
    const auto now = CallRecorder::Clock::now();
    std::erase_if(open, [&](const std::unique_ptr<Open>& o) { return service(*o, now, stopping); });
  }
}

bool RecordingWriter::service(Open& o, CallRecorder::Clock::time_point now, bool final) {
  auto& r = *o.recorder;
  // Read before draining: every entry pushed before stop() is in the queue by then.
  const bool stopped = r.stopped();
  const SampleTime max_ahead = std::chrono::duration_cast<SampleTime>(options_.max_ahead);
  CallRecorder::Entry e;
  while (r.pop(e)) {
    if (o.failed) continue;
    if (e.kind == CallRecorder::Entry::Kind::agent_flush) {
      // What was queued for the caller after this moment never reached the wire.
      const auto keep = std::max<std::int64_t>((e.at - o.written).count(), 0);
      if (static_cast<std::int64_t>(o.agent.size()) > keep) o.agent.resize(static_cast<std::size_t>(keep));
      continue;
    }
    auto& track = e.kind == CallRecorder::Entry::Kind::caller ? o.caller : o.agent;
    std::int64_t offset = (e.at - o.written).count();
    if (offset > max_ahead.count()) {
      ++o.far_ahead_entries;
      continue;
    }
    std::size_t skip = 0;
    if (offset < 0) {
      skip = static_cast<std::size_t>(std::min<std::int64_t>(-offset, kFrameSamples));
      o.late_samples += skip;
      offset = 0;
    }
    if (skip >= kFrameSamples) continue;
    const std::size_t n = kFrameSamples - skip;
    const auto begin = static_cast<std::size_t>(offset);
    if (track.size() < begin + n) track.resize(begin + n, 0);
    std::copy_n(e.samples.begin() + static_cast<std::ptrdiff_t>(skip), n,
                track.begin() + static_cast<std::ptrdiff_t>(begin));
  }
  const bool finishing = stopped || final;
  if (o.failed) return finishing;

  SampleTime horizon;
  if (stopped) {
    horizon = r.stopped_at();
    const auto keep = static_cast<std::size_t>(std::max<std::int64_t>((horizon - o.written).count(), 0));
    if (o.caller.size() > keep) o.caller.resize(keep);
    if (o.agent.size() > keep) o.agent.resize(keep);
  } else if (final) {
    horizon = o.written + SampleTime{static_cast<std::int64_t>(std::max(o.caller.size(), o.agent.size()))};
  } else {
    horizon = std::chrono::duration_cast<SampleTime>(now - r.started() - options_.hold_back);
  }
  if (horizon > o.written) {
    const auto n = static_cast<std::size_t>((horizon - o.written).count());
    auto sample = [](const std::vector<std::int16_t>& track, std::size_t i) -> std::int16_t {
      return i < track.size() ? track[i] : std::int16_t{0};
    };
    std::optional<std::string> error;
    if (r.mode() == RecordingMode::stereo) {
      o.scratch.resize(2 * n);
      for (std::size_t i = 0; i < n; ++i) {
        o.scratch[2 * i] = sample(o.caller, i);
        o.scratch[2 * i + 1] = sample(o.agent, i);
      }
      error = o.files[0].append(o.scratch);
    } else {
      for (std::size_t f = 0; f < 2 && !error; ++f) {
        const auto& track = f == 0 ? o.caller : o.agent;
        o.scratch.resize(n);
        for (std::size_t i = 0; i < n; ++i) o.scratch[i] = sample(track, i);
        error = o.files[f].append(o.scratch);
      }
    }
    for (auto* track : {&o.caller, &o.agent})
      track->erase(track->begin(), track->begin() + static_cast<std::ptrdiff_t>(std::min(n, track->size())));
    o.written = horizon;
    if (error) {
      log::error("recording: cannot write, the recording ends here",
                 {{"call", r.call_name()}, {"error", *error}});
      if (errors_) errors_->inc();
      o.failed = true;
      for (auto& f : o.files) (void)f.close();
      return finishing;
    }
  }
  if (!finishing) return false;
  for (auto& f : o.files) {
    if (auto e2 = f.close())
      log::error("recording: cannot close the file", {{"call", r.call_name()}, {"error", *e2}});
  }
  log::info("recording: finished", {{"call", r.call_name()},
                                    {"seconds", static_cast<double>(o.written.count()) / kPipelineSampleRate},
                                    {"dropped_frames", static_cast<std::int64_t>(r.dropped_entries())},
                                    {"late_samples", static_cast<std::int64_t>(o.late_samples)},
                                    {"far_ahead_frames", static_cast<std::int64_t>(o.far_ahead_entries)}});
  return true;
}

}  // namespace va::media
