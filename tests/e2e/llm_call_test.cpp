// The AI dialogue on real SIP calls (issue 13): baresip calls the real `voice-agent serve`, plays synthesised
// caller speech; whisper recognises it, the LLM dialogue asks a chat server, the reply is spoken (RHVoice)
// and what baresip received is recognised again.
//
// The chat server here is the scripted test peer (support/misbehaving_chat_server.hpp): its answers are
// fixed per scenario, so the call's course is deterministic — a tool call that transfers, a server that
// never answers. The same dialogue against a real model is in llm_local_call_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "support/agent_instance.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/misbehaving_chat_server.hpp"
#include "support/spoken_audio.hpp"
#include "support/stored_calls.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class LlmCall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
  }

  AgentInstanceOptions options(const std::string& scenario, const std::string& timeout = "8s") {
    AgentInstanceOptions o;
    o.config_yaml =
        "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: ru\n"
        "agent:\n  language: ru\n  greeting: Здравствуйте! Чем могу помочь?\n"
        "  conversation:\n    no_input_timeout: 20s\n"
        "  engines:\n    llm: openai\n"
        "  llm:\n    base_url: " +
        server.base_url() + "\n    model: " + scenario +
        "\n    api_key: sk-e2e-secret\n    timeout: " + timeout +
        "\n    system_prompt: Ты вежливый помощник компании Пример.\n"
        "    transfer_targets:\n      - {name: operator, target: \"sip:operator@127.0.0.1:9\"}\n";
    o.sip_transports = {"udp"};
    o.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
    return o;
  }

  MisbehavingChatServer server;
  TempDirectory dir{"llm-e2e"};
};

TEST_F(LlmCall, TheModelsToolCallTransfersTheCallerWhoHearsItAnnounced) {
  auto wav = spoken_wav(dir, "operator", "ru", "Соедините меня с оператором, пожалуйста.", 8000, 4.0, 12.0);
  AgentInstance agent(options("tool"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();

  // The model answered the caller's words with transfer_call(operator): a REFER to the configured target.
  auto transfer = caller.next_event("TRANSFER", 60s);
  ASSERT_TRUE(transfer) << caller.describe_events() << agent.describe();
  EXPECT_THAT(transfer->param, HasSubstr("operator@127.0.0.1"));
  caller.hangup();
  caller.stop();

  // What the model was sent: the system prompt, the greeting as its own words, the caller's words as
  // recognised, the tools, the key only in the Authorization header.
  auto requests = server.requests();
  EXPECT_THAT(requests, HasSubstr("Ты вежливый помощник компании Пример."));
  EXPECT_THAT(requests, HasSubstr("Здравствуйте! Чем могу помочь?"));
  EXPECT_THAT(requests, HasSubstr("ператор"));
  EXPECT_THAT(requests, HasSubstr("\"transfer_call\""));
  EXPECT_THAT(requests, HasSubstr("Bearer sk-e2e-secret"));
  EXPECT_THAT(agent.log(), ::testing::Not(HasSubstr("sk-e2e-secret"))) << "the key is masked in the log";

  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty());
  auto heard = transcribe(recordings.front(), "ru");
  EXPECT_THAT(heard, HasSubstr("дравствуйте"));
  EXPECT_THAT(heard, HasSubstr("оединяю")) << "the sentence the model wrote before its tool call";

  EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), 1u) << agent.describe();
  bool transferring = false;
  for (const auto& t : calls.front().transitions) transferring |= t.to == calls::CallState::transferring;
  EXPECT_TRUE(transferring) << agent.describe();
  ASSERT_FALSE(calls.front().turns.empty()) << agent.describe();
  EXPECT_GT(calls.front().turns.front().total_ms.value_or(0), 0.0) << agent.log();
}

TEST_F(LlmCall, AModelThatNeverAnswersGetsTheSpokenFallbackAndTheCallGoesOn) {
  auto wav = spoken_wav(dir, "question", "ru", "Когда вы работаете?", 8000, 4.0, 14.0);
  AgentInstance agent(options("silent", "2s"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();
  // The caller's question at 4 s, its recognition, 2 s of the model's silence, then the fallback (played).
  ASSERT_TRUE(agent.process().wait_for_output("не успела ответить", Stream::err, 40s)) << agent.describe();
  EXPECT_FALSE(caller.next_event("CALL_CLOSED", 6s)) << "the call goes on after one failure";
  caller.hangup();
  caller.stop();
  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty());
  EXPECT_THAT(transcribe(recordings.front(), "ru"), HasSubstr("овторите"));
  EXPECT_EQ(agent.count_log_lines("\"msg\":\"llm: no answer within the timeout\""), 1u) << agent.describe();
  EXPECT_GE(agent.metric("voice_llm_requests_total{result=\"cancelled\"}"), 1.0) << agent.describe();
}

TEST_F(LlmCall, ACallerWhoInterruptsALongAnswerLeavesOnlyWhatTheyHeardInTheModelsHistory) {
  // The question at 4 s; the long answer starts a few seconds later; the caller cuts in about 6 s into it.
  auto question = spoken_wav(dir, "question", "ru", "Когда вы работаете?", 8000, 4.0, 0.2);
  auto interruption =
      spoken_wav(dir, "interruption", "ru", "Подождите, у меня другой вопрос.", 8000, 7.0, 12.0);
  auto wav = dir / "caller.wav";
  run_tool_or_throw({"sox", question.string(), interruption.string(), wav.string()});
  AgentInstance agent(options("long"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();
  // The second request to the model carries the answer as far as it was heard.
  ASSERT_TRUE(agent.process().wait_for_output("Хорошо, слушаю ваш вопрос.", Stream::err, 60s))
      << agent.describe();
  caller.hangup();
  caller.stop();
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: barge-in\""), 1u) << agent.describe();

  std::vector<nlohmann::json> requests;
  std::istringstream lines(server.requests());
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("{")) requests.push_back(nlohmann::json::parse(line)["body"]);
  ASSERT_GE(requests.size(), 2u) << server.requests();
  std::string cut;
  for (const auto& m : requests[1]["messages"])
    if (m["role"] == "assistant") cut = m["content"];  // the last one: the interrupted answer
  ASSERT_FALSE(cut.empty()) << requests[1].dump(2);
  EXPECT_TRUE(cut.ends_with("…")) << cut;
  EXPECT_THAT(cut, HasSubstr("Мы работаем"));
  EXPECT_THAT(cut, ::testing::Not(HasSubstr("с удовольствием расскажу"))) << "never played: " << cut;
  const std::string full =
      "Мы работаем каждый день с девяти утра до девяти вечера, без перерыва на обед и без выходных. "
      "В праздничные дни расписание может меняться, и мы заранее сообщаем об этом на нашем сайте.";
  EXPECT_TRUE(full.starts_with(cut.substr(0, cut.size() - std::string("…").size())) || cut.find(full) == 0)
      << "the heard part is a prefix of what the model wrote: " << cut;
  std::string last_user;
  for (const auto& m : requests[1]["messages"])
    if (m["role"] == "user") last_user = m["content"];
  EXPECT_THAT(last_user, HasSubstr("вопрос")) << "the interruption is the caller's new turn";

  // The record marks the answer as interrupted.
  EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
  // The usage the server reported for the answered request, cached prompt tokens included, is counted.
  EXPECT_GE(agent.metric("voice_llm_tokens_total{kind=\"cached_prompt\"}"), 256.0) << agent.describe();
  EXPECT_GE(agent.metric("voice_llm_tokens_total{kind=\"prompt\"}"), 300.0) << agent.describe();
  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), 1u);
  bool interrupted = false;
  for (const auto& segment : calls.front().transcript) interrupted |= segment.interrupted;
  EXPECT_TRUE(interrupted) << agent.describe();
}

// A menu first, free talk after, and back: key 2 hands the call to the model, which calls return_to_flow.
TEST_F(LlmCall, TheMenuHandsTheCallToTheModelWhichHandsItBack) {
  auto flow = dir / "menu.yaml";
  {
    std::ofstream out(flow);
    out << "flow: menu-then-ai\nlanguage: ru\nlanguages: [ru]\nstart: menu\nstates:\n"
           "  menu:\n    say: \"Главное меню. Нажмите два, чтобы задать вопрос.\"\n"
           "    listen:\n      intents:\n        - {name: question, dtmf: \"2\", next: free_talk}\n"
           "      no_input: {retries: 5, next: menu}\n"
           "  free_talk:\n    say: \"Задайте ваш вопрос.\"\n"
           "    llm:\n      instructions: Отвечай только про доставку.\n      return_to: menu\n";
  }
  auto wav = spoken_wav(dir, "question", "ru", "Сколько стоит доставка?", 8000, 9.0, 14.0);
  auto o = options("handback");
  *o.config_yaml += "  flow_file: " + flow.string() + "\n";
  AgentInstance agent(o);
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();
  std::this_thread::sleep_for(4s);  // the menu prompt
  ASSERT_TRUE(caller.send_dtmf('2').ok);
  // The model's answer, then the menu again.
  ASSERT_TRUE(agent.process().wait_for_output(
      [](const std::string&, const std::string& err) {
        auto back = err.find("возвращаю вас в меню");
        return back != std::string::npos && err.find("Главное меню", back) != std::string::npos;
      },
      60s))
      << agent.describe();
  caller.hangup();
  caller.stop();
  auto requests = server.requests();
  EXPECT_THAT(requests, HasSubstr("Отвечай только про доставку."));
  EXPECT_THAT(requests, HasSubstr("\"return_to_flow\""));
  EXPECT_THAT(requests, HasSubstr("оставк")) << "the caller's question reached the model";
  EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
  auto calls = stored_calls(agent.records_file());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.front().call.attributes["llm_state"], "free_talk") << agent.describe();
  EXPECT_EQ(calls.front().call.attributes["llm_return"], "return_to_flow") << agent.describe();
}

}  // namespace
}  // namespace va::test
