// The scripted dialogue: runs a Flow (flow_model.hpp) for one call through the DialogueHost.
//
// Entering a state queues its prompt, runs its actions, then waits (listen, slot, http) or moves on (next).
// While it waits for an HTTP answer, turns and no-input are ignored; after a transfer or a hang-up, and
// after on_call_ended, everything is. A chain of states that never waits is cut after kMaxHops with
// hang_up(error): a flow cannot spin a call's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "voice/dialogue.hpp"
#include "voice/flow/flow_model.hpp"

namespace va::voice::flow {

// Makes the AI dialogue a state hands the call to (State::llm): `instructions` for its system prompt,
// `on_return` called (from a host timer, never inside a dialogue call) when it hands back.
using LlmDialogueFactory = std::function<std::unique_ptr<Dialogue>(
    const std::string& instructions, std::function<void(std::string reason)> on_return)>;

class FlowDialogue final : public Dialogue {
 public:
  static constexpr int kMaxHops = 50;

  explicit FlowDialogue(std::shared_ptr<const Flow> flow, LlmDialogueFactory llm = {});
  ~FlowDialogue() override;

  void start(DialogueHost& host) override;
  void on_user_turn(const UserTurn& turn) override;
  bool understands(const UserTurn& turn) const override;
  void on_no_input() override;
  void on_call_ended() override;

  // For the call record and tests: where the dialogue is and what it has collected.
  const std::string& state() const { return state_name_; }
  const std::map<std::string, std::string>& slots() const { return slots_; }
  const std::string& language() const { return language_; }

 private:
  void enter(const std::string& name);
  // Runs actions in order; true when one of them left the state (goto, http) or ended the dialogue.
  bool run(const std::vector<Action>& actions);
  void follow(const Outcome& outcome);
  void say(const Prompt& prompt, bool interruptible);
  void retry(const RetryPolicy& policy, int& count);
  void finish();

  void on_listen_turn(const Listen& listen, const UserTurn& turn);
  void resolve_menu_digits(const Listen& listen);
  void on_slot_turn(const Slot& slot, const UserTurn& turn);
  std::optional<std::string> slot_value(const Slot& slot, const std::string& transcript) const;
  void finish_slot_digits(const Slot& slot);
  void fill(const Slot& slot, std::string value);
  void start_http(std::shared_ptr<const HttpCall> call);
  void hand_to_llm(const LlmHandover& handover);
  void on_llm_returned(const std::string& reason);

  void start_digit_timer(std::chrono::milliseconds delay, void (FlowDialogue::*on_timeout)());
  void cancel_digit_timer();
  void on_menu_digit_timeout();
  void on_slot_digit_timeout();
  std::optional<std::string> lookup(const std::string& name) const;

  std::shared_ptr<const Flow> flow_;
  LlmDialogueFactory make_llm_;
  std::unique_ptr<Dialogue> llm_;  // while a state has handed the call to the AI dialogue
  DialogueHost* host_ = nullptr;
  const State* state_ = nullptr;
  std::string state_name_;
  std::string language_;
  std::map<std::string, std::string> slots_;
  int no_input_count_ = 0;
  int no_match_count_ = 0;
  std::string digits_;  // DTMF keyed so far in this state
  std::optional<int> digit_timer_;
  bool waiting_for_http_ = false;
  bool finished_ = false;
  int hops_ = 0;
  std::uint64_t visit_ = 0;  // counts state entries: a timer or an answer for an earlier visit is stale
  // Host callbacks hold a weak reference: one that outlives the dialogue does nothing.
  std::shared_ptr<FlowDialogue*> self_;
};

DialogueFactory flow_dialogue_factory(std::shared_ptr<const Flow> flow, LlmDialogueFactory llm = {});
// Whether any state of the flow hands the call to the LLM (then an LLM must be configured).
bool uses_llm(const Flow& flow);

}  // namespace va::voice::flow
