// The room leg on a real livekit-server with real WebRTC (liblivekit_ffi in this process): the agent's leg
// and a "caller" leg joined like LiveKit's SIP bridge joins a phone call (kind SIP, sip.* attributes) talk to
// each other: publish at once, audio both ways (energy of a tone), flush for barge-in, sip_dtmf both ways,
// hang-up from either side (participant gone from the server), and join/hang-up cycles that leave no FFI
// handle behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "room_leg_fixture.hpp"

// liblivekit_ffi keeps some of its global state (its Rust runtime, WebRTC's factories) allocated after
// livekit_ffi_dispose: not ours to free. FFI handles we fail to drop would not show up here anyway (the
// library's handle table still reaches them): the tests count them (FfiLibrary::live_handles). Every other
// leak still fails the test.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:liblivekit_ffi.so\n";
}

namespace va::livekit::room::room_tests {
namespace {

using namespace std::chrono_literals;

// The library is initialised once per process and disposed when the tests are done.
class FfiEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { FfiLibrary::shutdown(); }
};
[[maybe_unused]] auto* const kFfiEnvironment = ::testing::AddGlobalTestEnvironment(new FfiEnvironment);

TEST_F(RoomLegTest, TheAgentPublishesAtOnceFindsTheSipCallerAndHearsIt) {
  auto call = start_call("call-hears");
  auto& agent = *call->agent_heard;
  ASSERT_TRUE(agent.wait(20s, [&](Recorder&) {
    return call->found.has_value() && call->first_frame.has_value();
  })) << server_->log();
  EXPECT_TRUE(call->found->sip);
  EXPECT_EQ(call->found->identity, "sip_+74951234567");
  auto info = call_info_from(*call->found);
  EXPECT_EQ(info.call_id, "SCL_call-hears");
  EXPECT_EQ(info.caller, "+74951234567");
  EXPECT_EQ(info.dialed, "+74997654321");
  std::printf("job start -> first published frame: %.1f ms\n",
              std::chrono::duration<double, std::milli>(*call->first_frame).count());
  EXPECT_TRUE(agent.wait(5s, [](Recorder& r) { return r.answered == 1; }));

  play_tone(*call->caller);
  EXPECT_TRUE(agent.wait(20s, [](Recorder& r) { return r.loud_frames >= 25; }))
      << "frames " << agent.frames << " loud " << agent.loud_frames;
  std::string id;
  on_io([&] { id = std::string(call->agent->id()); });
  EXPECT_EQ(id, "sip_+74951234567");
  auto stats = [&] {
    media::MediaStats s;
    on_io([&] { s = call->agent->stats(); });
    return s;
  }();
  EXPECT_EQ(stats.codec, "opus/48000");
  EXPECT_GT(stats.packets_sent, 0u);
  EXPECT_GT(stats.packets_received, 0u);
}

TEST_F(RoomLegTest, TheCallerHearsTheAgentAndFlushCutsItOff) {
  auto call = start_call("call-flush");
  auto& caller = *call->caller_heard;
  play_tone(*call->agent);
  ASSERT_TRUE(caller.wait(20s, [](Recorder& r) { return r.loud_frames >= 25; }))
      << "frames " << caller.frames << " loud " << caller.loud_frames;
  // Barge-in: stop producing and flush what is queued; the caller's audio goes quiet.
  play_tone(*call->agent, false);
  on_io([&] { call->agent->flush_audio(); });
  EXPECT_TRUE(caller.wait(5s, [](Recorder& r) { return r.quiet_frames_since_loud >= 10; }));
}

TEST_F(RoomLegTest, SipDtmfGoesBothWays) {
  auto call = start_call("call-dtmf");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [&](Recorder& r) { return r.answered == 1; }));
  on_io([&] { call->caller->send_dtmf('5', 100ms); });
  ASSERT_TRUE(call->agent_heard->wait(10s, [](Recorder& r) { return !r.digits.empty(); }));
  EXPECT_EQ(call->agent_heard->digits[0].digit, '5');
  EXPECT_EQ(call->agent_heard->digits[0].source, media::DtmfSource::livekit_data);
  on_io([&] { call->agent->send_dtmf('#', 100ms); });
  ASSERT_TRUE(call->caller_heard->wait(10s, [](Recorder& r) { return !r.digits.empty(); }));
  EXPECT_EQ(call->caller_heard->digits[0].digit, '#');
}

TEST_F(RoomLegTest, TheAgentHangingUpRemovesTheCaller) {
  auto call = start_call("call-agent-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; }));
  on_io([&] { call->agent->hangup(); });
  ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->caller_heard->ended->reason, media::EndReason::remote_hangup)
      << call->caller_heard->ended->detail;
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::local_hangup);
  EXPECT_EQ(call->agent_heard->ended_count, 1);
  auto left = participants(call->room);
  EXPECT_EQ(std::count(left.begin(), left.end(), "sip_+74951234567"), 0);
}

TEST_F(RoomLegTest, TheCallerHangingUpEndsTheAgentLeg) {
  auto call = start_call("call-caller-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; }));  // the call is up
  on_io([&] { call->caller->hangup(); });
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::remote_hangup)
      << call->agent_heard->ended->detail;
  ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->caller_heard->ended->reason, media::EndReason::local_hangup);
}

TEST_F(RoomLegTest, DeletingTheRoomOnHangUp) {
  auto call = start_call("call-delete-room", true);
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  on_io([&] { call->agent->hangup(); });
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  auto listed = rooms_->list_rooms({call->room});
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  EXPECT_TRUE(listed.value().empty());
}

TEST_F(RoomLegTest, NoCallerEndsWithNoAnswer) {
  RoomLegOptions options;
  options.url = server_->ws_url();
  options.token = token("call-nobody", "voice-agent-nobody", "agent");
  options.room_name = "call-nobody";
  options.caller_timeout = 1500ms;
  auto heard = std::make_shared<Recorder>();
  on_io([&] {
    auto leg = RoomLeg::create(*library_, io_.get_executor(), *clock_, admin_.get(), options);
    leg->set_observer(heard.get());
    leg->start();
    legs_.push_back(leg);
  });
  recorders_.push_back(heard);
  ASSERT_TRUE(heard->wait(20s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(heard->ended->reason, media::EndReason::no_answer);
}

TEST_F(RoomLegTest, AWrongServerEndsWithAnError) {
  RoomLegOptions options;
  options.url = "ws://127.0.0.1:9";  // nothing listens there
  options.token = token("call-wrong", "voice-agent-wrong", "agent");
  options.room_name = "call-wrong";
  options.connect_timeout = 2s;
  auto heard = std::make_shared<Recorder>();
  on_io([&] {
    auto leg = RoomLeg::create(*library_, io_.get_executor(), *clock_, admin_.get(), options);
    leg->set_observer(heard.get());
    leg->start();
    legs_.push_back(leg);
  });
  recorders_.push_back(heard);
  ASSERT_TRUE(heard->wait(30s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(heard->ended->reason, media::EndReason::error);
  EXPECT_NE(heard->ended->detail.find("join"), std::string::npos) << heard->ended->detail;
}

TEST_F(RoomLegTest, RepeatedCallsLeaveNoHandleBehind) {
  int cycles = 100;  // the issue: no leak under ASan over 100 calls
  if (const char* env = std::getenv("VA_ROOM_LEG_CYCLES")) cycles = std::max(1, std::atoi(env));
  std::vector<double> first_frame_ms;
  for (int i = 0; i < cycles; ++i) {
    auto call = start_call("cycle-" + std::to_string(i));
    ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
        << "cycle " << i;
    ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; })) << "cycle " << i;
    if (call->first_frame)
      first_frame_ms.push_back(std::chrono::duration<double, std::milli>(*call->first_frame).count());
    on_io([&] { (i % 2 == 0 ? call->agent : call->caller)->hangup(); });
    ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }))
        << "cycle " << i;
    ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }))
        << "cycle " << i;
    on_io([&] { legs_.clear(); });
  }
  EXPECT_EQ(library_->live_handles(), baseline_handles_);
  std::sort(first_frame_ms.begin(), first_frame_ms.end());
  if (!first_frame_ms.empty()) {
    std::printf("%d calls: job start -> first published frame p50 %.1f ms, max %.1f ms\n", cycles,
                first_frame_ms[first_frame_ms.size() / 2], first_frame_ms.back());
  }
}

}  // namespace
}  // namespace va::livekit::room::room_tests
