// Whole conversations over real SIP (issue 10): baresip calls the real `voice-agent serve` and plays
// synthesised caller speech (RHVoice, through `voice-agent say`) on PCMA 8 kHz and on G.722; the agent runs
// the built-in reception flow with its default engines (WebRTC VAD, whisper, RHVoice); what baresip
// received is recognised again (`voice-agent transcribe`) to check what the agent said.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <thread>

#include "support/agent_instance.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/spoken_audio.hpp"
#include "support/stored_calls.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string agent_config(const std::string& language, const std::string& engines = {}) {
  return "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: " + language +
         "\nagent:\n  language: " + language + "\n  conversation:\n    no_input_timeout: 20s\n" + engines;
}

class ConversationCall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
  }

  AgentInstanceOptions options(const std::string& language, const std::string& engines = {}) {
    AgentInstanceOptions o;
    o.config_yaml = agent_config(language, engines);
    o.sip_transports = {"udp"};
    o.env = {{"RECEPTION_OPERATOR", "sip:operator@127.0.0.1:9"}};
    o.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
    return o;
  }

  TempDirectory dir{"conversation-e2e"};
};

// The agent's record of its one call (issue 12), read from its SQLite file once the call has ended.
calls::CallDetail recorded_call(AgentInstance& agent) {
  EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
  auto calls = stored_calls(agent.records_file());
  EXPECT_EQ(calls.size(), 1u) << agent.describe();
  return calls.empty() ? calls::CallDetail{} : calls.front();
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

TEST_F(ConversationCall, RussianCallerAsksForTheOperatorDuringTheMenuAndIsTransferredOnPcma) {
  auto wav = spoken_wav(dir, "operator", "ru", "Соедините меня с оператором.", 8000, 6.0, 12.0);
  AgentInstance agent(options("ru"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();

  // The caller spoke into the menu: the prompt was cut, the words were understood, a REFER came.
  auto transfer = caller.next_event("TRANSFER", 45s);
  ASSERT_TRUE(transfer) << caller.describe_events() << agent.describe();
  EXPECT_THAT(transfer->param, HasSubstr("operator@127.0.0.1"));
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: barge-in\""), 1u) << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: transfer\""), 1u);
  auto log = agent.log();
  EXPECT_THAT(log, HasSubstr("ператор")) << "the caller's words as recognised";
  caller.hangup();
  caller.stop();

  // What the caller heard starts with the greeting.
  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty()) << caller.describe("caller");
  // (transcribe() lower-cases ASCII only: the greeting's capital З stays)
  auto heard = transcribe(recordings.front(), "ru");
  EXPECT_THAT(heard, HasSubstr("дравствуйте"));
  // The menu was cut by the caller and the transfer announced.
  EXPECT_THAT(heard, HasSubstr("оператором"));
  EXPECT_GE(agent.metric("voice_turns_total{kind=\"speech\"}"), 1.0);

  // The record: the transfer was a step of the call, and the cut menu is marked interrupted.
  auto record = recorded_call(agent);
  bool transferring = false;
  for (const auto& t : record.transitions) transferring |= t.to == calls::CallState::transferring;
  EXPECT_TRUE(transferring) << agent.describe();
  bool interrupted = false;
  for (const auto& segment : record.transcript)
    interrupted |= segment.interrupted && segment.cut_ms.has_value();
  EXPECT_TRUE(interrupted) << "the menu the caller cut";
}

TEST_F(ConversationCall, EnglishCallerSaysGoodbyeAndTheAgentHangsUpOnG722) {
  auto wav = spoken_wav(dir, "goodbye", "en", "Goodbye.", 16000, 14.0, 15.0);
  // English calls speak with flite here (agent.engines.languages), Russian ones with RHVoice.
  AgentInstance agent(options("en", "  engines:\n    languages:\n      - {language: en, tts: flite}\n"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipG722, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller");
  // The agent ends the call after its goodbye: BYE from the agent.
  auto closed = caller.next_event("CALL_CLOSED", 60s);
  ASSERT_TRUE(closed) << caller.describe_events() << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"reason\":\"caller_request\""), 1u) << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"voice\":\"flite\""), 2u) << agent.describe();
  EXPECT_EQ(agent.count_log_lines("\"voice\":\"rhvoice\""), 0u) << agent.describe();
  caller.stop();
  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty());
  auto heard = transcribe(recordings.front(), "en");
  // (whisper hears flite's "Example Company" as "a sample company")
  EXPECT_THAT(heard, HasSubstr("company"));
  EXPECT_THAT(heard, HasSubstr("operator"));
  EXPECT_THAT(heard, HasSubstr("goodbye"));

  // The record (issue 12): ended by the agent, with what both sides said and the turn's latency.
  auto record = recorded_call(agent);
  EXPECT_EQ(record.call.end_reason, calls::EndReason::agent_hangup) << agent.describe();
  std::string caller_said, agent_said;
  for (const auto& segment : record.transcript)
    (segment.speaker == calls::Speaker::caller ? caller_said : agent_said) += lower_ascii(segment.text) + " ";
  EXPECT_THAT(caller_said, HasSubstr("goodbye"));
  EXPECT_THAT(agent_said, HasSubstr("goodbye"));
  ASSERT_FALSE(record.turns.empty());
  EXPECT_GT(record.turns.front().total_ms.value_or(0), 0.0);
  ASSERT_FALSE(record.events.empty());
  EXPECT_EQ(record.events.back().type, "call.ended");
  EXPECT_THAT(lower_ascii(record.events.back().payload), HasSubstr("goodbye"))
      << "the transcript goes with the event";
}

TEST_F(ConversationCall, RussianMenuByDtmfPlaysTheOpeningHours) {
  auto wav = dir / "silence.wav";
  run_tool_or_throw({"sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav.string(), "trim", "0", "40"});
  AgentInstance agent(options("ru"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok);
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller");
  // Wait for the greeting to start, then press 1 during the menu (RFC 4733 from baresip).
  ASSERT_TRUE(
      eventually([&] { return agent.count_log_lines("\"msg\":\"conversation: agent says\"") >= 2; }, 30s))
      << agent.describe();
  std::this_thread::sleep_for(2s);
  caller.send_dtmf('1');
  ASSERT_TRUE(eventually([&] { return agent.count_log_lines("понедельника") >= 1; }, 20s))
      << agent.describe();
  std::this_thread::sleep_for(12s);  // the hours prompt plays
  caller.hangup();
  caller.stop();
  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty());
  EXPECT_THAT(transcribe(recordings.front(), "ru"), HasSubstr("понедельник"));

  auto record = recorded_call(agent);
  EXPECT_EQ(record.call.end_reason, calls::EndReason::caller_hangup);
  ASSERT_EQ(record.dtmf.size(), 1u) << agent.describe();
  EXPECT_EQ(record.dtmf[0].digit, '1');
  EXPECT_EQ(record.dtmf[0].source, "rfc4733");
}

}  // namespace
}  // namespace va::test
