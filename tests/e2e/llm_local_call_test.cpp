// Whole calls with a real local model (issue 13): baresip plays a synthesised question into the real
// `voice-agent serve`; whisper recognises it, Gemma 3 270M (scripts/setup) answers — in-process through
// llama.cpp, or through llama-cpp-python's OpenAI-compatible server — and RHVoice speaks the answer, which
// baresip records and whisper recognises again. The small model's words are not predictable: the tests
// check that an answer was written, spoken, heard and recorded with its turn's metrics, not what it says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "support/agent_instance.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/llm_server.hpp"
#include "support/spoken_audio.hpp"
#include "support/stored_calls.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// serve with the AI dialogue: `llm` is the rest of the agent section (engines, llm).
AgentInstanceOptions llm_agent(const std::string& language, const std::string& greeting,
                               const std::string& llm) {
  AgentInstanceOptions options;
  options.config_yaml =
      "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: " + language +
      "\nagent:\n  language: " + language + "\n  greeting: " + greeting +
      "\n  conversation:\n    no_input_timeout: 30s\n" + llm;
  options.sip_transports = {"udp"};
  options.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
  return options;
}

class LlmLocalCall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
  }

  // The call: the question after the greeting, then silence while the model answers; the caller hangs up
  // once the agent has spoken its answer. Returns the call's record.
  calls::CallDetail call(AgentInstance& agent, const std::string& language, const std::string& question) {
    auto wav = spoken_wav(dir, "question", language, question, 8000, 4.5, 25.0);
    Baresip caller(baresip_peer("caller", kBaresipPcma, wav, 0, 10));
    EXPECT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
    EXPECT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();
    // The answer: the first prompt after the caller's turn (its sentences are logged as they are queued).
    EXPECT_TRUE(agent.process().wait_for_output(
        [](const std::string&, const std::string& err) {
          auto turn = err.find("\"msg\":\"conversation: caller said\"");
          return turn != std::string::npos &&
                 err.find("\"msg\":\"conversation: agent says\"", turn) != std::string::npos;
        },
        90s))
        << agent.describe();
    std::this_thread::sleep_for(8s);  // the answer is played
    caller.hangup();
    caller.stop();
    auto recordings = caller.received_recordings();
    EXPECT_FALSE(recordings.empty());
    if (!recordings.empty()) heard = transcribe(recordings.front(), language);
    EXPECT_EQ(agent.wait_for_metric("calls_state{state=\"active\"}", 0.0, 20s), 0.0) << agent.describe();
    auto calls = stored_calls(agent.records_file());
    EXPECT_EQ(calls.size(), 1u) << agent.describe();
    return calls.empty() ? calls::CallDetail{} : calls.front();
  }

  static void expect_answered(const calls::CallDetail& record, const std::string& greeting,
                              const AgentInstance& agent) {
    std::vector<std::string> agent_said;
    bool caller_spoke = false;
    for (const auto& segment : record.transcript) {
      if (segment.speaker == calls::Speaker::agent) agent_said.push_back(segment.text);
      caller_spoke |= segment.speaker == calls::Speaker::caller && !segment.text.empty();
    }
    EXPECT_TRUE(caller_spoke) << agent.describe();
    ASSERT_GE(agent_said.size(), 2u) << "the greeting and the model's answer\n" << agent.describe();
    EXPECT_EQ(agent_said.front(), greeting);
    EXPECT_FALSE(agent_said[1].empty());
    std::cout << "[ model said ] " << agent_said[1] << "\n";  // for the report of how well it follows
    ASSERT_FALSE(record.turns.empty()) << agent.describe();
    const auto& turn = record.turns.front();
    EXPECT_GT(turn.total_ms.value_or(0), 0.0) << "caller stopped → agent spoke";
    EXPECT_GT(turn.final_to_reply_ms.value_or(0), 0.0) << "the model's time to its first sentence";
    EXPECT_GE(agent.metric("voice_llm_requests_total{result=\"ok\"}"), 1.0) << agent.describe();
  }

  TempDirectory dir{"llm-local-e2e"};
  std::string heard;
};

TEST_F(LlmLocalCall, InProcessGemmaAnswersAnEnglishCallerAndTheAnswerIsSpokenAndRecorded) {
  const std::string greeting = "Hello! This is Example Company.";
  AgentInstance agent(llm_agent("en", greeting,
                                "  engines:\n    llm: llama.cpp\n    languages:\n"
                                "      - {language: en, tts: flite}\n"
                                "  llm:\n    max_tokens: 60\n    timeout: 30s\n"
                                "    system_prompt: You are the receptionist of Example Company. "
                                "We are open from nine to six on weekdays.\n"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  auto record = call(agent, "en", "Hello. When are you open?");
  expect_answered(record, greeting, agent);
  // The caller heard more than the greeting. ("Example" comes back from whisper as "a sample" as often as
  // not: the company is the greeting's word that survives flite and whisper.)
  EXPECT_THAT(heard, HasSubstr("company"));
  EXPECT_GT(heard.size(), greeting.size() + 8) << heard;
}

TEST_F(LlmLocalCall, GemmaBehindLlamaCppPythonsServerAnswersARussianCaller) {
  if (!LlmServer::available()) {
    const char* ci = std::getenv("CI");
    if (ci && *ci) FAIL() << LlmServer::unavailable_reason();
    GTEST_SKIP() << LlmServer::unavailable_reason();
  }
  LlmServer server;
  const std::string greeting = "Здравствуйте! Компания Пример.";
  AgentInstance agent(llm_agent("ru", greeting,
                                "  engines:\n    llm: openai\n  llm:\n    base_url: " + server.base_url() +
                                    "\n    model: " + server.model_id() +
                                    "\n    max_tokens: 60\n    timeout: 30s\n"
                                    "    system_prompt: Ты администратор компании Пример. "
                                    "Мы работаем с девяти до шести по будням.\n"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  auto record = call(agent, "ru", "Здравствуйте. Когда вы работаете?");
  expect_answered(record, greeting, agent);
  EXPECT_THAT(heard, HasSubstr("дравствуйте"));
  EXPECT_GT(heard.size(), greeting.size() + 8) << heard;
}

}  // namespace
}  // namespace va::test
