// The AI dialogue (src/voice/llm/llm_dialogue.hpp) driven through the recording DialogueHost: the test plays
// the model (streams text, finishes requests) and the caller (turns, barge-ins).
#include "voice/llm/llm_dialogue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recording_dialogue_host.hpp"
#include "voice/flow/flow_dialogue.hpp"
#include "voice/flow/flow_loader.hpp"

namespace va::voice::llm {
namespace {

using test::RecordingDialogueHost;

ChatResult done(std::string text, std::vector<ToolCall> calls = {}, int prompt = 10, int completion = 5) {
  ChatResult r;
  r.text = std::move(text);
  r.tool_calls = std::move(calls);
  r.finish_reason = r.tool_calls.empty() ? "stop" : "tool_calls";
  r.prompt_tokens = prompt;
  r.completion_tokens = completion;
  return r;
}

UserTurn speech(std::string text, bool barged_in = false) {
  return UserTurn{UserTurn::Kind::speech, std::move(text), barged_in};
}

const ChatMessage* last_of(const std::vector<ChatMessage>& messages, ChatRole role) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->role == role) return &*it;
  return nullptr;
}

class LlmDialogueTest : public ::testing::Test {
 protected:
  std::shared_ptr<LlmSettings> settings = std::make_shared<LlmSettings>();
  RecordingDialogueHost host;

  void SetUp() override {
    settings->system_prompt = "Ты администратор компании Пример.";
    settings->transfer_targets = {{"operator", "sip:100@pbx"}};
  }
  std::unique_ptr<LlmDialogue> start(std::string instructions = {},
                                     std::function<void(std::string)> on_return = {}) {
    auto d = std::make_unique<LlmDialogue>(settings, std::move(instructions), std::move(on_return));
    d->start(host);
    return d;
  }
  // The model answers the oldest request with `text` in pieces, then finishes it.
  void answer(const std::vector<std::string>& pieces, std::vector<ToolCall> calls = {}) {
    std::string text;
    for (const auto& p : pieces) text += p;
    host.stream_chat(pieces);
    host.finish_chat(done(text, std::move(calls)));
  }
};

TEST_F(LlmDialogueTest, WithoutAGreetingTheModelGreetsWithTheCallInItsSystemMessage) {
  host.context.attributes = {{"sip.trunkPhoneNumber", "+74950000000"}};
  auto d = start();
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& request = host.chats.front().request;
  ASSERT_GE(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[0].role, ChatRole::system);
  const auto& system = request.messages[0].content;
  EXPECT_NE(system.find("Ты администратор компании Пример."), std::string::npos);
  EXPECT_NE(system.find("Answer in Russian"), std::string::npos);
  EXPECT_NE(system.find("+79990001122"), std::string::npos) << "the caller";
  EXPECT_NE(system.find("sip.trunkPhoneNumber: +74950000000"), std::string::npos);
  EXPECT_EQ(request.messages[1].role, ChatRole::user) << "templates want the user first";
  ASSERT_EQ(request.tools.size(), 3u);  // transfer_call, end_call, send_dtmf
  EXPECT_EQ(request.tools[0].name, "transfer_call");
  EXPECT_NE(request.tools[0].parameters.find("\"operator\""), std::string::npos);
}

TEST_F(LlmDialogueTest, AConfiguredGreetingIsSaidAndBecomesTheAssistantsFirstWords) {
  settings->greeting = {{"ru", "Здравствуйте! Компания Пример."}};
  auto d = start();
  EXPECT_TRUE(host.chats.empty());
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{"Здравствуйте! Компания Пример."}));
  d->on_user_turn(speech("Когда вы работаете?"));
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& messages = host.chats.front().request.messages;
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[2].role, ChatRole::assistant);
  EXPECT_EQ(messages[2].content, "Здравствуйте! Компания Пример.");
  EXPECT_EQ(messages[3].content, "Когда вы работаете?");
}

TEST_F(LlmDialogueTest, SentencesAreSpokenWhileTheModelIsStillWriting) {
  auto d = start();
  host.stream_chat({"Здравствуйте", "! Чем могу", " помочь? Я"});
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{"Здравствуйте!", "Чем могу помочь?"}));
  EXPECT_TRUE(d->generating());
  host.stream_chat({" слушаю."});
  host.finish_chat(done("Здравствуйте! Чем могу помочь? Я слушаю."));
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{"Я слушаю."}));
  EXPECT_FALSE(d->generating());
  auto reply = last_of(d->history(), ChatRole::assistant);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->content, "Здравствуйте! Чем могу помочь? Я слушаю.");
}

TEST_F(LlmDialogueTest, ABargeInLeavesOnlyTheWordsHeardInTheHistoryAndStopsTheModel) {
  host.auto_said = false;
  auto d = start();
  host.stream_chat({"Мы работаем с девяти. ", "По субботам до шести. ", "По воскресеньям "});
  ASSERT_EQ(host.pending_said.size(), 2u);
  host.finish_said();            // the first sentence was played
  host.cut_said("По субботам");  // the caller cut the second
  EXPECT_FALSE(d->generating()) << "the rest of the reply is not wanted";
  EXPECT_EQ(host.cancelled_chats.size(), 1u);
  EXPECT_TRUE(host.chats.empty());
  auto reply = last_of(d->history(), ChatRole::assistant);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->content, "Мы работаем с девяти. По субботам…");
  d->on_user_turn(speech("А в воскресенье?", true));
  ASSERT_EQ(host.chats.size(), 1u);
  auto sent = last_of(host.chats.front().request.messages, ChatRole::assistant);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->content, "Мы работаем с девяти. По субботам…");
  EXPECT_EQ(host.chats.front().request.messages.back().content, "А в воскресенье?");
}

TEST_F(LlmDialogueTest, AReplyCutBeforeItsFirstWordIsLeftOutAndTheTurnsAreJoined) {
  host.auto_said = false;
  auto d = start();
  host.stream_chat({"Добрый день. "});
  host.cut_said("");
  d->on_user_turn(speech("Алло"));
  host.finish_chat(done("", {}));  // (ignored: that request was cancelled; this answers the new one)
  d->on_user_turn(speech("Вы слышите?"));
  ASSERT_FALSE(host.chats.empty());
  const auto& messages = host.chats.back().request.messages;
  for (const auto& m : messages)
    EXPECT_FALSE(m.role == ChatRole::assistant && m.content.empty() && m.tool_calls.empty());
  for (std::size_t i = 2; i < messages.size(); ++i)
    EXPECT_FALSE(messages[i].role == ChatRole::user && messages[i - 1].role == ChatRole::user) << i;
}

TEST_F(LlmDialogueTest, ATurnWhileTheModelWritesCancelsTheRequest) {
  auto d = start();
  d->on_user_turn(speech("Подождите"));
  EXPECT_EQ(host.cancelled_chats.size(), 1u);
  ASSERT_EQ(host.chats.size(), 1u);
  EXPECT_EQ(host.chats.front().request.messages.back().content,
            "(The phone call has just been connected.)\nПодождите");
}

TEST_F(LlmDialogueTest, TransferGoesOnlyToANamedTarget) {
  auto d = start();
  answer({"Соединяю."}, {{"c1", "transfer_call", R"({"target":"sales"})"}});
  EXPECT_TRUE(host.transfers.empty());
  ASSERT_EQ(host.chats.size(), 1u) << "the error goes back to the model";
  auto tool = last_of(host.chats.front().request.messages, ChatRole::tool);
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->tool_call_id, "c1");
  EXPECT_NE(tool->content.find("unknown target 'sales'"), std::string::npos);
  answer({}, {{"c2", "transfer_call", R"({"target":"operator"})"}});
  EXPECT_EQ(host.transfers, (std::vector<std::string>{"sip:100@pbx"}));
  EXPECT_EQ(host.metadata["llm_transfer"], "operator");
  EXPECT_TRUE(host.chats.empty());
  d->on_user_turn(speech("Алло?"));
  EXPECT_TRUE(host.chats.empty()) << "a transferred call is over for the model";
}

TEST_F(LlmDialogueTest, EndCallAndDtmf) {
  auto d = start();
  answer({}, {{"c1", "send_dtmf", R"({"digits":"12#"})"}, {"c2", "send_dtmf", R"({"digits":"12x"})"}});
  EXPECT_EQ(host.dtmf_sent, (std::vector<std::string>{"12#"}));
  ASSERT_EQ(host.chats.size(), 1u);
  auto tool = last_of(host.chats.front().request.messages, ChatRole::tool);
  ASSERT_NE(tool, nullptr);
  EXPECT_NE(tool->content.find("digits must be"), std::string::npos);
  answer({"До свидания!"}, {{"c3", "end_call", "{}"}});
  EXPECT_EQ(host.hangups, (std::vector<HangupReason>{HangupReason::completed}));
  EXPECT_EQ(host.take_said().back(), "До свидания!");
}

TEST_F(LlmDialogueTest, ABusinessToolGetsCheckedArgumentsAndItsAnswerGoesBackToTheModel) {
  HttpTool tool;
  tool.name = "order_status";
  tool.description = "Look up an order";
  tool.url = "http://crm.local/orders";
  tool.headers = {{"Authorization", "Bearer t"}};
  tool.parameters =
      R"({"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]})";
  settings->tools = {tool};
  auto d = start();
  answer({}, {{"c1", "order_status", R"({"order_id": 42})"}});
  EXPECT_TRUE(host.requests.empty()) << "a number where a string is declared";
  ASSERT_EQ(host.chats.size(), 1u);
  answer({}, {{"c2", "order_status", R"({"order_id":"A-42"})"}});
  ASSERT_EQ(host.requests.size(), 1u);
  EXPECT_EQ(host.requests[0].url, "http://crm.local/orders");
  EXPECT_EQ(host.requests[0].method, "POST");
  EXPECT_EQ(nlohmann::json::parse(host.requests[0].body)["order_id"], "A-42");
  EXPECT_EQ(host.requests[0].headers.at("Authorization"), "Bearer t");
  EXPECT_TRUE(host.chats.empty()) << "the model waits for the tool";
  host.answer_fetch({200, R"({"status":"shipped"})", ""});
  ASSERT_EQ(host.chats.size(), 1u);
  auto answered = last_of(host.chats.front().request.messages, ChatRole::tool);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->tool_call_id, "c2");
  EXPECT_EQ(answered->content, R"({"status":"shipped"})");
  auto asked = last_of(host.chats.front().request.messages, ChatRole::assistant);
  ASSERT_NE(asked, nullptr);
  ASSERT_EQ(asked->tool_calls.size(), 1u);
  EXPECT_EQ(asked->tool_calls[0].id, "c2");
}

TEST_F(LlmDialogueTest, NoAnswerInTimeIsTheFallbackAndTwoInARowEndTheCall) {
  auto d = start();
  EXPECT_EQ(host.fire_timers(), 1);
  EXPECT_EQ(host.cancelled_chats.size(), 1u);
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{settings->fallback_phrase.at("ru")}));
  EXPECT_TRUE(host.hangups.empty());
  d->on_user_turn(speech("Алло"));
  host.finish_chat(ChatError{ChatError::Kind::status, "test", "status 500"});
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{settings->failure_phrase.at("ru")}));
  EXPECT_EQ(host.hangups, (std::vector<HangupReason>{HangupReason::error}));
}

TEST_F(LlmDialogueTest, GivingUpTransfersWhenAFailureTargetIsSet) {
  settings->failure_transfer = "operator";
  settings->max_failures = 1;
  auto d = start();
  host.finish_chat(ChatError{ChatError::Kind::connect, "test", "refused"});
  EXPECT_EQ(host.transfers, (std::vector<std::string>{"sip:100@pbx"}));
  EXPECT_TRUE(host.hangups.empty());
}

TEST_F(LlmDialogueTest, TurnAndTokenLimitsSayGoodbye) {
  settings->max_turns = 1;
  auto d = start();
  answer({"Слушаю."});
  d->on_user_turn(speech("Раз"));
  answer({"Да."});
  d->on_user_turn(speech("Два"));
  EXPECT_TRUE(host.chats.empty());
  EXPECT_EQ(host.take_said().back(), settings->limit_phrase.at("ru"));
  EXPECT_EQ(host.hangups, (std::vector<HangupReason>{HangupReason::completed}));

  RecordingDialogueHost other;
  auto tokens = std::make_shared<LlmSettings>();
  tokens->max_call_tokens = 1000;
  LlmDialogue t(tokens);
  t.start(other);
  other.finish_chat(done("Хорошо.", {}, 900, 200));
  EXPECT_EQ(other.hangups, (std::vector<HangupReason>{HangupReason::completed}));
  EXPECT_EQ(t.usage().prompt_tokens + t.usage().completion_tokens, 1100);
}

TEST_F(LlmDialogueTest, AToolLoopIsCutAfterTheRoundLimit) {
  settings->max_tool_rounds = 2;
  auto d = start();
  answer({}, {{"a", "send_dtmf", R"({"digits":"1"})"}});
  answer({}, {{"b", "send_dtmf", R"({"digits":"2"})"}});
  answer({}, {{"c", "send_dtmf", R"({"digits":"3"})"}});
  EXPECT_EQ(host.dtmf_sent, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(host.chats.empty());
  EXPECT_EQ(host.take_said().back(), settings->fallback_phrase.at("ru"));
}

TEST_F(LlmDialogueTest, SilenceWhileTheModelWritesIsNotNoInput) {
  settings->no_input_retries = 1;
  auto d = start();
  d->on_no_input();
  EXPECT_TRUE(host.said.empty());
  answer({"Слушаю."});
  host.take_said();
  d->on_no_input();
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{"Вы меня слышите?"}));
  d->on_no_input();
  EXPECT_EQ(host.hangups, (std::vector<HangupReason>{HangupReason::no_input}));
}

TEST_F(LlmDialogueTest, DtmfEmptySpeechAndUnderstanding) {
  auto d = start();
  answer({"Слушаю."});
  host.take_said();
  d->on_user_turn(speech(""));
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{settings->not_heard_phrase.at("ru")}));
  EXPECT_TRUE(host.chats.empty());
  EXPECT_FALSE(d->understands(speech("")));
  EXPECT_TRUE(d->understands(speech("угу")));
  d->on_user_turn(UserTurn{UserTurn::Kind::dtmf, "5", false});
  ASSERT_EQ(host.chats.size(), 1u);
  EXPECT_EQ(host.chats.front().request.messages.back().content, "(keyed on the phone: 5)");
}

TEST_F(LlmDialogueTest, AShortHistoryWindowStillStartsWithTheUser) {
  settings->max_history = 3;
  auto d = start();
  for (const char* text : {"Один", "Два", "Три"}) {
    answer({"Ответ."});
    d->on_user_turn(speech(text));
  }
  const auto& messages = host.chats.front().request.messages;
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[1].role, ChatRole::user);
  EXPECT_LE(messages.size(), 5u);
  EXPECT_EQ(messages.back().content, "Три");
}

// A menu first, the model after, and back (State::llm).
TEST(LlmHandover, TheFlowHandsTheCallToTheModelAndTakesItBack) {
  auto loaded = flow::load_flow_string(R"(
flow: t
language: ru
languages: [ru]
start: menu
states:
  menu:
    say: "Меню. Скажите вопрос."
    listen:
      intents:
        - {name: question, keywords: [вопрос], next: free_talk}
        - {name: bye, keywords: [пока], actions: [{hangup: completed}]}
  free_talk:
    say: "Спрашивайте."
    llm:
      instructions: "Only about delivery."
      return_to: menu
)");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().to_string());
  EXPECT_TRUE(flow::uses_llm(*loaded.flow));
  auto settings = std::make_shared<LlmSettings>();
  flow::FlowDialogue dialogue(
      loaded.flow, [settings](const std::string& instructions, std::function<void(std::string)> on_return) {
        return std::make_unique<LlmDialogue>(settings, instructions, std::move(on_return));
      });
  RecordingDialogueHost host;
  dialogue.start(host);
  dialogue.on_user_turn(speech("у меня вопрос"));
  ASSERT_EQ(host.chats.size(), 1u);
  EXPECT_NE(host.chats.front().request.messages[0].content.find("Only about delivery."), std::string::npos);
  ASSERT_EQ(host.chats.front().request.tools.back().name, "return_to_flow");
  host.finish_chat(done("Слушаю вас."));
  dialogue.on_user_turn(speech("пока"));  // goes to the model, not to the flow's intent
  EXPECT_TRUE(host.hangups.empty());
  ASSERT_EQ(host.chats.size(), 1u);
  host.finish_chat(done("Возвращаю в меню.", {{"r", "return_to_flow", "{}"}}));
  host.take_said();
  EXPECT_EQ(host.fire_timers(), 1) << "the hand-back runs from a timer, outside the model's callback";
  EXPECT_EQ(dialogue.state(), "menu");
  EXPECT_EQ(host.take_said(), (std::vector<std::string>{"Меню. Скажите вопрос."}));
  EXPECT_EQ(host.metadata["llm_return"], "return_to_flow");
  dialogue.on_user_turn(speech("пока"));
  EXPECT_EQ(host.hangups, (std::vector<HangupReason>{HangupReason::completed})) << "the flow's intent again";
}

TEST(LlmHandover, TheLoaderRefusesMixedOrUnknownKeys) {
  auto both = flow::load_flow_string(
      "flow: t\nlanguage: ru\nstart: a\nstates:\n  a:\n    say: x\n    llm: {return_to: a}\n"
      "    listen: {intents: [{name: i, dtmf: '1', next: a}]}\n");
  EXPECT_FALSE(both.ok());
  auto unknown =
      flow::load_flow_string("flow: t\nlanguage: ru\nstart: a\nstates:\n  a:\n    llm: {retrun_to: a}\n");
  EXPECT_FALSE(unknown.ok());
  auto missing =
      flow::load_flow_string("flow: t\nlanguage: ru\nstart: a\nstates:\n  a:\n    llm: {return_to: b}\n");
  EXPECT_FALSE(missing.ok());
  auto fine =
      flow::load_flow_string("flow: t\nlanguage: ru\nstart: a\nstates:\n  a:\n    llm: {return_to: a}\n");
  EXPECT_TRUE(fine.ok()) << (fine.errors.empty() ? "" : fine.errors.front().to_string());
}

}  // namespace
}  // namespace va::voice::llm
