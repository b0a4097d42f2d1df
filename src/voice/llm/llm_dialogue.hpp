// The AI dialogue: a chat language model answers the caller and acts through tools.
//
//   caller turn ─► history + system prompt ─► DialogueHost::chat (streamed) ─► SentenceSplitter ─► say()
//                                                  └─ tool_calls ─► transfer / hang up / DTMF / HTTP tool
//
// - Streaming: each sentence is spoken as soon as the model has written it.
// - History is what was heard: an agent reply enters the history sentence by sentence as it is played; a
//   barge-in keeps only the words played before the cut (Said::heard), so the model knows what the caller
//   did not hear. A turn that arrives while the model is still writing cancels the request.
// - Tools: transfer_call (to a configured target name, never a number the model makes up), end_call,
//   send_dtmf, the business tools of the configuration (an HTTP endpoint, JSON arguments checked against
//   the declared schema's required fields and property types), and return_to_flow when a scripted flow
//   handed the call over. A tool's answer goes back to the model, which then speaks.
// - Failures: no first text within the timeout, an engine error or a tool loop → the fallback phrase; after
//   `max_failures` in a row the call is handed to `failure_transfer` or ended. Turn and token limits end
//   the conversation politely (or hand back to the flow).
// - The model is not assumed to be smart: everything it asks for is checked before it happens.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "voice/dialogue.hpp"
#include "voice/llm/sentence_splitter.hpp"

namespace va::voice::llm {

// A business tool: the model's arguments are POSTed (or sent with `method`) as the JSON body to `url`.
struct HttpTool {
  std::string name;
  std::string description;
  std::string parameters = R"({"type":"object","properties":{}})";  // JSON Schema (object)
  std::string url;
  std::string method = "POST";
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{5000};
};

struct LlmSettings {
  std::string system_prompt;
  // Said before the model is asked anything, by language; none: the model greets.
  std::map<std::string, std::string> greeting;
  // What transfer_call may name → where it goes (a SIP URI or number); empty: no transfer tool.
  std::map<std::string, std::string> transfer_targets;
  std::vector<HttpTool> tools;
  bool end_call = true;   // offer the end_call tool
  bool send_dtmf = true;  // offer the send_dtmf tool
  int max_tokens = 200;   // per reply
  double temperature = 0.3;
  std::chrono::milliseconds timeout{8000};  // until the first text (and between pieces)
  int max_turns = 30;                       // caller turns per call
  int max_call_tokens = 20000;              // prompt + completion tokens per call
  int max_history = 40;                     // messages kept (the oldest are dropped, the system prompt stays)
  int max_tool_rounds = 4;                  // model → tool → model rounds per caller turn
  int max_failures = 2;                     // failed requests in a row before giving up
  std::string failure_transfer;             // a transfer target name for giving up; empty: hang up
  // By language ("ru", "en").
  // The model gave no usable answer (timeout, error, a tool loop).
  std::map<std::string, std::string> fallback_phrase{
      {"ru", "Извините, я не успела ответить. Повторите, пожалуйста, вопрос."},
      {"en", "Sorry, I could not answer in time. Could you ask again?"}};
  // The caller's words were not recognised (an empty transcript).
  std::map<std::string, std::string> not_heard_phrase{
      {"ru", "Извините, я не расслышала. Повторите, пожалуйста."},
      {"en", "Sorry, I did not catch that. Could you say it again?"}};
  std::map<std::string, std::string> failure_phrase{
      {"ru", "Извините, сейчас я не могу ответить. Пожалуйста, перезвоните позже."},
      {"en", "Sorry, I cannot answer right now. Please call again later."}};
  std::map<std::string, std::string> limit_phrase{{"ru", "Спасибо за звонок! До свидания."},
                                                  {"en", "Thank you for calling. Goodbye!"}};
  std::map<std::string, std::string> no_input_phrase{{"ru", "Вы меня слышите?"},
                                                     {"en", "Are you still there?"}};
  int no_input_retries = 2;
};

// Counters of one call's model use, for the call record and tests.
struct LlmUsage {
  int requests = 0;
  int failures = 0;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int tool_calls = 0;
};

class LlmDialogue final : public Dialogue {
 public:
  // `instructions`: added to the system prompt (a flow state's). `on_return`: set when a flow handed the
  // call over; the model's return_to_flow tool (and the limits) call it instead of ending the call.
  LlmDialogue(std::shared_ptr<const LlmSettings> settings, std::string instructions = {},
              std::function<void(std::string reason)> on_return = {});
  ~LlmDialogue() override;

  void start(DialogueHost& host) override;
  void on_user_turn(const UserTurn& turn) override;
  bool understands(const UserTurn& turn) const override;
  void on_no_input() override;
  void on_call_ended() override;

  const std::vector<ChatMessage>& history() const { return history_; }
  const LlmUsage& usage() const { return usage_; }
  bool generating() const { return chat_id_ != 0; }

 private:
  void request();
  // `id`: the request the callback belongs to; a cancelled request's late callbacks are dropped.
  void on_text(int id, std::string_view text);
  void on_done(int id, Result<ChatResult, ChatError> result);
  void speak(std::string sentence);
  void run_tools(const std::vector<ToolCall>& calls);
  // Runs one tool; returns its answer for the model, or nullopt when it was sent off (HTTP) or ended the
  // dialogue.
  std::optional<std::string> run_tool(const ToolCall& call);
  void answer_tool(const std::string& id, std::string content);
  void fail(std::string_view why);
  void finish_dialogue(std::string reason, bool hang_up);
  void cancel_request();
  void on_timeout();
  std::vector<ToolSpec> tool_specs() const;
  std::string system_message() const;
  std::string phrase(const std::map<std::string, std::string>& by_language) const;

  std::shared_ptr<const LlmSettings> settings_;
  std::string instructions_;
  std::function<void(std::string)> on_return_;
  DialogueHost* host_ = nullptr;
  std::vector<ChatMessage> history_;  // without the system message
  LlmUsage usage_;
  SentenceSplitter splitter_;
  int chat_id_ = 0;                     // the request in flight
  std::optional<int> timer_;            // its first-text / between-text deadline
  std::size_t reply_index_ = 0;         // history index of the assistant message being spoken
  bool reply_open_ = false;             // the sentences of the reply go to history_[reply_index_]
  std::size_t reply_sentences_ = 0;     // sentences of the current reply handed to the synthesiser
  std::uint64_t reply_generation_ = 0;  // a new reply (or a barge-in) makes older said-callbacks stale
  int turns_ = 0;
  int tool_rounds_ = 0;
  int failures_in_row_ = 0;
  int no_input_count_ = 0;
  int pending_tools_ = 0;  // HTTP tools not yet answered
  bool finished_ = false;
  std::shared_ptr<LlmDialogue*> self_;  // host callbacks hold a weak reference
};

}  // namespace va::voice::llm
