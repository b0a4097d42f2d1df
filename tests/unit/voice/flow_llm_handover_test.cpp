// A scripted flow hands the call to the AI dialogue (a state's `llm:`) and takes it back when the model
// calls return_to_flow: the real FlowDialogue and LlmDialogue through the recording host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "recording_dialogue_host.hpp"
#include "voice/flow/flow_dialogue.hpp"
#include "voice/flow/flow_loader.hpp"
#include "voice/llm/llm_dialogue.hpp"

namespace va::voice::flow {
namespace {

using test::RecordingDialogueHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

FlowLoadOptions no_env() {
  FlowLoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return options;
}

constexpr const char* kFlow = R"(language: ru
states:
  start:
    say: "Главное меню. Скажите «вопрос» или «часы»."
    listen:
      intents:
        - {name: question, keywords: [вопрос], next: free_talk}
        - {name: hours, keywords: [часы], next: hours}
  free_talk:
    say: "Задайте ваш вопрос."
    llm:
      instructions: "Answer questions about deliveries only."
      return_to: start
  hours: {say: "Мы работаем с девяти до шести.", actions: [{hangup: completed}]}
)";

std::shared_ptr<const Flow> handover_flow() {
  auto r = load_flow_string(kFlow, no_env());
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
  return r.flow;
}

LlmDialogueFactory real_llm() {
  auto settings = std::make_shared<llm::LlmSettings>();
  settings->system_prompt = "You are the assistant of Example Company.";
  return [settings](const std::string& instructions, std::function<void(std::string)> on_return) {
    return std::make_unique<llm::LlmDialogue>(settings, instructions, std::move(on_return));
  };
}

UserTurn speech(std::string text) {
  return {UserTurn::Kind::speech, std::move(text), false};
}

TEST(FlowLlmHandover, TheModelAnswersThenHandsBackToTheMenu) {
  auto flow = handover_flow();
  ASSERT_TRUE(flow);
  EXPECT_TRUE(uses_llm(*flow));
  RecordingDialogueHost host;
  FlowDialogue dialogue(flow, real_llm());
  dialogue.start(host);
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("Главное меню")));

  dialogue.on_user_turn(speech("У меня вопрос"));
  EXPECT_EQ(dialogue.state(), "free_talk");
  EXPECT_THAT(host.take_said(), ElementsAre("Задайте ваш вопрос."));
  EXPECT_EQ(host.metadata.at("llm_state"), "free_talk");
  ASSERT_EQ(host.chats.size(), 1u);       // the model greets in the state's role
  host.finish_chat(voice::ChatResult{});  // an empty answer: the fallback, the model is still in charge
  host.take_said();

  dialogue.on_user_turn(speech("Где моя посылка?"));
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& request = host.chats.front().request;
  EXPECT_THAT(request.messages.at(0).content, HasSubstr("Answer questions about deliveries only."));
  EXPECT_THAT(request.messages.back().content, HasSubstr("Где моя посылка?"));
  bool offers_return = false;
  for (const auto& tool : request.tools) offers_return |= tool.name == "return_to_flow";
  EXPECT_TRUE(offers_return);

  voice::ChatResult back;
  back.finish_reason = "tool_calls";
  back.tool_calls = {{"call_1", "return_to_flow", "{}"}};
  host.finish_chat(back);
  EXPECT_EQ(dialogue.state(), "free_talk");  // not from inside the model's callback
  EXPECT_EQ(host.fire_timers(), 1);
  EXPECT_EQ(dialogue.state(), "start");
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("Главное меню")));
  EXPECT_EQ(host.metadata.at("llm_return"), "return_to_flow");

  // The flow's intents hear the caller again; the model is asked nothing.
  dialogue.on_user_turn(speech("Какие у вас часы?"));
  EXPECT_TRUE(host.chats.empty());
  EXPECT_EQ(dialogue.state(), "hours");
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::completed));
}

TEST(FlowLlmHandover, WithoutAModelTheCallEndsWithAnError) {
  RecordingDialogueHost host;
  FlowDialogue dialogue(handover_flow());
  dialogue.start(host);
  dialogue.on_user_turn(speech("вопрос"));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::error));
  EXPECT_TRUE(host.chats.empty());
}

TEST(FlowLlmHandover, UsesLlmOnlyWhenAStateHandsOver) {
  auto r = load_flow_string("language: ru\nstates:\n  start: {say: hi, actions: [{hangup: completed}]}\n",
                            no_env());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(uses_llm(*r.flow));
}

}  // namespace
}  // namespace va::voice::flow
