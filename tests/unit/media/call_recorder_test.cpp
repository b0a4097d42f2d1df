// The call recorder and its writer (media/call_recorder.hpp, media/recording_writer.hpp): where frames land
// on the recording's timeline whatever order and bursts they arrive in, what a barge-in flush removes, what a
// full queue drops (and that the timeline survives it), and a WAV whose header is right while it is written.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "media/recording_writer.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;
using Clock = CallRecorder::Clock;

class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string templ = (std::filesystem::temp_directory_path() / "va-recorder-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~ScratchDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Wav {
  std::uint32_t riff_size = 0;
  std::uint32_t data_size = 0;
  std::size_t file_size = 0;
  int channels = 0;
  int sample_rate = 0;
  std::vector<std::vector<std::int16_t>> tracks;
};

Wav read_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Wav w;
  w.file_size = b.size();
  if (b.size() < 44) return w;
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  };
  auto u16 = [&](std::size_t at) {
    std::uint16_t v = 0;
    std::memcpy(&v, b.data() + at, 2);
    return v;
  };
  EXPECT_EQ(b.compare(0, 4, "RIFF"), 0);
  EXPECT_EQ(b.compare(8, 8, "WAVEfmt "), 0);
  EXPECT_EQ(b.compare(36, 4, "data"), 0);
  EXPECT_EQ(u16(34), 16);
  w.riff_size = u32(4);
  w.data_size = u32(40);
  w.channels = u16(22);
  w.sample_rate = static_cast<int>(u32(24));
  const std::size_t frames = (b.size() - 44) / (2u * static_cast<unsigned>(w.channels));
  w.tracks.assign(static_cast<std::size_t>(w.channels), std::vector<std::int16_t>(frames));
  for (std::size_t i = 0; i < frames; ++i)
    for (int c = 0; c < w.channels; ++c)
      std::memcpy(&w.tracks[c][i], b.data() + 44 + 2 * (i * w.channels + c), 2);
  return w;
}

void expect_consistent_header(const Wav& w) {
  EXPECT_EQ(w.riff_size, w.file_size - 8);
  EXPECT_EQ(w.data_size, w.file_size - 44);
}

AudioFrame frame_of(std::int16_t value, SampleTime timestamp) {
  AudioFrame f;
  f.samples.fill(value);
  f.timestamp = timestamp;
  return f;
}

constexpr std::int64_t kFrame = static_cast<std::int64_t>(kFrameSamples);
constexpr std::int64_t samples_at(std::chrono::milliseconds t) {
  return t.count() * kPipelineSampleRate / 1000;
}

// Nothing is written before the writer is destroyed (or the call stops): entries stay in the queue.
RecordingWriterOptions quiet_writer(const std::filesystem::path& dir, std::size_t capacity = 1024) {
  RecordingWriterOptions o;
  o.dir = dir;
  o.write_interval = 1h;
  o.queue_capacity = capacity;
  return o;
}

TEST(CallRecorder, FramesLandBySampleCountNotByArrivalAndAFlushRemovesWhatNeverPlayed) {
  ScratchDirectory dir;
  const auto t0 = Clock::now();
  std::vector<std::string> files;
  {
    RecordingWriter writer(quiet_writer(dir.path()), nullptr);
    ASSERT_EQ(writer.open_error(), "");
    auto rec = writer.start("abc", RecordingMode::stereo, t0);
    files = rec->files();
    // 50 caller frames (1 s) with contiguous media timestamps, delivered in bursts of five every 100 ms
    // (a media thread catching up): they follow each other sample for sample from the first one, which
    // ended when it arrived (100 ms).
    for (int k = 0; k < 50; ++k)
      rec->caller_audio(frame_of(static_cast<std::int16_t>(k + 1), SampleTime{k * kFrame}),
                        t0 + 100ms + (k / 5) * 100ms);
    // The agent: a prompt queued at 500 ms, ten frames at once (the leg paces them), then a barge-in at
    // 600 ms: only the 100 ms that reached the wire stay.
    for (int k = 0; k < 10; ++k)
      rec->agent_audio(frame_of(static_cast<std::int16_t>(-(k + 1)), SampleTime{0}),
                       static_cast<std::size_t>(k), t0 + 500ms);
    rec->agent_flushed(t0 + 600ms);
    rec->stop(t0 + 2s);
  }
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(std::filesystem::path(files[0]).filename(), "call-abc.wav");
  const auto w = read_wav(files[0]);
  expect_consistent_header(w);
  ASSERT_EQ(w.channels, 2);
  EXPECT_EQ(w.sample_rate, 16000);
  ASSERT_EQ(w.tracks[0].size(), static_cast<std::size_t>(samples_at(2000ms))) << "as long as the call";
  const auto& left = w.tracks[0];
  const auto& right = w.tracks[1];
  const auto caller_from = samples_at(80ms);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(left.size()); ++i) {
    const auto k = (i - caller_from) / kFrame;
    const std::int16_t want = i >= caller_from && k < 50 ? static_cast<std::int16_t>(k + 1) : 0;
    ASSERT_EQ(left[static_cast<std::size_t>(i)], want) << "caller sample " << i;
  }
  const auto agent_from = samples_at(500ms);
  const auto agent_to = samples_at(600ms);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(right.size()); ++i) {
    const auto k = (i - agent_from) / kFrame;
    const std::int16_t want = i >= agent_from && i < agent_to ? static_cast<std::int16_t>(-(k + 1)) : 0;
    ASSERT_EQ(right[static_cast<std::size_t>(i)], want) << "agent sample " << i;
  }
}

TEST(CallRecorder, AStreamThatStallsOrJumpsIsReanchoredAtTheClock) {
  ScratchDirectory dir;
  const auto t0 = Clock::now();
  std::vector<std::string> files;
  {
    RecordingWriter writer(quiet_writer(dir.path()), nullptr);
    auto rec = writer.start("stall", RecordingMode::split, t0);
    files = rec->files();
    // Five frames in real time from 20 ms, then the stream stalls for a second and goes on with contiguous
    // timestamps: the sixth frame belongs at the clock (1.5 s), not at 120 ms.
    for (int k = 0; k < 5; ++k) rec->caller_audio(frame_of(1, SampleTime{k * kFrame}), t0 + 20ms * (k + 1));
    rec->caller_audio(frame_of(2, SampleTime{5 * kFrame}), t0 + 1520ms);
    // A jump of the media timestamps (a new stream) re-anchors at once.
    rec->caller_audio(frame_of(3, SampleTime{1000 * kFrame}), t0 + 1620ms);
    // An agent frame with nothing queued plays on the next tick: at the clock.
    rec->agent_audio(frame_of(4, SampleTime{0}), 0, t0 + 300ms);
    rec->stop(t0 + 2s);
  }
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(std::filesystem::path(files[0]).filename(), "call-stall-caller.wav");
  EXPECT_EQ(std::filesystem::path(files[1]).filename(), "call-stall-agent.wav");
  const auto caller = read_wav(files[0]);
  const auto agent = read_wav(files[1]);
  expect_consistent_header(caller);
  expect_consistent_header(agent);
  ASSERT_EQ(caller.channels, 1);
  ASSERT_EQ(agent.channels, 1);
  ASSERT_EQ(caller.tracks[0].size(), agent.tracks[0].size());
  const auto& c = caller.tracks[0];
  EXPECT_EQ(c[samples_at(0ms)], 1);
  EXPECT_EQ(c[samples_at(99ms)], 1);
  EXPECT_EQ(c[samples_at(101ms)], 0);
  EXPECT_EQ(c[samples_at(1499ms)], 0);
  EXPECT_EQ(c[samples_at(1500ms)], 2);
  EXPECT_EQ(c[samples_at(1519ms)], 2);
  EXPECT_EQ(c[samples_at(1521ms)], 0);
  EXPECT_EQ(c[samples_at(1600ms)], 3);
  const auto& a = agent.tracks[0];
  EXPECT_EQ(a[samples_at(299ms)], 0);
  EXPECT_EQ(a[samples_at(300ms)], 4);
  EXPECT_EQ(a[samples_at(319ms)], 4);
  EXPECT_EQ(a[samples_at(320ms)], 0);
}

TEST(CallRecorder, AFullQueueDropsAndCountsWithoutBlockingAndKeepsTheTimeline) {
  ScratchDirectory dir;
  metrics::Registry registry;
  const auto t0 = Clock::now();
  std::vector<std::string> files;
  std::shared_ptr<CallRecorder> rec;
  {
    RecordingWriter writer(quiet_writer(dir.path(), 8), &registry);
    rec = writer.start("full", RecordingMode::stereo, t0);
    files = rec->files();
    // The writer does not drain (interval 1 h): eight entries fit, twelve are dropped, at once.
    const auto before = Clock::now();
    for (int k = 0; k < 20; ++k)
      rec->caller_audio(frame_of(static_cast<std::int16_t>(k + 1), SampleTime{k * kFrame}),
                        t0 + 20ms * (k + 1));
    EXPECT_LT(Clock::now() - before, 100ms);
    rec->stop(t0 + 1s);
  }
  EXPECT_EQ(rec->dropped_entries(), 12u);
  EXPECT_EQ(registry.counter("recording_dropped_frames_total", "").get().value(), 12.0);
  const auto w = read_wav(files[0]);
  expect_consistent_header(w);
  ASSERT_EQ(w.tracks[0].size(), static_cast<std::size_t>(samples_at(1000ms)));
  // The eight kept frames where they belong, silence where the dropped ones were.
  for (int k = 0; k < 20; ++k) {
    const auto at = static_cast<std::size_t>(k * kFrame + kFrame / 2);
    EXPECT_EQ(w.tracks[0][at], k < 8 ? k + 1 : 0) << "frame " << k;
  }
}

TEST(CallRecorder, TheFileIsAValidWavWhileTheCallIsStillBeingRecorded) {
  ScratchDirectory dir;
  RecordingWriterOptions o;
  o.dir = dir.path();
  o.write_interval = 10ms;
  o.hold_back = 0ms;
  RecordingWriter writer(o, nullptr);
  // Started ten seconds ago: the writer may write everything it is given at once.
  const auto t0 = Clock::now() - 10s;
  auto rec = writer.start("live", RecordingMode::stereo, t0);
  for (int k = 0; k < 50; ++k) rec->caller_audio(frame_of(7, SampleTime{k * kFrame}), t0 + 20ms * (k + 1));
  const auto file = rec->files()[0];
  // A process killed now would leave this file: its header must already describe what is in it.
  Wav w;
  for (int i = 0; i < 200 && w.data_size < 2 * 2 * 16000; ++i) {
    std::this_thread::sleep_for(10ms);
    w = read_wav(file);
  }
  ASSERT_GE(w.data_size, 2u * 2 * 16000) << "a second of stereo written before the call ended";
  // The header may trail an append in progress (data first, then the sizes), never run ahead of the data.
  EXPECT_EQ(w.riff_size, w.data_size + 36);
  EXPECT_LE(w.data_size, w.file_size - 44);
  EXPECT_EQ(w.data_size % 4, 0u) << "whole stereo frames";
  EXPECT_EQ(w.tracks[0][samples_at(500ms)], 7);
  rec->stop(Clock::now());
}

}  // namespace
}  // namespace va::media
