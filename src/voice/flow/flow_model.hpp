// A scripted flow, as loaded from YAML (flow_loader.hpp) and run by FlowDialogue (flow_dialogue.hpp).
//
// A flow is a state machine. Entering a state plays its prompt (`say`), runs its entry actions, and then
// either waits — for an intent (`listen`), a value (`slot`) or an HTTP answer — or moves on (`next`).
// Everything here is immutable after loading and shared by all calls of the flow.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <variant>
#include <vector>

#include "voice/dialogue.hpp"

namespace va::voice::flow {

// Text with `{name}` placeholders (slots, call fields, flow vars); `{{` and `}}` are literal braces.
struct Template {
  struct Part {
    bool placeholder = false;
    std::string text;  // literal text, or the placeholder's name
  };
  std::vector<Part> parts;

  bool constant() const {
    for (const auto& p : parts)
      if (p.placeholder) return false;
    return true;
  }
};

// A prompt in each language of the flow ("ru" → text).
struct Prompt {
  std::map<std::string, Template> by_language;
};

// A regular expression as written (for messages) and compiled.
struct Pattern {
  std::string source;
  std::shared_ptr<const std::regex> regex;
};

// A keyword phrase, normalised (intent_matcher.hpp) and split into words; a word ending in '*' matches any
// word that starts with it ("оператор*" matches "оператора", "оператором").
struct Keyword {
  std::vector<std::string> words;
};

struct HttpCall;

struct SayAction {
  Prompt prompt;
};
struct GotoAction {
  std::string state;
};
struct TransferAction {
  Template target;
};
struct HangupAction {
  HangupReason reason = HangupReason::completed;
};
struct SendDtmfAction {
  Template digits;
};
struct SetMetadataAction {
  std::vector<std::pair<std::string, Template>> values;
};
struct SetLanguageAction {
  std::string language;
};
struct HttpAction {
  std::shared_ptr<const HttpCall> call;
};
using Action = std::variant<SayAction, GotoAction, TransferAction, HangupAction, SendDtmfAction,
                            SetMetadataAction, SetLanguageAction, HttpAction>;

// What happens after an intent, a filled slot, exhausted retries or an HTTP answer: the actions in order,
// then `next` (if set and no action ended the state).
struct Outcome {
  std::vector<Action> actions;
  std::string next;
};

// A branch on the JSON answer of an HTTP call: `field` (dotted path) equals `equals` (compared as text).
struct HttpCondition {
  std::string field;
  std::string equals;
  std::string next;
};

struct HttpCall {
  std::string method = "POST";
  Template url;
  std::optional<nlohmann::json> body;  // string leaves are templates; sent as JSON with them rendered
  std::vector<std::pair<std::string, Template>> headers;
  std::chrono::milliseconds timeout{3000};
  std::vector<std::pair<std::string, std::string>> save;  // slot ← dotted JSON path of the answer
  std::vector<HttpCondition> when;                        // first match wins; only for `ok` answers
  // Outcome → state: ok (2xx with JSON and every saved field), error (anything else), and optionally
  // timeout (no response), invalid (2xx but not JSON or a saved field missing), or a status code ("404").
  std::map<std::string, std::string> on;
};

struct Intent {
  std::string name;
  std::map<std::string, std::vector<Keyword>> keywords;  // language → phrases
  std::map<std::string, std::vector<Pattern>> patterns;  // language → regexes on the normalised transcript
  std::vector<std::string> dtmf;                         // digit sequences ("1", "0", "*9")
  Outcome outcome;
};

// No input or no match: re-prompt `retries` times, then run `then`.
struct RetryPolicy {
  int retries = 1;
  std::optional<Prompt> say;  // the re-prompt; default: the state's own prompt again
  Outcome then;
};

struct Listen {
  std::vector<Intent> intents;
  RetryPolicy no_input;
  RetryPolicy no_match;
};

struct DigitRule {
  int min_length = 1;
  int max_length = 32;
  std::string terminator = "#";  // ends the entry early; empty: none
  std::chrono::milliseconds inter_digit_timeout{3000};
};

// A value to collect: by DTMF and spoken digits (`digits`), or by a regex on the transcript (`pattern`).
struct Slot {
  std::string name;
  std::optional<DigitRule> digits;
  std::map<std::string, Pattern>
      pattern;  // language → regex; capture group 1 (or the whole match) is the value
  RetryPolicy no_input;
  RetryPolicy invalid;  // a value that does not validate, or nothing usable in the answer
  Outcome filled;
};

// The call is handed to the AI dialogue (llm/llm_dialogue.hpp) until it hands back: the model's
// return_to_flow tool, its failures or limits enter `return_to` (none: the call ends).
struct LlmHandover {
  std::string instructions;  // added to the system prompt
  std::string return_to;
};

struct State {
  std::string name;
  std::optional<Prompt> say;
  bool interruptible = true;
  std::vector<Action> actions;  // run after the prompt is queued
  std::optional<Listen> listen;
  std::optional<Slot> slot;
  std::optional<LlmHandover> llm;
  std::string next;  // when the state neither listens nor collects nor ends in an action
};

struct Flow {
  std::string name;
  std::string language;                // the default language
  std::vector<std::string> languages;  // every prompt exists in each
  std::string start;
  std::map<std::string, std::string> vars;       // operator settings usable as {name}
  std::vector<Intent> global_intents;            // heard in every listening state after the state's own
  std::chrono::milliseconds dtmf_timeout{2000};  // waiting for more digits of a multi-digit menu choice
  std::map<std::string, State> states;
};

}  // namespace va::voice::flow
