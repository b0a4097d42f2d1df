// The room leg with a caller on the official LiveKit Python SDK (tests/python/livekit_caller.py), joined as
// LiveKit's SIP bridge joins a phone caller: the leg hears the caller's speech, the caller records the tone
// the leg sends, sip_dtmf goes both ways, and hang-up works from either side (the participant is gone from
// the server).
#include <gtest/gtest.h>

#include <cmath>

#include "room_leg_fixture.hpp"
#include "support/audio_files.hpp"
#include "support/external_tool.hpp"
#include "support/livekit_caller.hpp"
#include "support/temp_directory.hpp"

namespace va::livekit::room::room_tests {
namespace {

using namespace std::chrono_literals;
using test::LiveKitCaller;

double rms_of(const test::WavAudio& audio, double from, double to) {
  auto first = static_cast<std::size_t>(std::max(0.0, from) * audio.sample_rate);
  auto last = std::min(audio.samples.size(), static_cast<std::size_t>(to * audio.sample_rate));
  if (last <= first) return 0.0;
  double sum = 0.0;
  for (auto i = first; i < last; ++i) sum += static_cast<double>(audio.samples[i]) * audio.samples[i];
  return std::sqrt(sum / static_cast<double>(last - first)) / 32768.0;
}

class PythonCallerTest : public RoomLegTest {
 protected:
  void SetUp() override {
    RoomLegTest::SetUp();
    if (HasFatalFailure()) return;
    if (!LiveKitCaller::available()) FAIL() << LiveKitCaller::unavailable_reason();
  }

  std::unique_ptr<LiveKitCaller> join_caller(const std::string& room) {
    test::SipCallerIdentity identity{.room = room, .call_id = "SCL_" + room};
    return std::make_unique<LiveKitCaller>(
        test::LiveKitCallerOptions{.url = server_->ws_url(),
                                   .token = test::sip_caller_token(*server_, identity),
                                   .publish_on_join = true});
  }

  std::filesystem::path speech() {
    auto raw = dir_ / "speech-22k.wav";
    test::run_tool_or_throw({"espeak-ng", "-v", "en", "-s", "150", "-w", raw.string(),
                             "Hello, I would like to book a table for two tonight."});
    auto wav = dir_ / "speech.wav";
    test::convert_to_pcm_wav(raw, wav, 16000);
    return wav;
  }

  test::TempDirectory dir_{"room-leg-speech"};
};

TEST_F(PythonCallerTest, TheLegHearsTheCallerAndTheCallerHearsTheLeg) {
  auto call = start_call("py-audio", false, false);
  auto caller = join_caller("py-audio");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
      << caller->log();
  EXPECT_TRUE(call->found->sip);
  EXPECT_EQ(call_info_from(*call->found).call_id, "SCL_py-audio");
  EXPECT_TRUE(call->agent_heard->wait(5s, [](Recorder& r) { return r.answered == 1; }));

  caller->play(speech());
  EXPECT_TRUE(call->agent_heard->wait(20s, [](Recorder& r) { return r.loud_frames >= 25; }))
      << "frames " << call->agent_heard->frames << " loud " << call->agent_heard->loud_frames;

  play_tone(*call->agent);
  ASSERT_TRUE(caller->wait_for_event("recording_started", "participant", "voice-agent-py-audio", 20s))
      << caller->log();
  std::this_thread::sleep_for(1500ms);
  play_tone(*call->agent, false);
  auto heard = caller->recording("voice-agent-py-audio");
  double loudest = 0;
  for (double t = 0; t + 0.2 < heard.audio.seconds(); t += 0.1)
    loudest = std::max(loudest, rms_of(heard.audio, t, t + 0.2));
  // The tone is -10 dBFS peak (RMS ~0.22): Opus both ways keeps it well above speech-free silence.
  EXPECT_GT(loudest, 0.1) << "loudest 200 ms RMS " << loudest;
  EXPECT_TRUE(caller->leave().exited_with(static_cast<int>(test::CallerExit::left))) << caller->log();
}

TEST_F(PythonCallerTest, SipDtmfBothWays) {
  auto call = start_call("py-dtmf", false, false);
  auto caller = join_caller("py-dtmf");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
      << caller->log();
  caller->dtmf('7');
  ASSERT_TRUE(call->agent_heard->wait(10s, [](Recorder& r) { return !r.digits.empty(); })) << caller->log();
  EXPECT_EQ(call->agent_heard->digits[0].digit, '7');
  on_io([&] { call->agent->send_dtmf('#', 100ms); });
  auto digit = caller->wait_for_event("sip_dtmf_received", "identity", "voice-agent-py-dtmf", 10s);
  ASSERT_TRUE(digit) << caller->log();
  EXPECT_EQ(digit->value("digit", ""), "#");
  EXPECT_EQ(digit->value("code", -1), 11);
}

TEST_F(PythonCallerTest, TheLegHangingUpRemovesTheCaller) {
  auto call = start_call("py-agent-hangs-up", false, false);
  auto caller = join_caller("py-agent-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
      << caller->log();
  on_io([&] { call->agent->hangup(); });
  auto disconnected = caller->wait_for_event("disconnected", 15s);
  ASSERT_TRUE(disconnected) << caller->log();
  EXPECT_EQ(disconnected->value("reason", ""), "participant_removed");
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::local_hangup);
  auto left = participants("py-agent-hangs-up");
  EXPECT_EQ(std::count(left.begin(), left.end(), caller->identity()), 0);
}

TEST_F(PythonCallerTest, TheCallerHangingUpEndsTheLeg) {
  auto call = start_call("py-caller-hangs-up", false, false);
  auto caller = join_caller("py-caller-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
      << caller->log();
  EXPECT_TRUE(caller->leave().exited_with(static_cast<int>(test::CallerExit::left))) << caller->log();
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::remote_hangup)
      << call->agent_heard->ended->detail;
}

}  // namespace
}  // namespace va::livekit::room::room_tests
