// Loading flows: the shipped examples load; every kind of mistake is reported with its YAML path and line,
// all of them at once, and a flow with an error does not load.
#include "voice/flow/flow_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace va::voice::flow {
namespace {

using ::testing::HasSubstr;

std::string source(const std::string& relative) {
  return std::string(VA_SOURCE_DIR) + "/" + relative;
}

FlowLoadOptions no_env() {
  FlowLoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return options;
}

FlowLoadResult load(const std::string& yaml) {
  return load_flow_string(yaml, no_env());
}

std::vector<std::string> texts(const std::vector<config::Diagnostic>& list) {
  std::vector<std::string> out;
  for (const auto& d : list) out.push_back(d.to_string());
  return out;
}

// The smallest valid flow, to which each test adds one mistake.
constexpr const char* kHeader = R"(language: ru
states:
)";

TEST(FlowLoader, ShippedReceptionFlowLoadsWithoutWarnings) {
  auto r = load_flow_file(source("config/flows/reception.yaml"), no_env());
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(texts(r.errors));
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(texts(r.warnings));
  EXPECT_EQ(r.flow->start, "greeting");
  EXPECT_EQ(r.flow->languages, (std::vector<std::string>{"ru", "en"}));
  EXPECT_EQ(r.flow->vars.at("operator"), "sip:operator@pbx.example.com");  // the default of ${...:-...}
  EXPECT_TRUE(r.flow->states.contains("menu"));
  EXPECT_EQ(r.flow->global_intents.size(), 2u);
}

TEST(FlowLoader, VarsTakeTheEnvironment) {
  FlowLoadOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "RECEPTION_OPERATOR") return "+74951234567";
    return std::nullopt;
  };
  auto r = load_flow_file(source("config/flows/reception.yaml"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.flow->vars.at("operator"), "+74951234567");
}

TEST(FlowLoader, BrokenExampleReportsEveryMistakeWithPathAndLine) {
  auto r = load_flow_file(source("tests/data/flows/broken.yaml"), no_env());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.flow, nullptr);
  EXPECT_THAT(
      texts(r.errors),
      ::testing::ElementsAre(
          "states.greeting.say: no 'en' prompt (the flow's languages are ru, en) (line 8)",
          "states.menu.listen.intents[0].next: unknown state 'opertor' (did you mean 'operator'?) (line 16)",
          "states.menu.listen.intents[1].regex.ru: invalid regular expression '(часы': Mismatched '(' and "
          "')' in regular expression (line 19)",
          "states.menu.listen.no_input.timeout: unknown key (known keys here: retries, say, actions, next) "
          "(line 23)",
          HasSubstr("states.hours.say.ru: unknown placeholder '{closing}'"),
          HasSubstr("states.hours.say.en: unknown placeholder '{closing}'"),
          "states.hours.actions[0].hangup: 'complete' is not one of completed, caller_request, no_input, "
          "no_match, error (did you mean 'completed'?) (line 27)",
          "states.operator.actions[0].http.timeout: expected a duration such as 3s or 500ms, got '3' (add "
          "a unit: 3s or 3ms) (line 33)"));
  EXPECT_THAT(
      texts(r.warnings),
      ::testing::Contains("states.orphan: state 'orphan' is unreachable from the start state 'greeting' "
                          "(line 36)"));
}

TEST(FlowLoader, UnknownTopLevelKeyGetsADidYouMean) {
  auto r = load("language: ru\nstats:\n  start: {say: hi, actions: [{hangup: completed}]}\n");
  EXPECT_THAT(texts(r.errors), ::testing::Contains("stats: unknown key (did you mean 'states'?) (line 2)"));
}

TEST(FlowLoader, UnknownStateKeyAndUnknownAction) {
  auto r = load(std::string(kHeader) + R"(  start:
    sya: "Привет"
    actions:
      - hang_up: completed
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains("states.start.sya: unknown key (did you mean 'say'?) (line 4)"));
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains(
                  HasSubstr("states.start.actions[0].hang_up: unknown action (did you mean 'hangup'?)")));
}

TEST(FlowLoader, MissingStartState) {
  auto r = load("language: en\nstates:\n  begin: {say: hi, actions: [{hangup: completed}]}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.errors[0].message, HasSubstr("no start state 'start'"));
}

TEST(FlowLoader, PromptInAnUndeclaredLanguage) {
  auto r = load(std::string(kHeader) + R"(  start:
    say: {ru: "Привет", de: "Hallo"}
    actions: [{hangup: completed}]
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains(
                  HasSubstr("states.start.say.de: 'de' is not a language of this flow (languages: ru)")));
}

TEST(FlowLoader, BilingualFlowRejectsAPlainStringPrompt) {
  auto r = load(R"(language: ru
languages: [ru, en]
states:
  start:
    say: "Привет"
    actions: [{hangup: completed}]
)");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "states.start.say");
  EXPECT_EQ(r.errors[0].line, 5);
  EXPECT_THAT(r.errors[0].message, HasSubstr("give the prompt in each language"));
}

TEST(FlowLoader, UnreachableStateIsAWarningAndTheFlowStillLoads) {
  auto r = load(std::string(kHeader) + R"(  start:
    say: "Привет"
    actions: [{hangup: completed}]
  spare:
    say: "Запасной"
    actions: [{hangup: completed}]
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(texts(r.errors));
  EXPECT_THAT(texts(r.warnings),
              ::testing::ElementsAre(
                  "states.spare: state 'spare' is unreachable from the start state 'start' (line 7)"));
}

TEST(FlowLoader, RegexGuards) {
  auto r = load(std::string(kHeader) + R"(  start:
    listen:
      intents:
        - name: nested
          regex: "(a+)+b"
          next: start
        - name: long
          regex: ")" +
                std::string(250, 'x') + R"("
          next: start
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains(HasSubstr("states.start.listen.intents[0].regex: nested quantifiers")));
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains("states.start.listen.intents[1].regex: regular expression is too long (250 "
                                  "characters, at most 200) (line 10)"));
}

TEST(FlowLoader, BadDurationsAndRanges) {
  auto r = load(std::string(kHeader) + R"(  start:
    slot:
      name: pin
      digits: {min: 6, max: 4, timeout: soon}
      next: done
  done:
    actions: [{hangup: completed}]
dtmf_timeout: 0s
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::Contains(HasSubstr("states.start.slot.digits.timeout: expected a duration "
                                            "such as 3s or 500ms, got 'soon' (line 6)")));
  EXPECT_THAT(
      texts(r.errors),
      ::testing::Contains(HasSubstr("states.start.slot.digits.min: min (6) is greater than max (4)")));
  EXPECT_THAT(texts(r.errors), ::testing::Contains(HasSubstr("dtmf_timeout: expected a duration")));
}

TEST(FlowLoader, ActionsAfterAnEndingActionNeverRun) {
  auto r = load(std::string(kHeader) + R"(  start:
    actions:
      - hangup: completed
      - say: "Ещё"
)");
  EXPECT_THAT(
      texts(r.errors),
      ::testing::ElementsAre("states.start.actions[1]: never runs: the action before it (hangup) ends the "
                             "state (line 6)"));
}

TEST(FlowLoader, StateWithoutAWayOut) {
  auto r = load(std::string(kHeader) + "  start:\n    say: \"Привет\"\n");
  EXPECT_THAT(texts(r.errors),
              ::testing::ElementsAre(HasSubstr("states.start: state 'start' has no way out")));
}

TEST(FlowLoader, HttpNeedsUrlAndBothOutcomes) {
  auto r = load(std::string(kHeader) + R"(  start:
    actions:
      - http:
          method: FETCH
          on: {ok: start, eror: start}
)");
  auto all = texts(r.errors);
  EXPECT_THAT(all, ::testing::Contains(
                       HasSubstr("states.start.actions[0].http.method: 'FETCH' is not one of GET, POST")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr("states.start.actions[0].http.url: is required")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr("states.start.actions[0].http.on.error: is required")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr(
                       "states.start.actions[0].http.on.eror: unknown key (did you mean 'error'?)")));
}

TEST(FlowLoader, UnknownPlaceholderGetsADidYouMean) {
  auto r = load(std::string(kHeader) + R"(  start:
    slot:
      name: account
      digits: {min: 4, max: 8}
      next: done
  done:
    say: "Счёт {acount} принят, {caller}."
    actions: [{hangup: completed}]
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::ElementsAre(
                  HasSubstr("states.done.say: unknown placeholder '{acount}' (did you mean 'account'?)")));
}

TEST(FlowLoader, DuplicateDtmfAndDuplicateKeys) {
  auto r = load(std::string(kHeader) + R"(  start:
    listen:
      intents:
        - {name: a, dtmf: "1", next: start}
        - {name: b, dtmf: "1", next: start}
    listen: {}
)");
  auto all = texts(r.errors);
  EXPECT_THAT(all, ::testing::Contains(
                       HasSubstr("states.start.listen: duplicate key (first defined on line 4) (line 8)")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr(
                       "states.start.listen.intents[1].dtmf: '1' is already the key of intent 'a'")));
}

TEST(FlowLoader, UnsetEnvironmentVariableInVars) {
  auto r = load(std::string("vars:\n  url: ${CRM_URL}\n") + kHeader +
                "  start:\n    say: \"{url}\"\n    actions: [{hangup: completed}]\n");
  EXPECT_THAT(texts(r.errors), ::testing::ElementsAre(HasSubstr("vars.url: ")));
  EXPECT_THAT(r.errors.at(0).message, HasSubstr("CRM_URL"));
}

TEST(FlowLoader, SetLanguageToALanguageTheFlowDoesNotSpeak) {
  auto r = load(std::string(kHeader) + "  start:\n    actions: [{set_language: en}, {hangup: completed}]\n");
  EXPECT_THAT(texts(r.errors),
              ::testing::ElementsAre(
                  HasSubstr("states.start.actions[0].set_language: 'en' is not a language of this flow")));
}

TEST(FlowLoader, SyntaxErrorCarriesTheLine) {
  auto r = load("language: ru\nstates:\n  start: {say: \"unclosed\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].message, HasSubstr("not valid YAML"));
  EXPECT_GT(r.errors[0].line, 0);
}

TEST(FlowLoader, MissingFile) {
  auto r = load_flow_file("/nonexistent/flow.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].message, HasSubstr("cannot read flow file"));
}

TEST(FlowLoader, StateNextInAListeningStateIsRejected) {
  auto r = load(std::string(kHeader) + R"(  start:
    listen:
      intents: [{name: a, keywords: [да], next: start}]
    next: start
)");
  EXPECT_THAT(texts(r.errors),
              ::testing::ElementsAre(HasSubstr("states.start.next: is not used in a state that listens")));
}

TEST(FlowLoader, AnLlmStateThatAlsoListensIsAnError) {
  auto r = load(std::string(kHeader) + R"(  start:
    llm: {instructions: "x"}
    listen:
      intents:
        - {name: a, keywords: [a], next: start}
)");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(texts(r.errors), ::testing::Contains(HasSubstr("neither listens nor fills a slot")));
}

TEST(FlowLoader, UnknownKeyUnderLlmIsAnError) {
  auto r = load(std::string(kHeader) + R"(  start:
    llm: {instructions: "x", retrun_to: start}
)");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(texts(r.errors), ::testing::Contains(HasSubstr("states.start.llm.retrun_to: unknown key")));
}

TEST(FlowLoader, LlmReturnToAnUnknownStateIsAnError) {
  auto r = load(std::string(kHeader) + R"(  start:
    llm: {instructions: "x", return_to: menu}
)");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(texts(r.errors), ::testing::Contains(HasSubstr("menu")));
}

}  // namespace
}  // namespace va::voice::flow
