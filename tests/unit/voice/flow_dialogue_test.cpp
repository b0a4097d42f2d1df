// The scripted dialogue driven as the conversation drives it, through a recording DialogueHost: the shipped
// reception flow (config/flows/reception.yaml) call by call, and small flows for the finer rules.
#include "voice/flow/flow_dialogue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recording_dialogue_host.hpp"
#include "voice/flow/flow_loader.hpp"

namespace va::voice::flow {
namespace {

using test::RecordingDialogueHost;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

FlowLoadOptions no_env() {
  FlowLoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return options;
}

std::shared_ptr<const Flow> reception() {
  static auto flow = [] {
    auto r = load_flow_file(std::string(VA_SOURCE_DIR) + "/config/flows/reception.yaml", no_env());
    EXPECT_TRUE(r.ok());
    return r.flow;
  }();
  return flow;
}

std::shared_ptr<const Flow> inline_flow(const std::string& yaml) {
  auto r = load_flow_string(yaml, no_env());
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return r.flow;
}

UserTurn speech(std::string text) {
  return {UserTurn::Kind::speech, std::move(text), false};
}
UserTurn dtmf(std::string digits) {
  return {UserTurn::Kind::dtmf, std::move(digits), false};
}

constexpr const char* kMenuRu = "Чтобы узнать часы работы";
constexpr const char* kHoursRu = "Мы работаем с понедельника по пятницу";
constexpr const char* kAnythingElseRu = "Могу ли я помочь чем-то ещё?";

class Reception : public ::testing::Test {
 protected:
  void SetUp() override {
    dialogue.start(host);
    host.take_said();
  }
  RecordingDialogueHost host;
  FlowDialogue dialogue{reception()};
};

TEST(ReceptionGreeting, GreetsThenOffersTheMenuInTheCallsLanguage) {
  RecordingDialogueHost host;
  FlowDialogue dialogue(reception());
  dialogue.start(host);
  ASSERT_EQ(host.said.size(), 2u);
  EXPECT_EQ(host.said[0].text, "Здравствуйте! Вы позвонили в компанию «Пример».");
  EXPECT_TRUE(host.said[0].options.cacheable);  // fixed text: synthesised once per process
  EXPECT_THAT(host.said[1].text, HasSubstr(kMenuRu));
  EXPECT_EQ(dialogue.state(), "menu");
  EXPECT_EQ(host.metadata.at("flow"), "reception");
  EXPECT_TRUE(host.languages.empty());
}

TEST(ReceptionGreeting, EnglishCallGetsEnglishPrompts) {
  RecordingDialogueHost host;
  host.context.language = "en";
  FlowDialogue dialogue(reception());
  dialogue.start(host);
  EXPECT_THAT(host.take_said(),
              ElementsAre("Hello! You have reached Example Company.", HasSubstr("For our opening hours")));
  dialogue.on_user_turn(speech("What are your opening times?"));
  EXPECT_THAT(host.take_said(),
              ElementsAre(HasSubstr("We are open Monday to Friday"), HasSubstr("anything else")));
}

TEST(ReceptionGreeting, UnsupportedCallLanguageFallsBackToTheFlowsAndTellsTheHost) {
  RecordingDialogueHost host;
  host.context.language = "de";
  FlowDialogue dialogue(reception());
  dialogue.start(host);
  EXPECT_THAT(host.languages, ElementsAre("ru"));
  EXPECT_THAT(host.said.at(0).text, HasSubstr("Здравствуйте"));
}

TEST_F(Reception, MenuBySpeech) {
  dialogue.on_user_turn(speech("Подскажите, пожалуйста, ЧАСЫ РАБОТЫ."));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr(kHoursRu), HasSubstr(kAnythingElseRu)));
  EXPECT_EQ(dialogue.state(), "anything_else");
  dialogue.on_user_turn(speech("Меню"));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr(kMenuRu)));
}

TEST_F(Reception, UnderstandsTheMenusWordsAndTheGlobalIntentsButNotAMumble) {
  EXPECT_TRUE(dialogue.understands(speech("часы работы")));
  EXPECT_TRUE(dialogue.understands(speech("Соедините с оператором")));  // a global intent
  EXPECT_TRUE(dialogue.understands(dtmf("5")));                         // keys are always acted on
  EXPECT_FALSE(dialogue.understands(speech("Побо!")));
  EXPECT_TRUE(host.take_said().empty());  // asking changes nothing
  EXPECT_EQ(dialogue.state(), "menu");
}
TEST_F(Reception, MenuByDtmf) {
  dialogue.on_user_turn(dtmf("1"));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr(kHoursRu), HasSubstr(kAnythingElseRu)));
  dialogue.on_user_turn(dtmf("*"));
  EXPECT_EQ(dialogue.state(), "menu");
}

TEST_F(Reception, OperatorBySpeechTransfers) {
  dialogue.on_user_turn(speech("Соедините меня с оператором!"));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("Соединяю вас с оператором")));
  EXPECT_THAT(host.transfers, ElementsAre("sip:operator@pbx.example.com"));
  EXPECT_EQ(host.metadata.at("outcome"), "transferred");
  // Nothing more after a transfer.
  dialogue.on_user_turn(speech("алло"));
  dialogue.on_no_input();
  EXPECT_TRUE(host.said.empty());
  EXPECT_EQ(host.transfers.size(), 1u);
}

TEST_F(Reception, OperatorByZeroFromAnyListeningState) {
  dialogue.on_user_turn(dtmf("1"));  // now in anything_else: the global intent still hears 0
  dialogue.on_user_turn(dtmf("0"));
  EXPECT_THAT(host.transfers, ElementsAre("sip:operator@pbx.example.com"));
}

TEST_F(Reception, GoodbyeHangsUpAtTheCallersRequest) {
  dialogue.on_user_turn(speech("Всё, спасибо, до свидания"));
  EXPECT_THAT(host.take_said(), ElementsAre("Спасибо за звонок! До свидания."));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::caller_request));
}

TEST_F(Reception, NoInputTwiceSaysGoodbyeAndHangsUp) {
  dialogue.on_no_input();
  EXPECT_THAT(host.take_said(), ElementsAre("Извините, я вас не слышу.", HasSubstr(kMenuRu)));
  EXPECT_TRUE(host.hangups.empty());
  dialogue.on_no_input();
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("Вас не слышно")));
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::no_input));
}

TEST_F(Reception, NoMatchRepromptsThenHandsOverToAnOperator) {
  dialogue.on_user_turn(speech("Какая сегодня погода?"));
  EXPECT_THAT(host.take_said(), ElementsAre("Извините, я не поняла.", HasSubstr(kMenuRu)));
  dialogue.on_user_turn(speech(""));  // nothing intelligible counts as no match
  EXPECT_THAT(host.take_said(), ElementsAre("Извините, я не поняла.", HasSubstr(kMenuRu)));
  dialogue.on_user_turn(dtmf("7"));
  EXPECT_THAT(host.take_said(), ElementsAre("Соединяю вас с оператором."));
  EXPECT_THAT(host.transfers, ElementsAre("sip:operator@pbx.example.com"));
}

TEST_F(Reception, SwitchingToEnglishByNine) {
  dialogue.on_user_turn(dtmf("9"));
  EXPECT_THAT(host.languages, ElementsAre("en"));
  EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("For our opening hours")));
  EXPECT_EQ(dialogue.language(), "en");
}

// --- the balance: slot filling and the business endpoint ------------------------------------------------

class ReceptionBalance : public Reception {
 protected:
  void SetUp() override {
    Reception::SetUp();
    dialogue.on_user_turn(speech("Хочу узнать баланс"));
    EXPECT_THAT(host.take_said(), ElementsAre(HasSubstr("Назовите или наберите номер лицевого счёта")));
  }
  void key_account() {
    dialogue.on_user_turn(dtmf("1234567#"));
    EXPECT_THAT(host.take_said(), ElementsAre("Минутку, проверяю."));
    ASSERT_EQ(host.pending_fetches.size(), 1u);
  }
};

TEST_F(ReceptionBalance, AccountByDtmfIsSentToTheBusinessEndpoint) {
  key_account();
  EXPECT_EQ(dialogue.slots().at("account"), "1234567");
  const auto& request = host.requests.at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8090/api/balance");
  EXPECT_EQ(request.timeout, 3s);
  EXPECT_EQ(request.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(request.body),
            (nlohmann::json{{"account", "1234567"}, {"caller", "+79990001122"}}));
  EXPECT_EQ(host.metadata.at("account"), "1234567");
}

TEST_F(ReceptionBalance, TurnsWhileWaitingForTheEndpointAreIgnored) {
  key_account();
  dialogue.on_user_turn(speech("алло"));
  dialogue.on_no_input();
  EXPECT_TRUE(host.said.empty());
  EXPECT_EQ(dialogue.state(), "check_balance");
}

TEST_F(ReceptionBalance, SuccessSaysTheBalanceFromTheAnswer) {
  key_account();
  host.answer_fetch({200, R"({"balance": 1500.5, "currency": "рубля"})", ""});
  EXPECT_THAT(host.take_said(), ElementsAre("На вашем счёте 1500.5 рубля.", HasSubstr(kAnythingElseRu)));
}

TEST_F(ReceptionBalance, BranchOnAJsonField) {
  key_account();
  host.answer_fetch({200, R"({"status": "not_found"})", ""});
  EXPECT_THAT(host.take_said(), ElementsAre("Счёт с таким номером не найден.", HasSubstr(kAnythingElseRu)));
}

TEST_F(ReceptionBalance, TimeoutGoesToTheErrorBranch) {
  key_account();
  host.answer_fetch({0, "", "timeout after 3000 ms"});
  EXPECT_THAT(host.take_said(),
              ElementsAre(HasSubstr("не удаётся узнать баланс"), HasSubstr(kAnythingElseRu)));
}

TEST_F(ReceptionBalance, BadJsonGoesToTheErrorBranch) {
  key_account();
  host.answer_fetch({200, "<html>Service Unavailable</html>", ""});
  EXPECT_THAT(host.take_said(),
              ElementsAre(HasSubstr("не удаётся узнать баланс"), HasSubstr(kAnythingElseRu)));
}

TEST_F(ReceptionBalance, ServerErrorGoesToTheErrorBranch) {
  key_account();
  host.answer_fetch({503, R"({"balance": 1})", ""});
  EXPECT_THAT(host.take_said(),
              ElementsAre(HasSubstr("не удаётся узнать баланс"), HasSubstr(kAnythingElseRu)));
}

TEST_F(ReceptionBalance, TooShortAccountIsRepromptedThenAccepted) {
  dialogue.on_user_turn(dtmf("12#"));
  EXPECT_THAT(host.take_said(), ElementsAre("Номер счёта должен содержать от шести до десяти цифр.",
                                            HasSubstr("Назовите или наберите номер лицевого счёта")));
  EXPECT_TRUE(host.requests.empty());
  key_account();
}

TEST_F(ReceptionBalance, InvalidThreeTimesGoesToTheOperator) {
  dialogue.on_user_turn(dtmf("1#"));
  dialogue.on_user_turn(speech("не помню"));
  dialogue.on_user_turn(dtmf("#"));
  EXPECT_THAT(host.transfers, ElementsAre("sip:operator@pbx.example.com"));
}

TEST_F(ReceptionBalance, DigitsKeyedOneByOneEndAtTheInterDigitTimeout) {
  for (char c : std::string("987654")) dialogue.on_user_turn(dtmf(std::string(1, c)));
  EXPECT_TRUE(host.requests.empty());
  ASSERT_EQ(host.timers.size(), 1u);  // each key restarts the one inter-digit timer
  EXPECT_EQ(host.timers.begin()->second.delay, 4s);
  dialogue.on_no_input();  // the pipeline's no-input does not interrupt keying
  EXPECT_TRUE(host.said.empty());
  EXPECT_EQ(host.fire_timers(), 1);
  EXPECT_EQ(dialogue.slots().at("account"), "987654");
  EXPECT_EQ(host.requests.size(), 1u);
}

TEST_F(ReceptionBalance, MaxLengthEndsTheEntryWithoutTerminator) {
  dialogue.on_user_turn(dtmf("1234567890"));
  EXPECT_EQ(dialogue.slots().at("account"), "1234567890");
  EXPECT_TRUE(host.timers.empty());
}

TEST_F(ReceptionBalance, AccountBySpokenDigits) {
  dialogue.on_user_turn(speech("Мой счёт 12 34 56"));
  EXPECT_EQ(dialogue.slots().at("account"), "123456");
  EXPECT_EQ(host.requests.size(), 1u);
}

TEST_F(ReceptionBalance, GlobalIntentStillWorksWhileCollecting) {
  dialogue.on_user_turn(speech("Оператора, пожалуйста"));
  EXPECT_THAT(host.transfers, ElementsAre("sip:operator@pbx.example.com"));
}

TEST_F(ReceptionBalance, AnswerAfterTheCallEndedIsIgnored) {
  key_account();
  dialogue.on_call_ended();
  host.answer_fetch({200, R"({"balance": 1, "currency": "рубль"})", ""});
  EXPECT_TRUE(host.said.empty());
}

// --- finer rules on small flows ------------------------------------------------------------------------

TEST(FlowDialogueRules, MultiDigitMenuWaitsForTheNextKey) {
  auto flow = inline_flow(R"(language: en
states:
  start:
    say: "Menu"
    listen:
      intents:
        - {name: one, dtmf: "1", next: one}
        - {name: twelve, dtmf: "12", next: twelve}
  one: {say: "One", actions: [{hangup: completed}]}
  twelve: {say: "Twelve", actions: [{hangup: completed}]}
)");
  {
    RecordingDialogueHost host;
    FlowDialogue d(flow);
    d.start(host);
    d.on_user_turn(dtmf("1"));
    EXPECT_EQ(d.state(), "start");
    d.on_user_turn(dtmf("2"));
    EXPECT_EQ(d.state(), "twelve");
    EXPECT_EQ(host.cancelled_timers, 1);
  }
  {
    RecordingDialogueHost host;
    FlowDialogue d(flow);
    d.start(host);
    d.on_user_turn(dtmf("1"));
    EXPECT_EQ(host.timers.begin()->second.delay, 2s);
    host.fire_timers();
    EXPECT_EQ(d.state(), "one");
  }
}

TEST(FlowDialogueRules, PatternSlotAndNonInterruptiblePrompt) {
  auto flow = inline_flow(R"(language: ru
states:
  start:
    say: "Это звонок записывается."
    interruptible: false
    next: ask
  ask:
    say: "Назовите номер заказа."
    slot:
      name: order
      pattern: 'заказ\D*(\d{3,})'
      invalid:
        retries: 0
        actions: [{hangup: no_match}]
      actions:
        - send_dtmf: "1#"
        - set: {order: "{order}"}
      next: done
  done:
    say: "Заказ {order} найден."
    actions: [{hangup: completed}]
)");
  RecordingDialogueHost host;
  FlowDialogue d(flow);
  d.start(host);
  EXPECT_FALSE(host.said.at(0).options.interruptible);
  EXPECT_TRUE(host.said.at(1).options.interruptible);
  host.take_said();
  d.on_user_turn(speech("Заказ номер 4512, пожалуйста"));
  EXPECT_THAT(host.take_said(), ElementsAre("Заказ 4512 найден."));
  EXPECT_THAT(host.dtmf_sent, ElementsAre("1#"));
  EXPECT_EQ(host.metadata.at("order"), "4512");
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::completed));
}

TEST(FlowDialogueRules, ChainThatNeverWaitsIsCutWithAnError) {
  auto flow = inline_flow(R"(language: en
states:
  start: {next: other}
  other: {next: start}
)");
  RecordingDialogueHost host;
  FlowDialogue d(flow);
  d.start(host);
  EXPECT_THAT(host.hangups, ElementsAre(HangupReason::error));
}

TEST(FlowDialogueRules, PlaceholdersFromTheCall) {
  auto flow = inline_flow(R"(language: en
states:
  start:
    say: "Caller {caller} dialled {dialed} ({attr.sip.trunk}) in {language}, unknown {attr.none}."
    actions: [{hangup: completed}]
)");
  RecordingDialogueHost host;
  host.context.language = "en";
  host.context.attributes["sip.trunk"] = "exolve";
  FlowDialogue d(flow);
  d.start(host);
  EXPECT_THAT(host.take_said(),
              ElementsAre("Caller +79990001122 dialled +74950000000 (exolve) in en, unknown ."));
}

TEST(FlowDialogueRules, FactoryMakesIndependentDialogues) {
  auto factory = flow_dialogue_factory(reception());
  RecordingDialogueHost a, b;
  auto first = factory(a.context);
  auto second = factory(b.context);
  first->start(a);
  second->start(b);
  first->on_user_turn(dtmf("1"));
  EXPECT_EQ(a.said.size(), 4u);
  EXPECT_EQ(b.said.size(), 2u);
}

TEST(FlowDialogueRules, TimerFiringAfterDestructionDoesNothing) {
  RecordingDialogueHost host;
  {
    FlowDialogue d(reception());
    d.start(host);
    d.on_user_turn(dtmf("2"));
    d.on_user_turn(dtmf("12"));  // starts the inter-digit timer
  }
  EXPECT_EQ(host.fire_timers(), 1);  // must not touch the destroyed dialogue (ASan would say)
}

}  // namespace
}  // namespace va::voice::flow
