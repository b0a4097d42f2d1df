#include "voice/llm/llm_dialogue.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/log.hpp"

namespace va::voice::llm {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The first user message of every history: chat templates (Gemma's among them) require the turns to start
// with the user and alternate.
constexpr std::string_view kCallConnected = "(The phone call has just been connected.)";
// A tool's answer is cut here before it goes back to the model.
constexpr std::size_t kMaxToolAnswer = 4000;

std::string language_name(const std::string& code) {
  return code == "en" ? "English" : code == "ru" ? "Russian" : code;
}

bool valid_dtmf(const std::string& digits) {
  if (digits.empty() || digits.size() > 32) return false;
  return std::all_of(digits.begin(), digits.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
  });
}

std::string tool_error(std::string message) {
  return json{{"error", std::move(message)}}.dump();
}

// The required fields and the types of the declared properties (JSON Schema's basic keywords): what a
// business endpoint is owed before anything is sent. Empty when the arguments conform.
std::string check_arguments(const json& args, const json& schema) {
  if (!args.is_object()) return "the arguments must be a JSON object";
  if (!schema.is_object()) return {};
  if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
    for (const auto& name : *required) {
      if (name.is_string() && !args.contains(name.get<std::string>()))
        return "missing required argument '" + name.get<std::string>() + "'";
    }
  }
  auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return {};
  for (const auto& [name, value] : args.items()) {
    auto property = properties->find(name);
    if (property == properties->end() || !property->is_object()) continue;
    auto type = property->find("type");
    if (type == property->end() || !type->is_string()) continue;
    const auto t = type->get<std::string>();
    bool ok = (t == "string" && value.is_string()) || (t == "integer" && value.is_number_integer()) ||
              (t == "number" && value.is_number()) || (t == "boolean" && value.is_boolean()) ||
              (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
              (t == "null" && value.is_null());
    if (!ok) return "argument '" + name + "' must be of type " + t;
    if (auto allowed = property->find("enum"); allowed != property->end() && allowed->is_array()) {
      if (std::find(allowed->begin(), allowed->end(), value) == allowed->end())
        return "argument '" + name + "' must be one of " + allowed->dump();
    }
  }
  return {};
}

}  // namespace

LlmDialogue::LlmDialogue(std::shared_ptr<const LlmSettings> settings, std::string instructions,
                         std::function<void(std::string)> on_return)
    : settings_(std::move(settings)),
      instructions_(std::move(instructions)),
      on_return_(std::move(on_return)),
      self_(std::make_shared<LlmDialogue*>(this)) {}

LlmDialogue::~LlmDialogue() = default;

std::string LlmDialogue::phrase(const std::map<std::string, std::string>& by_language) const {
  auto it = by_language.find(host_->call().language);
  if (it == by_language.end()) it = by_language.find("en");
  return it == by_language.end() ? std::string() : it->second;
}

void LlmDialogue::start(DialogueHost& host) {
  host_ = &host;
  history_.push_back({ChatRole::user, std::string(kCallConnected), {}, {}});
  if (auto it = settings_->greeting.find(host.call().language);
      it != settings_->greeting.end() && !it->second.empty()) {
    auto greeting = it->second;
    history_.push_back({ChatRole::assistant, {}, {}, {}});
    reply_index_ = history_.size() - 1;
    reply_open_ = true;
    speak(std::move(greeting));
    return;
  }
  request();
}

std::string LlmDialogue::system_message() const {
  const auto& call = host_->call();
  std::string text = settings_->system_prompt;
  if (!instructions_.empty()) text += (text.empty() ? "" : "\n\n") + instructions_;
  text += (text.empty() ? "" : "\n\n");
  text += "You are speaking on a phone call: your words are read aloud by a speech synthesiser. Answer in " +
          language_name(call.language) +
          ", in one to three short sentences, without lists, markdown, emojis or links. When an answer of "
          "yours ends with \"…\", the caller interrupted you there and did not hear the rest.";
  text += "\nCall: caller " + (call.caller.empty() ? std::string("unknown") : call.caller);
  if (!call.dialed.empty()) text += ", dialled " + call.dialed;
  for (const auto& [key, value] : call.attributes) text += "\n" + key + ": " + value;
  return text;
}

std::vector<ToolSpec> LlmDialogue::tool_specs() const {
  std::vector<ToolSpec> specs;
  if (!settings_->transfer_targets.empty()) {
    json names = json::array();
    for (const auto& [name, target] : settings_->transfer_targets) names.push_back(name);
    specs.push_back({"transfer_call",
                     "Transfer the caller to a person or department. Say a short sentence first.",
                     json{{"type", "object"},
                          {"properties", {{"target", {{"type", "string"}, {"enum", names}}}}},
                          {"required", {"target"}}}
                         .dump()});
  }
  if (settings_->end_call)
    specs.push_back({"end_call", "End the call after saying goodbye, when the caller's matter is settled.",
                     R"({"type":"object","properties":{}})"});
  if (settings_->send_dtmf)
    specs.push_back({"send_dtmf", "Send touch-tone digits on the line (0-9, *, #).",
                     R"({"type":"object","properties":{"digits":{"type":"string"}},"required":["digits"]})"});
  if (on_return_)
    specs.push_back({"return_to_flow", "Go back to the voice menu when the caller asks for it.",
                     R"({"type":"object","properties":{}})"});
  for (const auto& tool : settings_->tools) specs.push_back({tool.name, tool.description, tool.parameters});
  return specs;
}

void LlmDialogue::request() {
  if (finished_ || !host_) return;
  ChatRequest req;
  req.max_tokens = settings_->max_tokens;
  req.temperature = settings_->temperature;
  req.timeout = settings_->timeout;
  req.tools = tool_specs();
  req.messages.push_back({ChatRole::system, system_message(), {}, {}});
  // The most recent messages, starting at a user message (a tool answer without its call is refused by
  // servers); empty assistant messages (a reply cut before its first word) left out; consecutive user
  // messages joined so the roles alternate.
  std::size_t first = history_.size() > static_cast<std::size_t>(settings_->max_history)
                          ? history_.size() - static_cast<std::size_t>(settings_->max_history)
                          : 0;
  // Back, not forward, to the user message that opened the exchange: forward, a turn with many tool
  // rounds left no message at all, and the extra "call connected" message it prepended stood unjoined
  // before that user message (two user messages in a row). The window may exceed max_history by one turn.
  while (first > 0 && history_[first].role != ChatRole::user) --first;
  for (std::size_t i = first; i < history_.size(); ++i) {
    const auto& m = history_[i];
    if (m.role == ChatRole::assistant && m.content.empty() && m.tool_calls.empty()) continue;
    auto& last = req.messages.back();
    if (m.role == ChatRole::user && last.role == ChatRole::user) {
      last.content += "\n" + m.content;
      continue;
    }
    req.messages.push_back(m);
  }
  history_.push_back({ChatRole::assistant, {}, {}, {}});
  reply_index_ = history_.size() - 1;
  reply_open_ = true;
  reply_sentences_ = 0;
  ++usage_.requests;
  std::weak_ptr<LlmDialogue*> weak = self_;
  // The host's id is known only once chat() returns: the callbacks share it through `id`. A cancelled
  // request's `cancelled` answer comes later (posted), after the request that replaced it has started.
  auto id = std::make_shared<int>(0);
  chat_id_ = *id = host_->chat(std::move(req), {[weak, id](std::string_view text) {
                                                  if (auto self = weak.lock()) (*self)->on_text(*id, text);
                                                },
                                                [weak, id](Result<ChatResult, ChatError> result) {
                                                  if (auto self = weak.lock())
                                                    (*self)->on_done(*id, std::move(result));
                                                }});
  timer_ = host_->start_timer(settings_->timeout, [weak] {
    if (auto self = weak.lock()) (*self)->on_timeout();
  });
}

void LlmDialogue::on_text(int id, std::string_view text) {
  if (finished_ || chat_id_ == 0 || id != chat_id_) return;
  // The deadline is between pieces too: a server that stalls mid-reply is given up.
  if (timer_) host_->cancel_timer(*timer_);
  std::weak_ptr<LlmDialogue*> weak = self_;
  timer_ = host_->start_timer(settings_->timeout, [weak] {
    if (auto self = weak.lock()) (*self)->on_timeout();
  });
  splitter_.append(text);
  while (auto sentence = splitter_.next()) speak(std::move(*sentence));
}

void LlmDialogue::speak(std::string sentence) {
  const std::size_t index = reply_index_;
  ++reply_sentences_;
  std::weak_ptr<LlmDialogue*> weak = self_;
  SayOptions options;
  options.interruptible = true;
  host_->say(std::move(sentence), options, [weak, index](const Said& said) {
    auto self = weak.lock();
    if (!self) return;
    LlmDialogue& d = **self;
    if (index >= d.history_.size()) return;
    auto& content = d.history_[index].content;
    if (!said.heard.empty()) content += (content.empty() ? "" : " ") + said.heard;
    if (said.played_fully) return;
    // Cut (barge-in): the caller heard no more of this reply; the model stops writing it.
    if (!said.heard.empty()) content += "…";
    if (index == d.reply_index_ && d.reply_open_) {
      d.reply_open_ = false;
      d.cancel_request();
    }
  });
}

void LlmDialogue::cancel_request() {
  if (timer_) host_->cancel_timer(*timer_);
  timer_.reset();
  splitter_.flush();
  if (chat_id_ == 0) return;
  const int id = std::exchange(chat_id_, 0);
  host_->cancel_chat(id);
}

void LlmDialogue::on_timeout() {
  timer_.reset();
  if (chat_id_ == 0 || finished_) return;
  log::warn("llm: no answer within the timeout",
            {{"call_id", host_->call().call_id},
             {"timeout_ms", static_cast<std::int64_t>(settings_->timeout.count())}});
  // A half-written sentence is dropped (left in the splitter, it would be glued to the next reply). A
  // sentence already handed on counts as said even while it is still playing: the reply stopped short,
  // and a fallback queued behind it would answer a question the caller did not ask.
  splitter_.flush();
  const bool said_something = reply_sentences_ > 0;
  const int id = std::exchange(chat_id_, 0);
  host_->cancel_chat(id);
  if (said_something) return;  // the reply stopped short; the caller speaks next
  fail("timeout");
}

void LlmDialogue::on_done(int id, Result<ChatResult, ChatError> result) {
  if (chat_id_ == 0 || finished_ || id != chat_id_) return;  // cancelled, or superseded
  chat_id_ = 0;
  if (timer_) host_->cancel_timer(*timer_);
  timer_.reset();
  if (!result) {
    splitter_.flush();
    if (result.error().kind == ChatError::Kind::cancelled) return;
    fail(result.error().message);
    return;
  }
  auto& done = *result;
  if (done.prompt_tokens > 0) usage_.prompt_tokens += done.prompt_tokens;
  if (done.completion_tokens > 0) usage_.completion_tokens += done.completion_tokens;
  if (done.prompt_tokens < 0 && done.completion_tokens < 0)  // the server did not count: about 4 bytes each
    usage_.completion_tokens += static_cast<int>(done.text.size() / 4);
  if (auto rest = splitter_.flush(); !rest.empty() && reply_open_) speak(std::move(rest));
  reply_open_ = false;
  if (!done.tool_calls.empty()) {
    history_[reply_index_].tool_calls = done.tool_calls;
    run_tools(done.tool_calls);
    return;
  }
  if (done.text.empty()) return fail("an empty answer");
  failures_in_row_ = 0;
  if (usage_.prompt_tokens + usage_.completion_tokens >= settings_->max_call_tokens) {
    log::info("llm: token limit of the call reached",
              {{"call_id", host_->call().call_id},
               {"tokens", static_cast<std::int64_t>(usage_.prompt_tokens + usage_.completion_tokens)}});
    finish_dialogue("token_limit", true);
  }
}

void LlmDialogue::run_tools(const std::vector<ToolCall>& calls) {
  if (++tool_rounds_ > settings_->max_tool_rounds) return fail("too many tool rounds in one turn");
  for (const auto& call : calls) {
    ++usage_.tool_calls;
    log::info("llm: tool call",
              {{"call_id", host_->call().call_id}, {"tool", call.name}, {"arguments", call.arguments}});
    auto answer = run_tool(call);
    if (finished_) return;
    if (answer) answer_tool(call.id, std::move(*answer));
  }
  if (pending_tools_ == 0 && !finished_) request();
}

std::optional<std::string> LlmDialogue::run_tool(const ToolCall& call) {
  auto args = json::parse(call.arguments.empty() ? std::string("{}") : call.arguments, nullptr, false);
  if (args.is_discarded() || !args.is_object()) return tool_error("the arguments are not a JSON object");
  if (call.name == "transfer_call" && !settings_->transfer_targets.empty()) {
    auto target = args.value("target", std::string());
    auto it = settings_->transfer_targets.find(target);
    if (it == settings_->transfer_targets.end()) return tool_error("unknown target '" + target + "'");
    host_->set_metadata("llm_transfer", target);
    finished_ = true;
    host_->transfer(it->second);
    return std::nullopt;
  }
  if (call.name == "end_call" && settings_->end_call) {
    finish_dialogue("end_call", true);
    return std::nullopt;
  }
  if (call.name == "send_dtmf" && settings_->send_dtmf) {
    auto digits = args.value("digits", std::string());
    if (!valid_dtmf(digits)) return tool_error("digits must be 1 to 32 of 0-9, *, #, A-D");
    host_->send_dtmf(digits);
    return json{{"sent", digits}}.dump();
  }
  if (call.name == "return_to_flow" && on_return_) {
    finish_dialogue("return_to_flow", false);
    return std::nullopt;
  }
  auto tool = std::find_if(settings_->tools.begin(), settings_->tools.end(),
                           [&](const HttpTool& t) { return t.name == call.name; });
  if (tool == settings_->tools.end()) return tool_error("no tool named '" + call.name + "'");
  if (auto problem = check_arguments(args, json::parse(tool->parameters, nullptr, false)); !problem.empty())
    return tool_error(problem);
  FetchRequest fetch;
  fetch.method = tool->method;
  fetch.url = tool->url;
  fetch.body = args.dump();
  fetch.headers = tool->headers;
  fetch.headers["Content-Type"] = "application/json";
  fetch.timeout = tool->timeout;
  ++pending_tools_;
  std::weak_ptr<LlmDialogue*> weak = self_;
  host_->fetch(std::move(fetch), [weak, id = call.id](const FetchResponse& response) {
    auto self = weak.lock();
    if (!self) return;
    LlmDialogue& d = **self;
    if (d.finished_) return;
    --d.pending_tools_;
    std::string content;
    if (response.status == 0) {
      content = tool_error("no answer: " + response.error);
    } else if (response.status < 200 || response.status >= 300) {
      content = json{{"error", "status " + std::to_string(response.status)},
                     {"body", response.body.substr(0, kMaxToolAnswer)}}
                    .dump();
    } else {
      content = response.body.substr(0, kMaxToolAnswer);
    }
    d.answer_tool(id, std::move(content));
    if (d.pending_tools_ == 0) d.request();
  });
  return std::nullopt;
}

void LlmDialogue::answer_tool(const std::string& id, std::string content) {
  history_.push_back({ChatRole::tool, std::move(content), {}, id});
}

void LlmDialogue::fail(std::string_view why) {
  ++usage_.failures;
  ++failures_in_row_;
  log::warn("llm: no usable answer", {{"call_id", host_->call().call_id},
                                      {"why", std::string(why)},
                                      {"in_a_row", static_cast<std::int64_t>(failures_in_row_)}});
  if (failures_in_row_ < settings_->max_failures) {
    host_->say(phrase(settings_->fallback_phrase));
    return;
  }
  finished_ = true;
  host_->say(phrase(settings_->failure_phrase));
  auto target = settings_->transfer_targets.find(settings_->failure_transfer);
  if (!settings_->failure_transfer.empty() && target != settings_->transfer_targets.end()) {
    host_->transfer(target->second);
  } else if (on_return_) {
    finish_dialogue("failure", false);
  } else {
    host_->hang_up(HangupReason::error);
  }
}

void LlmDialogue::finish_dialogue(std::string reason, bool hang_up) {
  finished_ = true;
  cancel_request();
  host_->set_metadata("llm_end", reason);
  if (on_return_ && reason != "end_call") {
    // Not from inside this call: the flow that owns this dialogue replaces it.
    std::weak_ptr<LlmDialogue*> weak = self_;
    host_->start_timer(0ms, [weak, reason] {
      auto self = weak.lock();
      if (!self) return;
      auto hand_back = (*self)->on_return_;  // the flow destroys this dialogue while handling it
      hand_back(reason);
    });
    return;
  }
  if (reason != "end_call") host_->say(phrase(settings_->limit_phrase));  // the model said goodbye itself
  if (hang_up) host_->hang_up(reason == "no_input" ? HangupReason::no_input : HangupReason::completed);
}

void LlmDialogue::on_user_turn(const UserTurn& turn) {
  if (finished_) return;
  no_input_count_ = 0;
  if (generating()) cancel_request();  // the caller spoke while the model was writing: it answers this
  reply_open_ = false;
  if (turn.kind == UserTurn::Kind::speech && turn.text.empty()) {
    host_->say(phrase(settings_->not_heard_phrase));
    return;
  }
  if (++turns_ > settings_->max_turns) return finish_dialogue("turn_limit", true);
  tool_rounds_ = 0;
  history_.push_back(
      {ChatRole::user,
       turn.kind == UserTurn::Kind::dtmf ? "(keyed on the phone: " + turn.text + ")" : turn.text,
       {},
       {}});
  request();
}

bool LlmDialogue::understands(const UserTurn& turn) const {
  return !turn.text.empty();
}

void LlmDialogue::on_no_input() {
  if (finished_ || generating() || pending_tools_ > 0) return;
  if (++no_input_count_ > settings_->no_input_retries) return finish_dialogue("no_input", true);
  host_->say(phrase(settings_->no_input_phrase));
}

void LlmDialogue::on_call_ended() {
  finished_ = true;
  chat_id_ = 0;
  timer_.reset();
}

}  // namespace va::voice::llm
