// Call recording over real SIP (issue 12 item 11): baresip calls the real `voice-agent serve` on PCMA and
// plays a known sweep after a silence long enough for the agent's greeting (the built-in reception flow,
// its default engines); the route records the call. Afterwards the recording is read back: a valid 16-bit
// WAV at 16 kHz, the caller's sweep found in the caller's channel by cross-correlation at the time it was
// played, the agent's greeting in the agent's channel while the caller was silent, as long as the call,
// and listed in the call's record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/agent_instance.hpp"
#include "support/audio_files.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/http_client.hpp"
#include "support/stored_calls.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::SizeIs;

constexpr int kRecordingRate = 16000;
constexpr const char* kAdminToken = "recording-admin-token-0123456789";
// The caller is silent this long after the answer (the agent greets), then sweeps, then is silent again.
constexpr auto kCallerLead = 8000ms;
constexpr auto kSweep = 2000ms;
constexpr auto kCallerTail = 4000ms;

// A recording read whole: each channel's samples.
struct Recording {
  int sample_rate = 0;
  int bits = 0;
  std::vector<std::vector<std::int16_t>> channels;
  double seconds() const {
    return channels.empty() || sample_rate == 0 ? 0.0 : static_cast<double>(channels[0].size()) / sample_rate;
  }
};

std::uint32_t u32(const char* p) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}
std::uint16_t u16(const char* p) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8);
}

// Strict: the header's sizes must match the file (what the recorder promises after close).
Recording read_recording(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Recording r;
  if (bytes.size() < 44 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 8, "WAVEfmt ") != 0 ||
      bytes.compare(36, 4, "data") != 0) {
    ADD_FAILURE() << file << " is not a canonical WAV (" << bytes.size() << " bytes)";
    return r;
  }
  EXPECT_EQ(u32(bytes.data() + 4), bytes.size() - 8) << "RIFF size of " << file;
  const auto data = u32(bytes.data() + 40);
  EXPECT_EQ(data, bytes.size() - 44) << "data size of " << file;
  EXPECT_EQ(u16(bytes.data() + 20), 1) << "PCM";
  const int channels = u16(bytes.data() + 22);
  r.sample_rate = static_cast<int>(u32(bytes.data() + 24));
  r.bits = u16(bytes.data() + 34);
  if (channels < 1 || r.bits != 16) {
    ADD_FAILURE() << file << ": " << channels << " channels, " << r.bits << " bits";
    return r;
  }
  const std::size_t frames = std::min<std::size_t>(data, bytes.size() - 44) / (2u * channels);
  r.channels.assign(static_cast<std::size_t>(channels), std::vector<std::int16_t>(frames));
  for (std::size_t i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c)
      std::memcpy(&r.channels[c][i], bytes.data() + 44 + 2 * (i * channels + c), 2);
  return r;
}

// RMS (dBFS) of `samples` between two times.
double level_dbfs(const std::vector<std::int16_t>& samples, double from_s, double to_s) {
  const auto a = std::min(samples.size(), static_cast<std::size_t>(from_s * kRecordingRate));
  const auto b = std::min(samples.size(), static_cast<std::size_t>(to_s * kRecordingRate));
  if (b <= a) return -120.0;
  double sum = 0;
  for (auto i = a; i < b; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  const double rms = std::sqrt(sum / static_cast<double>(b - a));
  return rms > 0 ? 20 * std::log10(rms / 32768.0) : -120.0;
}

// The loudest 500 ms window's level within [from_s, to_s).
double loudest_dbfs(const std::vector<std::int16_t>& samples, double from_s, double to_s) {
  double best = -120.0;
  for (double t = from_s; t + 0.5 <= to_s; t += 0.25) best = std::max(best, level_dbfs(samples, t, t + 0.5));
  return best;
}

class RecordingCall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
    TestSignal sweep;
    sweep.length = kSweep;
    sweep.lead_silence = kCallerLead;
    sweep.tail_silence = kCallerTail;
    caller_wav_ = dir_ / "caller.wav";
    make_test_wav(caller_wav_, sweep);
    // The reference at the recording's rate; the sweep alone, for the correlation.
    TestSignal alone = sweep;
    alone.lead_silence = 0ms;
    alone.tail_silence = 0ms;
    make_test_wav(dir_ / "sweep-8k.wav", alone);
    convert_to_pcm_wav(dir_ / "sweep-8k.wav", dir_ / "sweep.wav", kRecordingRate);
    sweep_ = read_wav(dir_ / "sweep.wav");
  }

  AgentInstanceOptions options(const std::string& record) {
    AgentInstanceOptions o;
    o.config_yaml =
        "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: ru\n      record: " +
        record + "\nagent:\n  language: ru\n  conversation:\n    no_input_timeout: 30s\n";
    o.sip_transports = {"udp"};
    o.env = {{"RECEPTION_OPERATOR", "sip:operator@127.0.0.1:9"}, {"VOICE_AGENT_ADMIN_TOKEN", kAdminToken}};
    return o;
  }

  // Calls the agent, lets the caller's WAV play out (baresip hangs up at its end); returns the seconds from
  // the answer to the hang-up as the caller saw them.
  double call(AgentInstance& agent) {
    Baresip caller(baresip_peer("caller", kBaresipPcma, caller_wav_, 0, 10));
    EXPECT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
    auto established = caller.next_event("CALL_ESTABLISHED", 20s);
    const auto answered = std::chrono::steady_clock::now();
    EXPECT_TRUE(established) << caller.describe("caller") << agent.describe();
    auto closed = caller.next_event("CALL_CLOSED", 60s);
    const auto ended = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed) << caller.describe_events() << agent.describe();
    caller.stop();
    EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
    return std::chrono::duration<double>(ended - answered).count();
  }

  // The call's record (read with the store's own code, as the admin API does) and its recordings.
  calls::CallRecord record_of_the_call(AgentInstance& agent) {
    auto calls = stored_calls(agent.records_file());
    EXPECT_EQ(calls.size(), 1u) << agent.describe();
    return calls.empty() ? calls::CallRecord{} : calls.front().call;
  }

  // The caller's channel: the sweep is there, where it was played (after kCallerLead), and nothing before.
  void expect_caller_channel(const std::vector<std::int16_t>& caller_side) {
    WavAudio left{kRecordingRate, 1, caller_side};
    auto c = compare_audio(sweep_, left, 12s);
    EXPECT_GT(c.correlation, 0.8) << c.describe();
    const double lead = std::chrono::duration<double>(kCallerLead).count();
    EXPECT_NEAR(c.lag_seconds, lead, 1.0) << c.describe();
    EXPECT_GT(level_dbfs(caller_side, c.lag_seconds + 0.2, c.lag_seconds + 1.8), -20.0);
    EXPECT_LT(loudest_dbfs(caller_side, 0.5, lead - 1.0), -50.0)
        << "the caller was silent during the greeting";
  }

  // The agent's channel: the greeting, loud, while the caller was silent; then the sweep barges in and the
  // prompt stops — what the leg had queued and flushed is not in the recording.
  void expect_agent_channel(const std::vector<std::int16_t>& agent_side) {
    const double lead = std::chrono::duration<double>(kCallerLead).count();
    EXPECT_GT(loudest_dbfs(agent_side, 0.0, lead - 1.0), -35.0) << "the greeting in the agent's channel";
    EXPECT_LT(level_dbfs(agent_side, lead + 0.6, lead + 1.6), -45.0) << "the agent's side after the barge-in";
  }

  TempDirectory dir_{"recording-e2e"};
  std::filesystem::path caller_wav_;
  WavAudio sweep_;
};

TEST_F(RecordingCall, StereoRecordingHasTheCallerLeftAndTheAgentRightInTime) {
  AgentInstance agent(options("stereo"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  const double call_seconds = call(agent);

  const auto record = record_of_the_call(agent);
  ASSERT_THAT(record.recordings, SizeIs(1)) << agent.describe();
  const std::filesystem::path file = record.recordings.front();
  EXPECT_EQ(file.parent_path(), agent.records_file().parent_path() / "recordings")
      << "recording.dir is beside the configuration file";
  EXPECT_EQ(file.filename().string(), "call-" + record.id + ".wav");
  // The admin API shows it too.
  HttpClient http;
  auto got = http.get(agent.url("/v1/calls/" + record.id),
                      {{"Authorization", std::string("Bearer ") + kAdminToken}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(nlohmann::json::parse(got.body).value("recordings", nlohmann::json::array()),
            nlohmann::json::array({file.string()}))
      << got.body;
  ASSERT_TRUE(std::filesystem::exists(file)) << agent.describe();
  // The writer closes the file a moment after the call ends.
  ASSERT_TRUE(eventually([&] { return agent.count_log_lines("\"msg\":\"recording: finished\"") >= 1; }, 10s))
      << agent.describe();

  auto recording = read_recording(file);
  ASSERT_EQ(recording.channels.size(), 2u);
  EXPECT_EQ(recording.sample_rate, kRecordingRate);
  EXPECT_NEAR(recording.seconds(), call_seconds, 1.0);
  expect_caller_channel(recording.channels[0]);
  expect_agent_channel(recording.channels[1]);
  EXPECT_EQ(agent.metric("recording_dropped_frames_total"), 0.0);
  EXPECT_EQ(agent.metric("recordings_started_total"), 1.0);
}

TEST_F(RecordingCall, SplitRecordingWritesTwoMonoFilesOfEqualLength) {
  AgentInstance agent(options("split"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  const double call_seconds = call(agent);

  const auto record = record_of_the_call(agent);
  ASSERT_THAT(record.recordings, SizeIs(2)) << agent.describe();
  EXPECT_EQ(std::filesystem::path(record.recordings[0]).filename().string(),
            "call-" + record.id + "-caller.wav");
  EXPECT_EQ(std::filesystem::path(record.recordings[1]).filename().string(),
            "call-" + record.id + "-agent.wav");
  ASSERT_TRUE(eventually([&] { return agent.count_log_lines("\"msg\":\"recording: finished\"") >= 1; }, 10s))
      << agent.describe();

  auto caller_side = read_recording(record.recordings[0]);
  auto agent_side = read_recording(record.recordings[1]);
  ASSERT_EQ(caller_side.channels.size(), 1u);
  ASSERT_EQ(agent_side.channels.size(), 1u);
  EXPECT_EQ(caller_side.sample_rate, kRecordingRate);
  EXPECT_EQ(caller_side.channels[0].size(), agent_side.channels[0].size()) << "aligned: one timeline";
  EXPECT_NEAR(caller_side.seconds(), call_seconds, 1.0);
  expect_caller_channel(caller_side.channels[0]);
  expect_agent_channel(agent_side.channels[0]);
}

}  // namespace
}  // namespace va::test
