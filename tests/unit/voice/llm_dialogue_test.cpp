// The AI dialogue driven as the conversation drives it, through a recording DialogueHost that also plays the
// model's part (chats are streamed and finished by the test): what the caller hears, what the model is
// sent, and what the model may and may not make happen.
#include "voice/llm/llm_dialogue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recording_dialogue_host.hpp"

namespace va::voice::llm {
namespace {

using nlohmann::json;
using test::RecordingDialogueHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kPrompt = "You are the receptionist of Example Company.";
// The default phrases: the model gave no usable answer; the caller's words were not recognised; a limit.
const std::string kFallbackRu = LlmSettings{}.fallback_phrase.at("ru");
const std::string kNotHeardRu = LlmSettings{}.not_heard_phrase.at("ru");
const std::string kLimitRu = LlmSettings{}.limit_phrase.at("ru");

std::shared_ptr<LlmSettings> base_settings() {
  auto s = std::make_shared<LlmSettings>();
  s->system_prompt = kPrompt;
  return s;
}

ChatResult reply(std::string text, std::vector<ToolCall> calls = {}) {
  ChatResult r;
  r.finish_reason = calls.empty() ? "stop" : "tool_calls";
  r.text = std::move(text);
  r.tool_calls = std::move(calls);
  return r;
}

// The model answers the oldest request: streams `text` (as one piece), then finishes.
void answer(RecordingDialogueHost& host, const std::string& text, std::vector<ToolCall> calls = {}) {
  if (!text.empty()) host.stream_chat({text});
  host.finish_chat(reply(text, std::move(calls)));
}

ChatError engine_error(std::string message) {
  return ChatError{ChatError::Kind::engine, "test", std::move(message)};
}

UserTurn speech(std::string text) {
  return {UserTurn::Kind::speech, std::move(text), false};
}

std::vector<ChatRole> roles(const std::vector<ChatMessage>& messages) {
  std::vector<ChatRole> out;
  for (const auto& m : messages) out.push_back(m.role);
  return out;
}

std::vector<std::string> tool_names(const ChatRequest& request) {
  std::vector<std::string> out;
  for (const auto& t : request.tools) out.push_back(t.name);
  return out;
}

// A dialogue that was started and whose first request (the greeting) the model answered.
struct Greeted {
  explicit Greeted(std::shared_ptr<LlmSettings> s = base_settings()) : dialogue(std::move(s)) {
    dialogue.start(host);
    answer(host, "Здравствуйте.");
    host.take_said();
  }
  RecordingDialogueHost host;
  LlmDialogue dialogue;
};

TEST(LlmDialogueStart, WithoutGreetingAsksTheModelWithTheCallInTheSystemPrompt) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  EXPECT_TRUE(host.said.empty());
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& request = host.chats.front().request;
  ASSERT_GE(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[0].role, ChatRole::system);
  EXPECT_THAT(request.messages[0].content, HasSubstr(kPrompt));
  EXPECT_THAT(request.messages[0].content, HasSubstr("+79990001122"));
  EXPECT_THAT(request.messages[0].content, HasSubstr("Russian"));
  EXPECT_EQ(request.messages[1].role, ChatRole::user);
  EXPECT_EQ(request.max_tokens, 200);
  // Default tools; no transfer tool without targets, no return_to_flow outside a flow.
  EXPECT_THAT(tool_names(request), ElementsAre("end_call", "send_dtmf"));
  EXPECT_TRUE(dialogue.generating());
}

TEST(LlmDialogueStart, EnglishCallIsAnsweredInEnglish) {
  RecordingDialogueHost host;
  host.context.language = "en";
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  EXPECT_THAT(host.chats.front().request.messages[0].content, HasSubstr("Answer in English"));
}

TEST(LlmDialogueStart, GreetingIsSaidFirstAndIsTheAssistantsFirstWords) {
  auto s = base_settings();
  s->greeting = {{"ru", "Здравствуйте! Компания «Пример»."}};
  RecordingDialogueHost host;
  LlmDialogue dialogue(s);
  dialogue.start(host);
  EXPECT_THAT(host.take_said(), ElementsAre("Здравствуйте! Компания «Пример»."));
  EXPECT_TRUE(host.chats.empty());
  ASSERT_EQ(dialogue.history().size(), 2u);
  EXPECT_EQ(dialogue.history()[1].role, ChatRole::assistant);
  EXPECT_EQ(dialogue.history()[1].content, "Здравствуйте! Компания «Пример».");

  dialogue.on_user_turn(speech("Какие у вас часы работы?"));
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& messages = host.chats.front().request.messages;
  EXPECT_THAT(roles(messages),
              ElementsAre(ChatRole::system, ChatRole::user, ChatRole::assistant, ChatRole::user));
  EXPECT_EQ(messages[2].content, "Здравствуйте! Компания «Пример».");
  EXPECT_EQ(messages[3].content, "Какие у вас часы работы?");
}

TEST(LlmDialogueStreaming, EachSentenceIsSaidAsSoonAsItIsWritten) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Здравствуйте! Чем мо", "гу помочь? Я"});
  EXPECT_THAT(host.take_said(), ElementsAre("Здравствуйте!", "Чем могу помочь?"));  // before the end
  host.stream_chat({" слушаю вас"});
  EXPECT_THAT(host.take_said(), IsEmpty());
  host.finish_chat(reply("Здравствуйте! Чем могу помочь? Я слушаю вас"));
  EXPECT_THAT(host.take_said(), ElementsAre("Я слушаю вас"));
  EXPECT_FALSE(dialogue.generating());
  EXPECT_EQ(dialogue.history().back().role, ChatRole::assistant);
  EXPECT_EQ(dialogue.history().back().content, "Здравствуйте! Чем могу помочь? Я слушаю вас");
  EXPECT_EQ(dialogue.usage().requests, 1);
}

TEST(LlmDialogueBargeIn, HistoryKeepsOnlyWhatWasHeardAndTheModelIsToldSo) {
  RecordingDialogueHost host;
  host.auto_said = false;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Первое предложение. Второе предложение. Третье предложение. "});
  ASSERT_EQ(host.pending_said.size(), 3u);
  host.finish_said();
  EXPECT_TRUE(dialogue.generating());
  host.cut_said("Второе пред");
  // The model stops writing a reply nobody listens to.
  EXPECT_THAT(host.cancelled_chats, ElementsAre(1));
  EXPECT_FALSE(dialogue.generating());
  EXPECT_EQ(dialogue.history().back().content, "Первое предложение. Второе пред…");

  dialogue.on_user_turn(speech("Подождите, а сколько стоит?"));
  ASSERT_EQ(host.chats.size(), 1u);
  const auto& messages = host.chats.front().request.messages;
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[2].role, ChatRole::assistant);
  EXPECT_EQ(messages[2].content, "Первое предложение. Второе пред…");
  EXPECT_EQ(messages[3].content, "Подождите, а сколько стоит?");
}

TEST(LlmDialogueBargeIn, ATurnWhileTheModelWritesCancelsItAndAsksAgain) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Сейчас посмотрю"});
  dialogue.on_user_turn(speech("Алло"));
  EXPECT_THAT(host.cancelled_chats, ElementsAre(1));
  ASSERT_EQ(host.chats.size(), 1u);
  EXPECT_EQ(host.chats.front().id, 2);
  // The cut reply had no heard word: no empty assistant message; the user messages are joined.
  const auto& messages = host.chats.front().request.messages;
  EXPECT_THAT(roles(messages), ElementsAre(ChatRole::system, ChatRole::user));
  EXPECT_THAT(messages[1].content, HasSubstr("\nАлло"));
  answer(host, "Да, слушаю.");
  EXPECT_THAT(host.take_said(), ElementsAre("Да, слушаю."));  // nothing of the cancelled reply
}

TEST(LlmDialogueBargeIn, AReplyCutBeforeItsFirstWordIsLeftOutAndTheTurnsAreJoined) {
  RecordingDialogueHost host;
  host.auto_said = false;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Добрый день. "});
  host.cut_said("");  // the sentence was queued, and cut before its first word was played
  dialogue.on_user_turn(speech("Алло"));
  host.finish_chat(reply(""));  // answers the new request
  dialogue.on_user_turn(speech("Вы слышите?"));
  ASSERT_FALSE(host.chats.empty());
  const auto& messages = host.chats.back().request.messages;
  for (const auto& m : messages)
    EXPECT_FALSE(m.role == ChatRole::assistant && m.content.empty() && m.tool_calls.empty());
  for (std::size_t i = 2; i < messages.size(); ++i)
    EXPECT_FALSE(messages[i].role == ChatRole::user && messages[i - 1].role == ChatRole::user) << i;
}

// --- tools -------------------------------------------------------------------------------------------

std::shared_ptr<LlmSettings> with_operator() {
  auto s = base_settings();
  s->transfer_targets = {{"operator", "sip:100@pbx"}};
  return s;
}

TEST(LlmDialogueTools, TransferToAConfiguredTarget) {
  Greeted g(with_operator());
  g.dialogue.on_user_turn(speech("Соедините с оператором"));
  EXPECT_THAT(tool_names(g.host.chats.front().request), ::testing::Contains("transfer_call"));
  answer(g.host, "Соединяю с оператором.", {{"call_1", "transfer_call", R"({"target":"operator"})"}});
  EXPECT_THAT(g.host.take_said(), ElementsAre("Соединяю с оператором."));
  EXPECT_THAT(g.host.transfers, ElementsAre("sip:100@pbx"));
  EXPECT_EQ(g.host.metadata.at("llm_transfer"), "operator");
  EXPECT_TRUE(g.host.chats.empty());
  g.dialogue.on_user_turn(speech("Алло?"));  // nothing after a transfer
  EXPECT_TRUE(g.host.chats.empty());
}

TEST(LlmDialogueTools, UnknownTransferTargetGoesBackToTheModelAsAnError) {
  Greeted g(with_operator());
  g.dialogue.on_user_turn(speech("Соедините с директором"));
  g.host.finish_chat(reply("", {{"call_1", "transfer_call", R"({"target":"+74951234567"})"}}));
  EXPECT_TRUE(g.host.transfers.empty());
  ASSERT_EQ(g.host.chats.size(), 1u);
  const auto& messages = g.host.chats.front().request.messages;
  ASSERT_GE(messages.size(), 2u);
  const auto& call = messages[messages.size() - 2];
  EXPECT_EQ(call.role, ChatRole::assistant);
  ASSERT_EQ(call.tool_calls.size(), 1u);
  EXPECT_EQ(call.tool_calls[0].name, "transfer_call");
  EXPECT_EQ(messages.back().role, ChatRole::tool);
  EXPECT_EQ(messages.back().tool_call_id, "call_1");
  EXPECT_THAT(messages.back().content, HasSubstr("\"error\""));
}

TEST(LlmDialogueTools, EndCallHangsUpWithoutAnotherGoodbye) {
  Greeted g;
  g.dialogue.on_user_turn(speech("Всё, спасибо"));
  answer(g.host, "До свидания!", {{"call_1", "end_call", "{}"}});
  EXPECT_THAT(g.host.take_said(), ElementsAre("До свидания!"));
  EXPECT_THAT(g.host.hangups, ElementsAre(HangupReason::completed));
  EXPECT_TRUE(g.host.chats.empty());
}

TEST(LlmDialogueTools, SendDtmfChecksTheDigits) {
  Greeted g;
  g.dialogue.on_user_turn(speech("Наберите добавочный"));
  g.host.finish_chat(reply("", {{"call_1", "send_dtmf", R"({"digits":"12#"})"}}));
  EXPECT_THAT(g.host.dtmf_sent, ElementsAre("12#"));
  ASSERT_EQ(g.host.chats.size(), 1u);
  EXPECT_EQ(g.host.chats.front().request.messages.back().content, R"({"sent":"12#"})");
  g.host.finish_chat(reply("", {{"call_2", "send_dtmf", R"({"digits":"12x; rm -rf"})"}}));
  EXPECT_THAT(g.host.dtmf_sent, ElementsAre("12#"));
  ASSERT_EQ(g.host.chats.size(), 1u);
  const auto& answer = g.host.chats.front().request.messages.back();
  EXPECT_EQ(answer.tool_call_id, "call_2");
  EXPECT_THAT(answer.content, HasSubstr("\"error\""));
}

std::shared_ptr<LlmSettings> with_order_tool() {
  auto s = base_settings();
  HttpTool tool;
  tool.name = "order_status";
  tool.description = "The status of an order by its number.";
  tool.parameters = R"({"type":"object","properties":{"order":{"type":"string"}},"required":["order"]})";
  tool.url = "https://shop.example/api/order-status";
  s->tools.push_back(tool);
  return s;
}

TEST(LlmDialogueTools, BusinessToolIsPostedAndItsAnswerGoesBackToTheModel) {
  Greeted g(with_order_tool());
  g.dialogue.on_user_turn(speech("Где мой заказ 4512?"));
  EXPECT_THAT(tool_names(g.host.chats.front().request), ::testing::Contains("order_status"));
  g.host.finish_chat(reply("", {{"call_7", "order_status", R"({"order":"4512"})"}}));
  ASSERT_EQ(g.host.requests.size(), 1u);
  EXPECT_EQ(g.host.requests[0].url, "https://shop.example/api/order-status");
  EXPECT_EQ(g.host.requests[0].method, "POST");
  EXPECT_EQ(json::parse(g.host.requests[0].body), json({{"order", "4512"}}));
  EXPECT_EQ(g.host.requests[0].headers.at("Content-Type"), "application/json");
  EXPECT_TRUE(g.host.chats.empty());  // waits for the endpoint
  g.dialogue.on_no_input();           // and does not nag the caller meanwhile
  EXPECT_TRUE(g.host.said.empty());

  g.host.answer_fetch({200, R"({"status":"shipped"})", ""});
  ASSERT_EQ(g.host.chats.size(), 1u);
  const auto& last = g.host.chats.front().request.messages.back();
  EXPECT_EQ(last.role, ChatRole::tool);
  EXPECT_EQ(last.tool_call_id, "call_7");
  EXPECT_EQ(last.content, R"({"status":"shipped"})");
  EXPECT_EQ(g.dialogue.usage().tool_calls, 1);
}

TEST(LlmDialogueTools, ArgumentsAgainstTheSchemaAreCheckedBeforeAnythingIsSent) {
  Greeted g(with_order_tool());
  g.dialogue.on_user_turn(speech("Где мой заказ?"));
  g.host.finish_chat(reply("", {{"call_1", "order_status", R"({"number":"4512"})"}}));
  ASSERT_EQ(g.host.chats.size(), 1u);
  EXPECT_THAT(g.host.chats.front().request.messages.back().content,
              HasSubstr("missing required argument 'order'"));
  g.host.finish_chat(reply("", {{"call_2", "order_status", R"({"order":4512})"}}));
  ASSERT_EQ(g.host.chats.size(), 1u);
  EXPECT_THAT(g.host.chats.front().request.messages.back().content, HasSubstr("must be of type string"));
  g.host.finish_chat(reply("", {{"call_3", "order_status", R"({"order":)"}}));
  ASSERT_EQ(g.host.chats.size(), 1u);
  EXPECT_THAT(g.host.chats.front().request.messages.back().content, HasSubstr("not a JSON object"));
  EXPECT_TRUE(g.host.requests.empty());
}

TEST(LlmDialogueTools, ToolLoopIsCutAfterMaxToolRounds) {
  auto s = base_settings();
  s->max_tool_rounds = 2;
  Greeted g(s);
  g.dialogue.on_user_turn(speech("Наберите единицу"));
  g.host.finish_chat(reply("", {{"call_1", "send_dtmf", R"({"digits":"1"})"}}));
  g.host.finish_chat(reply("", {{"call_2", "send_dtmf", R"({"digits":"1"})"}}));
  g.host.finish_chat(reply("", {{"call_3", "send_dtmf", R"({"digits":"1"})"}}));
  EXPECT_THAT(g.host.dtmf_sent, ElementsAre("1", "1"));
  EXPECT_TRUE(g.host.chats.empty());
  EXPECT_THAT(g.host.take_said(), ElementsAre(kFallbackRu));
}

// --- failures and limits -----------------------------------------------------------------------------

TEST(LlmDialogueFailures, NoTextWithinTheTimeoutCancelsAndSaysTheFallback) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  ASSERT_EQ(host.timers.size(), 1u);
  EXPECT_EQ(host.timers.begin()->second.delay, std::chrono::milliseconds(8000));
  host.fire_timers();
  EXPECT_THAT(host.cancelled_chats, ElementsAre(1));
  EXPECT_TRUE(host.chats.empty());
  EXPECT_THAT(host.take_said(), ElementsAre(kFallbackRu));
  EXPECT_TRUE(host.hangups.empty());
}

TEST(LlmDialogueFailures, AReplyThatStallsMidSentenceLeavesNothingForTheNextReply) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Первое. Вто"});
  EXPECT_THAT(host.take_said(), ElementsAre("Первое."));
  host.fire_timers();  // the server stalls: the caller has heard something, so no fallback
  EXPECT_THAT(host.cancelled_chats, ElementsAre(1));
  EXPECT_THAT(host.take_said(), IsEmpty());
  dialogue.on_user_turn(speech("Алло"));
  answer(host, "Ответ.");
  EXPECT_THAT(host.take_said(), ElementsAre("Ответ."));
}

TEST(LlmDialogueFailures, AStallWhileTheFirstSentenceStillPlaysIsNoFailure) {
  RecordingDialogueHost host;
  host.auto_said = false;  // "Первое." is still being played when the server stalls
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Первое. Вто"});
  host.fire_timers();
  EXPECT_THAT(host.cancelled_chats, ElementsAre(1));
  EXPECT_THAT(host.take_said(), ElementsAre("Первое."));  // no fallback queued behind it
  EXPECT_EQ(dialogue.usage().failures, 0);
}

TEST(LlmDialogueFailures, AStallBeforeTheFirstSentenceEndsIsTheFallback) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.stream_chat({"Здравст"});  // half a word is never spoken
  host.fire_timers();
  EXPECT_THAT(host.take_said(), ElementsAre(kFallbackRu));
  EXPECT_EQ(dialogue.usage().failures, 1);
}

TEST(LlmDialogueFailures, EngineErrorSaysTheFallback) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.finish_chat(engine_error("connection refused"));
  EXPECT_THAT(host.take_said(), ElementsAre(kFallbackRu));
  EXPECT_EQ(dialogue.usage().failures, 1);
}

TEST(LlmDialogueFailures, MaxFailuresInARowEndsTheCall) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  host.fire_timers();
  dialogue.on_user_turn(speech("Алло"));
  host.finish_chat(engine_error("status 500"));
  EXPECT_THAT(host.take_said(), ElementsAre(kFallbackRu, HasSubstr("перезвоните позже")));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::error));
  dialogue.on_user_turn(speech("Алло?"));
  EXPECT_TRUE(host.chats.empty());
}

TEST(LlmDialogueFailures, ASuccessResetsTheFailuresInARow) {
  Greeted g;
  g.dialogue.on_user_turn(speech("Раз"));
  g.host.finish_chat(engine_error("status 500"));
  g.dialogue.on_user_turn(speech("Два"));
  answer(g.host, "Слушаю.");
  g.dialogue.on_user_turn(speech("Три"));
  g.host.finish_chat(engine_error("status 500"));
  EXPECT_TRUE(g.host.hangups.empty());
}

TEST(LlmDialogueFailures, MaxFailuresTransfersToTheFailureTarget) {
  auto s = with_operator();
  s->failure_transfer = "operator";
  s->max_failures = 1;
  RecordingDialogueHost host;
  LlmDialogue dialogue(s);
  dialogue.start(host);
  host.finish_chat(engine_error("boom"));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("перезвоните позже")));
  EXPECT_THAT(host.transfers, ElementsAre("sip:100@pbx"));
  EXPECT_TRUE(host.hangups.empty());
}

TEST(LlmDialogueLimits, TurnLimitSaysGoodbyeAndHangsUp) {
  auto s = base_settings();
  s->max_turns = 1;
  Greeted g(s);
  g.dialogue.on_user_turn(speech("Раз"));
  answer(g.host, "Да.");
  g.host.take_said();
  g.dialogue.on_user_turn(speech("Два"));
  EXPECT_TRUE(g.host.chats.empty());
  EXPECT_THAT(g.host.take_said(), ElementsAre(kLimitRu));
  EXPECT_THAT(g.host.hangups, ElementsAre(HangupReason::completed));
  EXPECT_EQ(g.host.metadata.at("llm_end"), "turn_limit");
}

TEST(LlmDialogueLimits, TokenLimitFromTheServersCountsEndsTheCall) {
  auto s = base_settings();
  s->max_call_tokens = 100;
  RecordingDialogueHost host;
  LlmDialogue dialogue(s);
  dialogue.start(host);
  auto counted = reply("Здравствуйте.");
  counted.prompt_tokens = 80;
  counted.completion_tokens = 30;
  host.stream_chat({"Здравствуйте."});
  host.finish_chat(counted);
  EXPECT_EQ(dialogue.usage().prompt_tokens, 80);
  EXPECT_EQ(dialogue.usage().completion_tokens, 30);
  EXPECT_THAT(host.take_said(), ElementsAre("Здравствуйте.", kLimitRu));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::completed));
  EXPECT_EQ(host.metadata.at("llm_end"), "token_limit");
}

TEST(LlmDialogueNoInput, IgnoredWhileGeneratingThenRepromptsThenHangsUp) {
  RecordingDialogueHost host;
  LlmDialogue dialogue(base_settings());
  dialogue.start(host);
  dialogue.on_no_input();
  EXPECT_TRUE(host.said.empty());
  answer(host, "Здравствуйте.");
  host.take_said();
  dialogue.on_no_input();
  dialogue.on_no_input();
  EXPECT_THAT(host.take_said(), ElementsAre("Вы меня слышите?", "Вы меня слышите?"));
  EXPECT_TRUE(host.hangups.empty());
  dialogue.on_no_input();
  EXPECT_THAT(host.take_said(), ElementsAre(kLimitRu));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::no_input));
}

// --- turns and history -------------------------------------------------------------------------------

TEST(LlmDialogueTurns, DtmfBecomesAUserMessage) {
  Greeted g;
  g.dialogue.on_user_turn({UserTurn::Kind::dtmf, "5", false});
  EXPECT_EQ(g.host.chats.front().request.messages.back().content, "(keyed on the phone: 5)");
}

TEST(LlmDialogueTurns, EmptySpeechIsAnsweredWithNotHeardWithoutAsking) {
  Greeted g;
  EXPECT_FALSE(g.dialogue.understands(speech("")));
  EXPECT_TRUE(g.dialogue.understands(speech("угу")));
  g.dialogue.on_user_turn(speech(""));
  EXPECT_TRUE(g.host.chats.empty());
  EXPECT_THAT(g.host.take_said(), ElementsAre(kNotHeardRu));
}

TEST(LlmDialogueTurns, TrimmedHistoryStartsAtAUserMessageAndRolesAlternate) {
  auto s = base_settings();
  s->max_history = 3;
  Greeted g(s);
  for (const char* question : {"Вопрос два", "Вопрос три", "Вопрос четыре"}) {
    g.dialogue.on_user_turn(speech(question));
    const auto& messages = g.host.chats.front().request.messages;
    ASSERT_GE(messages.size(), 2u);
    EXPECT_EQ(messages[1].role, ChatRole::user);
    EXPECT_LE(messages.size(), 1u + 3u);
    for (std::size_t i = 1; i < messages.size(); ++i) {
      EXPECT_FALSE(messages[i].role == ChatRole::assistant && messages[i].content.empty() &&
                   messages[i].tool_calls.empty());
      if (i > 1) {
        EXPECT_NE(messages[i].role, messages[i - 1].role) << "message " << i << " after " << question;
      }
    }
    EXPECT_EQ(messages.back().content, question);
    answer(g.host, "Ответ.");
  }
}

TEST(LlmDialogueTurns, TrimmedHistoryKeepsAToolAnswerWithItsCall) {
  auto s = base_settings();
  s->max_history = 2;
  Greeted g(s);
  g.dialogue.on_user_turn(speech("Наберите единицу"));
  g.host.finish_chat(reply("", {{"call_1", "send_dtmf", R"({"digits":"1"})"}}));
  g.host.finish_chat(reply("", {{"call_2", "send_dtmf", R"({"digits":"2"})"}}));
  const auto& messages = g.host.chats.front().request.messages;
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[1].role, ChatRole::user);  // never a tool answer without its call
  EXPECT_EQ(messages.back().tool_call_id, "call_2");
}

TEST(LlmDialogueLifetime, CallbacksAfterTheDialogueIsGoneDoNothing) {
  RecordingDialogueHost host;
  host.auto_said = false;
  {
    LlmDialogue dialogue(base_settings());
    dialogue.start(host);
    host.stream_chat({"Первое. "});
    dialogue.on_call_ended();
  }
  host.finish_said();
  host.fire_timers();
  host.finish_chat(reply("Первое."));  // ASan would say if any touched the dialogue
  EXPECT_TRUE(host.hangups.empty());
}

}  // namespace
}  // namespace va::voice::llm
