// Whole calls through LiveKit (issue 11), everything real: livekit-server + Redis, the real `voice-agent
// serve` registered as an agent worker, and a phone caller as LiveKit's SIP bridge puts it into a room — a
// participant on the official Python SDK (tests/python/livekit_caller.py) with kind SIP and sip.* attributes,
// playing telephone-band (8 kHz) synthesised speech and recording what it hears. The room is created with the
// agent in room_config.agents, as the dispatch rules `voice-agent provision` writes do; the agent joins
// through liblivekit_ffi and runs the built-in reception flow with its default engines. WebRTC needs a real
// interface: the program runs in its own network namespace (NETNS).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "calls/sqlite_store.hpp"
#include "livekit/room_service.hpp"
#include "livekit/twirp_client.hpp"
#include "support/agent_instance.hpp"
#include "support/audio_files.hpp"
#include "support/free_port.hpp"
#include "support/livekit_caller.hpp"
#include "support/livekit_server.hpp"
#include "support/network_namespace.hpp"
#include "support/spoken_audio.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kAgentName = "voice-agent-e2e";

// Unix seconds of the agent's log timestamp ("ts":"2026-12-04T22:40:01.123Z", UTC) on the first line holding
// `needle`; nullopt when there is none. The agent and the caller run on this machine: one wall clock.
std::optional<double> log_time(const std::string& log, const std::string& needle) {
  auto at = log.find(needle);
  if (at == std::string::npos) return std::nullopt;
  auto line = log.rfind('\n', at);
  auto ts = log.find("\"ts\":\"", line == std::string::npos ? 0 : line);
  if (ts == std::string::npos || ts > at) return std::nullopt;
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(log.c_str() + ts + 6, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + millis / 1000.0;
}

double rms(const WavAudio& audio, std::size_t first, std::size_t count) {
  double sum = 0;
  auto last = std::min(audio.samples.size(), first + count);
  for (auto i = first; i < last; ++i) sum += static_cast<double>(audio.samples[i]) * audio.samples[i];
  return last > first ? std::sqrt(sum / static_cast<double>(last - first)) / 32768.0 : 0.0;
}

// Seconds from the start of `audio` to the first 20 ms window louder than -40 dBFS.
double speech_onset(const WavAudio& audio) {
  auto window = static_cast<std::size_t>(audio.sample_rate / 50);
  for (std::size_t i = 0; i + window <= audio.samples.size(); i += window)
    if (rms(audio, i, window) > 0.01) return static_cast<double>(i) / audio.sample_rate;
  return -1;
}

class LiveKitCall : public ::testing::Test {
 protected:
  void SetUp() override {
    VA_REQUIRE_PRIVATE_NETWORK();
    VA_REQUIRE_LIVEKIT();
    if (!LiveKitCaller::available()) FAIL() << LiveKitCaller::unavailable_reason();
    // The server's webhooks go to the agent's HTTP port (reserved now: the agent starts later).
    server_.emplace(LiveKitServerOptions{
        .webhook_urls = {"http://127.0.0.1:" + std::to_string(http_port_.port()) + "/livekit/webhook"},
        .node_ip = private_network()->address});
    api_.emplace(livekit::ServerEndpoint{server_->url(), server_->api_key(), server_->api_secret()});
  }

  // serve on the test's server: the agent worker on, the reception flow in `language` for every room.
  std::unique_ptr<AgentInstance> start_agent(const std::string& language,
                                             std::vector<std::string> sets = {}) {
    AgentInstanceOptions o;
    o.config_yaml = "livekit:\n  url: " + server_->ws_url() + "\n  api_key: " + server_->api_key() +
                    "\n  api_secret: " + server_->api_secret() + "\n  agent:\n    name: " + kAgentName +
                    "\n    drain_timeout: 5s\n"
                    "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: " +
                    language + "\nagent:\n  language: " + language +
                    "\n  conversation:\n    no_input_timeout: 20s\n"
                    "sip:\n  listen: []\n";
    o.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
    o.sets.insert(o.sets.end(), sets.begin(), sets.end());
    o.http_listen = "127.0.0.1:" + std::to_string(http_port_.port());
    auto agent = std::make_unique<AgentInstance>(o);
    if (!agent->listening()) return agent;
    EXPECT_TRUE(eventually([&] { return agent->health_component("livekit_agent").state == "ready"; }, 30s))
        << agent->describe();
    return agent;
  }

  // A room as a SIP dispatch rule creates it: the agent named in room_config.agents.
  void create_room(const std::string& room) {
    livekit::RoomService rooms(*api_);
    livekit::CreateRoomRequest request;
    request.name = room;
    request.agents = {{kAgentName, ""}};
    ok(rooms.create_room(request));
  }

  std::unique_ptr<LiveKitCaller> join_caller(const std::string& room) {
    SipCallerIdentity identity{.room = room, .call_id = "SCL_" + room};
    return std::make_unique<LiveKitCaller>(LiveKitCallerOptions{.url = server_->ws_url(),
                                                                .token = sip_caller_token(*server_, identity),
                                                                .timeout = 120s,
                                                                .publish_on_join = true});
  }

  // The identity of the participant whose track the caller started recording (the agent).
  static std::string agent_identity(LiveKitCaller& caller) {
    auto started = caller.wait_for_event("recording_started", 30s);
    return started ? started->value("participant", std::string()) : std::string();
  }

  bool room_exists(const std::string& room) {
    livekit::RoomService rooms(*api_);
    auto listed = rooms.list_rooms({room});
    return !listed.ok() || !listed.value().empty();
  }

  PortReservation http_port_ = reserve_port(PortProtocol::tcp);
  std::optional<LiveKitServer> server_;
  std::optional<livekit::TwirpClient> api_;
  TempDirectory dir_{"livekit-e2e"};
};

TEST_F(LiveKitCall, ARussianCallerHearsTheGreetingTakesTheMenuByDtmfAndTheAgentHangsUpOnGoodbye) {
  auto agent = start_agent("ru");
  ASSERT_TRUE(agent->listening()) << agent->describe();
  auto goodbye = spoken_wav(dir_, "goodbye", "ru", "До свидания.", 8000, 0.3, 3.0);

  create_room("call-ru-1");
  auto caller = join_caller("call-ru-1");
  auto identity = agent_identity(*caller);
  ASSERT_FALSE(identity.empty()) << caller->log() << agent->describe();
  // The agent's track is there at once (ring time), the greeting and the menu follow.
  ASSERT_TRUE(
      eventually([&] { return agent->count_log_lines("\"msg\":\"conversation: agent says\"") >= 2; }, 30s))
      << agent->describe();
  std::this_thread::sleep_for(2s);
  caller->dtmf('1');  // the opening hours, as a sip_dtmf packet (the bridge turns RFC 4733 into these)
  ASSERT_TRUE(eventually([&] { return agent->count_log_lines("понедельника") >= 1; }, 20s))
      << agent->describe();
  // The hours, then "anything else?": the caller says goodbye and the agent ends the call, which for a
  // LiveKit call is removing the caller's participant (the bridge would send BYE) and deleting the room.
  ASSERT_TRUE(
      eventually([&] { return agent->count_log_lines("\"msg\":\"conversation: agent says\"") >= 4; }, 40s))
      << agent->describe();
  std::this_thread::sleep_for(4s);
  caller->play(goodbye);
  auto disconnected = caller->wait_for_event("disconnected", 45s);
  ASSERT_TRUE(disconnected) << caller->log() << agent->describe();
  EXPECT_THAT(disconnected->value("reason", std::string()),
              ::testing::AnyOf("participant_removed", "room_deleted"));
  EXPECT_TRUE(eventually([&] { return !room_exists("call-ru-1"); }, 15s)) << "the room was not deleted";
  EXPECT_GE(agent->count_log_lines("\"reason\":\"caller_request\""), 1u) << agent->describe();
  EXPECT_EQ(agent->wait_for_metric("livekit_calls_total{result=\"completed\"}", 1.0), 1.0)
      << agent->describe();
  EXPECT_EQ(agent->metric("livekit_ring_time_seconds_count"), 1.0);
  EXPECT_EQ(agent->metric("livekit_calls_active"), 0.0);
  // The server's webhooks about this room were joined to the call (same room, the caller's sip.callID).
  EXPECT_GE(agent->count_log_lines("\"msg\":\"livekit webhook event of a call\""), 1u) << agent->describe();
  EXPECT_GE(agent->count_log_lines("\"call_id\":\"SCL_call-ru-1\""), 1u) << agent->describe();
  EXPECT_GE(agent->metric("livekit_call_webhooks_total{matched=\"true\"}"), 1.0);

  // What the caller heard, recognised again: the greeting, the hours, the goodbye.
  auto heard = transcribe(caller->recording(identity).file, "ru");
  EXPECT_THAT(heard, HasSubstr("дравствуйте"));
  EXPECT_THAT(heard, HasSubstr("понедельник"));
  EXPECT_THAT(heard, HasSubstr("свидания"));

  // One call record (issue 12), from the room: the caller's sip.* attributes, the sip_dtmf digit, the
  // agent's hang-up and what was said.
  auto store = calls::open_sqlite_store(agent->records_file().string());
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto found = store.value()->find_by_sip_call_id("SCL_call-ru-1");
  ASSERT_TRUE(found.ok() && *found) << agent->describe();
  auto detail = store.value()->call_detail((*found)->id);
  ASSERT_TRUE(detail.ok() && *detail);
  const auto& record = **detail;
  EXPECT_EQ(record.call.source, calls::Source::livekit);
  EXPECT_EQ(record.call.room, "call-ru-1");
  EXPECT_EQ(record.call.participant_identity, SipCallerIdentity{.room = "call-ru-1"}.identity());
  EXPECT_EQ(record.call.called, "+74950000000");
  EXPECT_EQ(record.call.attributes.count("sip.callID"), 1u);
  EXPECT_EQ(record.call.end_reason, calls::EndReason::agent_hangup);
  ASSERT_FALSE(record.dtmf.empty());
  EXPECT_EQ(record.dtmf.front().source, "livekit");
  EXPECT_FALSE(record.transcript.empty());
  EXPECT_TRUE(agent->stop().exited_with(0)) << agent->describe();
}

// Barge-in through LiveKit: the caller starts speaking about a second into the greeting. Measured on one
// clock: the caller's speech onset (when its SDK started playing + the onset inside the WAV) → the agent's
// flush (its "barge-in" log line), and → the moment the agent falls silent in the caller's recording (which
// adds the way back: Opus, the server, the caller's jitter buffer).
TEST_F(LiveKitCall, TheCallerInterruptsTheGreetingAndTheAgentFallsSilent) {
  auto agent = start_agent("ru");
  ASSERT_TRUE(agent->listening()) << agent->describe();
  auto interruption = spoken_wav(dir_, "interrupt", "ru", "Подождите, я хочу узнать баланс.", 8000, 0.0, 2.0);
  const double onset_in_wav = speech_onset(read_wav(interruption));
  ASSERT_GT(onset_in_wav, -1.0);

  create_room("call-barge-in");
  auto caller = join_caller("call-barge-in");
  auto identity = agent_identity(*caller);
  ASSERT_FALSE(identity.empty()) << caller->log() << agent->describe();
  ASSERT_TRUE(
      eventually([&] { return agent->count_log_lines("\"msg\":\"conversation: agent says\"") >= 1; }, 30s))
      << agent->describe();
  std::this_thread::sleep_for(1500ms);
  caller->play(interruption);
  auto started = caller->wait_for_event("play_started", 10s);
  ASSERT_TRUE(started) << caller->log();
  const double onset = started->value("time", 0.0) + onset_in_wav;
  ASSERT_TRUE(eventually([&] { return agent->count_log_lines("conversation: barge-in") >= 1; }, 15s))
      << agent->describe();
  std::this_thread::sleep_for(2s);
  auto flushed = log_time(agent->log(), "conversation: barge-in");
  ASSERT_TRUE(flushed) << agent->describe();

  auto heard = caller->recording(identity);
  const auto rate = static_cast<std::size_t>(heard.audio.sample_rate);
  auto index_at = [&](double wall) {
    return static_cast<std::size_t>(
        std::max(0.0, (wall - heard.first_sample_time) * static_cast<double>(rate)));
  };
  // The agent was speaking when the caller started, and fell silent after: the first 100 ms at -50 dBFS.
  ASSERT_GT(rms(heard.audio, index_at(onset - 0.3), rate * 3 / 10), 0.01) << "the greeting was not playing";
  std::optional<double> silent;
  for (auto i = index_at(onset); i + rate / 10 <= heard.audio.samples.size(); i += rate / 50) {
    if (rms(heard.audio, i, rate / 10) < 0.003) {
      silent = heard.first_sample_time + static_cast<double>(i) / static_cast<double>(rate);
      break;
    }
  }
  ASSERT_TRUE(silent) << "the agent never fell silent after the caller started speaking";
  const double to_flush_ms = (*flushed - onset) * 1000.0;
  const double to_silence_ms = (*silent - onset) * 1000.0;
  RecordProperty("onset_to_flush_ms", std::to_string(static_cast<int>(to_flush_ms)));
  RecordProperty("onset_to_silence_heard_ms", std::to_string(static_cast<int>(to_silence_ms)));
  std::cout << "barge-in through LiveKit: caller onset → agent flush " << to_flush_ms
            << " ms, → silence in the caller's recording " << to_silence_ms << " ms\n";
  EXPECT_LE(to_flush_ms, 200.0);
  EXPECT_GE(to_flush_ms, 0.0);
  caller->leave();
  EXPECT_TRUE(agent->stop().exited_with(0)) << agent->describe();
}

// The caller hangs up during the greeting (the bridge's participant leaves when the phone hangs up): the
// agent's call ends as a remote hang-up, the job is reported finished, and the agent leaves the room.
TEST_F(LiveKitCall, TheCallerHangingUpEndsTheAgentsCallAndItLeavesTheRoom) {
  auto agent = start_agent("ru");
  ASSERT_TRUE(agent->listening()) << agent->describe();
  create_room("call-caller-hangs-up");
  auto caller = join_caller("call-caller-hangs-up");
  auto identity = agent_identity(*caller);
  ASSERT_FALSE(identity.empty()) << caller->log() << agent->describe();
  EXPECT_TRUE(caller->leave().exited_with(static_cast<int>(CallerExit::left))) << caller->log();
  ASSERT_TRUE(eventually([&] { return agent->count_log_lines("\"msg\":\"livekit call ended\"") >= 1; }, 20s))
      << agent->describe();
  EXPECT_GE(agent->count_log_lines("\"reason\":\"remote_hangup\""), 1u) << agent->describe();
  EXPECT_EQ(agent->wait_for_metric("livekit_calls_total{result=\"completed\"}", 1.0), 1.0)
      << agent->describe();
  EXPECT_EQ(agent->wait_for_metric("livekit_calls_active", 0.0), 0.0);
  EXPECT_EQ(agent->wait_for_metric("livekit_worker_jobs{kind=\"running\"}", 0.0), 0.0)
      << "the job was not reported finished";
  livekit::RoomService rooms(*api_);
  EXPECT_TRUE(eventually(
      [&] {
        auto left = rooms.list_participants("call-caller-hangs-up");
        return left.ok() && left.value().empty();
      },
      15s))
      << "the agent is still in the room";
  EXPECT_TRUE(agent->stop().exited_with(0)) << agent->describe();
}

// The LiveKit server restarts in the middle of a call: the call ends with a reason (the room is gone with the
// server), and the worker registers again with the restarted server and takes the next call.
TEST_F(LiveKitCall, AServerRestartEndsTheCallWithAReasonAndTheWorkerRegistersAgain) {
  auto agent = start_agent("ru");
  ASSERT_TRUE(agent->listening()) << agent->describe();
  create_room("call-before-restart");
  auto caller = join_caller("call-before-restart");
  ASSERT_FALSE(agent_identity(*caller).empty()) << caller->log() << agent->describe();
  server_->stop();
  ASSERT_TRUE(eventually([&] { return agent->count_log_lines("\"msg\":\"livekit call ended\"") >= 1; }, 60s))
      << agent->describe();
  caller.reset();
  server_->start();
  ASSERT_TRUE(eventually([&] { return agent->count_log_lines("\"registration\":2") >= 1; }, 60s))
      << agent->describe();
  EXPECT_EQ(agent->wait_for_metric("livekit_calls_active", 0.0), 0.0) << agent->describe();

  create_room("call-after-restart");
  auto next = join_caller("call-after-restart");
  EXPECT_FALSE(agent_identity(*next).empty()) << next->log() << agent->describe();
  EXPECT_TRUE(agent->stop().exited_with(0)) << agent->describe();
}

// A job for a room that is already gone: the room is deleted right after it was created, while the server
// is dispatching it. Whatever the server then does (assigns the job anyway, and the agent joins a room
// nobody will come to, or assigns nothing), the agent must not hang or keep a call: every job it took ends
// with a reason and is reported finished, and the next call is taken as usual.
TEST_F(LiveKitCall, AJobForARoomAlreadyGoneEndsWithAReasonAndTheNextCallIsTaken) {
  auto agent = start_agent("ru", {"livekit.agent.caller_timeout=5s"});
  ASSERT_TRUE(agent->listening()) << agent->describe();
  livekit::RoomService rooms(*api_);
  create_room("call-gone");
  ok(rooms.delete_room("call-gone"));
  // The server dispatches ~200 ms after the room exists (docs/benchmarks.md "LiveKit"), and joining with
  // the job's token creates the room again, empty: a job taken then waits livekit.agent.caller_timeout.
  std::this_thread::sleep_for(2s);
  auto jobs = agent->metric("livekit_worker_jobs_total{event=\"assigned\"}");
  std::cerr << "jobs assigned for the deleted room: " << jobs << "\n";
  EXPECT_EQ(agent->wait_for_metric("livekit_worker_jobs{kind=\"running\"}", 0.0, 20s), 0.0)
      << "a job for the deleted room is still running\n"
      << agent->describe();
  EXPECT_EQ(agent->wait_for_metric("livekit_calls_active", 0.0, 5s), 0.0) << agent->describe();
  if (jobs > 0) {
    EXPECT_GE(
        agent->count_log_lines("no caller joined the room") + agent->count_log_lines("\"reason\":\"error\""),
        1u)
        << "the call for the deleted room ended without saying why\n"
        << agent->describe();
  }

  create_room("call-after-gone");
  auto caller = join_caller("call-after-gone");
  EXPECT_FALSE(agent_identity(*caller).empty()) << caller->log() << agent->describe();
  EXPECT_TRUE(agent->stop().exited_with(0)) << agent->describe();
}

}  // namespace
}  // namespace va::test
