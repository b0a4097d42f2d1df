// The WebRTC harness itself, before any voice-agent code takes part: a real livekit-server (+ Redis) in this
// program's private network namespace and two callers on the official LiveKit Python SDK, joined as LiveKit's
// SIP bridge joins phone callers. What one says, the other hears; a sip_dtmf digit arrives with its code; a
// caller that leaves is seen leaving. Later tests put voice-agent in place of one of them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/audio_files.hpp"
#include "support/external_tool.hpp"
#include "support/livekit_caller.hpp"
#include "support/livekit_server.hpp"
#include "support/network_namespace.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Le;

// Root mean square of the samples in [from, to) seconds, full scale 1.0.
double rms(const WavAudio& audio, double from, double to) {
  const auto first = static_cast<std::size_t>(std::max(0.0, from) * audio.sample_rate);
  const auto last = std::min(audio.samples.size(), static_cast<std::size_t>(to * audio.sample_rate));
  if (last <= first) return 0.0;
  double sum = 0.0;
  for (auto i = first; i < last; ++i) sum += static_cast<double>(audio.samples[i]) * audio.samples[i];
  return std::sqrt(sum / static_cast<double>(last - first)) / 32768.0;
}

// eSpeak NG's English voice, at 16 kHz: speech with pauses, unlike a tone.
std::filesystem::path synthesise_speech(const TempDirectory& dir, const std::string& text) {
  const auto raw = dir / "speech-22k.wav";
  run_tool_or_throw({"espeak-ng", "-v", "en", "-s", "150", "-w", raw.string(), text});
  const auto wav = dir / "speech.wav";
  convert_to_pcm_wav(raw, wav, 16000);
  return wav;
}

// A participant as the other caller saw it, from `connected` or a later `participant_connected`.
std::optional<nlohmann::json> seen_participant(LiveKitCaller& observer, const std::string& identity) {
  for (const auto& p : observer.connected_event().value("participants", nlohmann::json::array())) {
    if (p.value("identity", "") == identity) return p;
  }
  auto joined = observer.wait_for_event(
      [&](const nlohmann::json& e) {
        return e.value("event", "") == "participant_connected" &&
               e["participant"].value("identity", "") == identity;
      },
      10s);
  if (!joined) return std::nullopt;
  return (*joined)["participant"];
}

TEST(WebRtcHarness, SipCallersInOneRoomHearEachOtherSendDtmfAndSeeEachOtherLeave) {
  VA_REQUIRE_PRIVATE_NETWORK();
  VA_REQUIRE_LIVEKIT();
  if (!LiveKitCaller::available()) FAIL() << LiveKitCaller::unavailable_reason();
  if (!find_program("espeak-ng") || !sox_available())
    FAIL() << "espeak-ng and sox are needed (run scripts/setup)";

  TempDirectory dir("webrtc-harness");
  const auto speech =
      synthesise_speech(dir, "Hello, this is a test call through a LiveKit room. Press seven.");
  const auto reference = read_wav(speech);

  LiveKitServer server({.node_ip = private_network()->address});
  const SipCallerIdentity alice{
      .room = "harness-call", .phone_number = "+79001110001", .call_id = "SCL_alice"};
  const SipCallerIdentity bob{.room = "harness-call", .phone_number = "+79001110002", .call_id = "SCL_bob"};
  LiveKitCaller b({.url = server.ws_url(), .token = sip_caller_token(server, bob), .timeout = 60s});
  LiveKitCaller a({.url = server.ws_url(), .token = sip_caller_token(server, alice), .timeout = 60s});
  ASSERT_EQ(a.identity(), "sip_+79001110001");

  // B sees A as the bridge would show a phone caller: kind SIP and the sip.* attributes of the token.
  auto seen = seen_participant(b, a.identity());
  ASSERT_TRUE(seen) << b.log();
  EXPECT_EQ(seen->value("kind", ""), "sip");
  EXPECT_EQ((*seen)["attributes"].value("sip.phoneNumber", ""), "+79001110001");
  EXPECT_EQ((*seen)["attributes"].value("sip.trunkPhoneNumber", ""), "+74950000000");
  EXPECT_EQ((*seen)["attributes"].value("sip.callID", ""), "SCL_alice");
  EXPECT_EQ((*seen)["attributes"].value("sip.callStatus", ""), "active");
  // The bridge moves sip.callStatus through the server API; the other participant is told.
  update_sip_attributes(server, alice, {{"sip.callStatus", "active"}, {"sip.hangupCause", "none"}});
  auto changed = b.wait_for_event("participant_attributes_changed", "identity", a.identity(), 10s);
  ASSERT_TRUE(changed) << b.log();
  EXPECT_EQ((*changed)["changed"].value("sip.hangupCause", ""), "none") << changed->dump();
  EXPECT_EQ((*changed)["attributes"].value("sip.phoneNumber", ""), "+79001110001") << changed->dump();

  // A speaks; B subscribes to A's track and records it.
  a.play(speech);
  auto started = a.wait_for_event("play_started", 10s);
  ASSERT_TRUE(started) << a.log();
  ASSERT_TRUE(b.wait_for_event("recording_started", "participant", a.identity(), 10s)) << b.log();
  ASSERT_TRUE(a.wait_until_played(20s)) << a.log();

  // A DTMF digit as the bridge forwards a caller's key press.
  a.dtmf('7');
  auto digit = b.wait_for_event("sip_dtmf_received", "identity", a.identity(), 10s);
  ASSERT_TRUE(digit) << b.log();
  EXPECT_EQ(digit->value("digit", ""), "7");
  EXPECT_EQ(digit->value("code", -1), 7);

  // A hangs up; B sees the participant leave and its recording end.
  EXPECT_TRUE(a.leave().exited_with(static_cast<int>(CallerExit::left))) << a.log();
  auto left = b.wait_for_event("participant_disconnected", "identity", a.identity(), 10s);
  ASSERT_TRUE(left) << b.log();
  EXPECT_EQ(left->value("reason", ""), "client_initiated");
  ASSERT_TRUE(b.wait_for_event("recording_finished", "participant", a.identity(), 5s)) << b.log();

  // B heard the speech: as long as it was (±20 %) and about as loud.
  const auto heard = b.recording(a.identity());
  ASSERT_EQ(heard.audio.sample_rate, 16000);
  const auto comparison = compare_audio(reference, heard.audio);
  EXPECT_THAT(comparison.recorded_active_seconds, AllOf(Ge(0.8 * comparison.reference_active_seconds),
                                                        Le(1.2 * comparison.reference_active_seconds)))
      << comparison.describe();
  const double onset = comparison.lag_seconds;  // where the reference starts in the recording
  const double sent = rms(reference, 0.0, reference.seconds());
  const double received = rms(heard.audio, onset, onset + reference.seconds());
  EXPECT_GT(received, 0.5 * sent) << "sent RMS " << sent << ", received " << received << "; "
                                  << comparison.describe();
  EXPECT_LT(received, 2.0 * sent) << "sent RMS " << sent << ", received " << received;

  // Mouth to ear through the SFU, from the wall clocks of both callers (reported, not asserted: timing
  // belongs in benchmarks).
  const double mouth_to_ear = heard.first_sample_time + onset - event_time(*started);
  RecordProperty("mouth_to_ear_ms", static_cast<int>(std::lround(mouth_to_ear * 1000)));
  RecordProperty("correlation", std::to_string(comparison.correlation));
  EXPECT_TRUE(b.leave().exited_with(static_cast<int>(CallerExit::left))) << b.log();
}

TEST(WebRtcHarness, CallerRemovedByTheServerExitsWithTheReason) {
  VA_REQUIRE_PRIVATE_NETWORK();
  VA_REQUIRE_LIVEKIT();
  if (!LiveKitCaller::available()) FAIL() << LiveKitCaller::unavailable_reason();
  LiveKitServer server({.node_ip = private_network()->address});
  const SipCallerIdentity caller{.room = "removed-call"};
  LiveKitCaller a({.url = server.ws_url(), .token = sip_caller_token(server, caller), .timeout = 30s});
  // The agent's hang-up in LiveKit mode: RemoveParticipant of the SIP participant.
  long status = 0;
  auto reply = server.twirp("RoomService", "RemoveParticipant",
                            {{"room", "removed-call"}, {"identity", caller.identity()}}, &status,
                            server.admin_token("removed-call"));
  ASSERT_EQ(status, 200) << reply.dump();
  auto disconnected = a.wait_for_event("disconnected", 10s);
  ASSERT_TRUE(disconnected) << a.log();
  EXPECT_EQ(disconnected->value("reason", ""), "participant_removed");
  EXPECT_TRUE(a.wait_for_exit(10s).exited_with(static_cast<int>(CallerExit::disconnected_by_server)))
      << a.log();
}

TEST(WebRtcHarness, CallerWithABadlySignedTokenSaysWhyItCouldNotJoin) {
  VA_REQUIRE_PRIVATE_NETWORK();
  VA_REQUIRE_LIVEKIT();
  if (!LiveKitCaller::available()) FAIL() << LiveKitCaller::unavailable_reason();
  LiveKitServer server({.node_ip = private_network()->address});
  auto token = sip_caller_token(server, {.room = "refused"});
  token.back() = token.back() == 'A' ? 'B' : 'A';  // the signature no longer matches
  try {
    LiveKitCaller a({.url = server.ws_url(), .token = token});
    FAIL() << "joined with a token of another secret";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("connect_failed"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("401"));
  }
}

}  // namespace
}  // namespace va::test
