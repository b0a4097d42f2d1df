#include "voice/flow/flow_dialogue.hpp"

#include <algorithm>

#include "voice/flow/flow_http.hpp"
#include "voice/flow/intent_matcher.hpp"
#include "voice/flow/template.hpp"

namespace va::voice::flow {

FlowDialogue::FlowDialogue(std::shared_ptr<const Flow> flow, LlmDialogueFactory llm)
    : flow_(std::move(flow)), make_llm_(std::move(llm)), self_(std::make_shared<FlowDialogue*>(this)) {}

FlowDialogue::~FlowDialogue() = default;

void FlowDialogue::start(DialogueHost& host) {
  host_ = &host;
  const auto& langs = flow_->languages;
  language_ = host.call().language;
  if (std::find(langs.begin(), langs.end(), language_) == langs.end()) {
    // The route's language is not one this flow speaks: speak the flow's own, and let the host know so
    // recognition and synthesis follow.
    language_ = flow_->language;
    host.set_language(language_);
  }
  enter(flow_->start);
}

void FlowDialogue::on_user_turn(const UserTurn& turn) {
  if (llm_) return llm_->on_user_turn(turn);
  if (finished_ || state_ == nullptr || waiting_for_http_) return;
  hops_ = 0;
  if (state_->listen) {
    on_listen_turn(*state_->listen, turn);
  } else if (state_->slot) {
    on_slot_turn(*state_->slot, turn);
  }
}

bool FlowDialogue::understands(const UserTurn& turn) const {
  if (llm_) return llm_->understands(turn);
  if (turn.kind == UserTurn::Kind::dtmf || finished_ || state_ == nullptr || waiting_for_http_) return true;
  if (match_speech(flow_->global_intents, turn.text, language_)) return true;
  if (state_->listen) return match_speech(state_->listen->intents, turn.text, language_).has_value();
  if (state_->slot) return slot_value(*state_->slot, turn.text).has_value();
  return true;
}

void FlowDialogue::on_no_input() {
  if (llm_) return llm_->on_no_input();
  if (finished_ || state_ == nullptr || waiting_for_http_) return;
  if (digit_timer_) return;  // the caller is keying digits: the inter-digit timeout decides
  hops_ = 0;
  if (state_->listen) {
    retry(state_->listen->no_input, no_input_count_);
  } else if (state_->slot) {
    retry(state_->slot->no_input, no_input_count_);
  }
}

void FlowDialogue::on_call_ended() {
  // No host call after this: timers and requests of the host die with the call.
  finished_ = true;
  digit_timer_.reset();
  if (llm_) llm_->on_call_ended();
}

void FlowDialogue::hand_to_llm(const LlmHandover& handover) {
  if (!make_llm_) {
    // The composition root refuses such a flow without a model; a test may still build one.
    host_->hang_up(HangupReason::error);
    finish();
    return;
  }
  std::weak_ptr<FlowDialogue*> weak = self_;
  llm_ = make_llm_(handover.instructions, [weak](std::string reason) {
    if (auto self = weak.lock()) (*self)->on_llm_returned(reason);
  });
  host_->set_metadata("llm_state", state_name_);
  llm_->start(*host_);
}

void FlowDialogue::on_llm_returned(const std::string& reason) {
  if (!llm_ || finished_) return;
  llm_.reset();
  host_->set_metadata("llm_return", reason);
  const auto return_to = state_ && state_->llm ? state_->llm->return_to : std::string();
  hops_ = 0;
  if (return_to.empty()) {
    host_->hang_up(HangupReason::completed);
    finish();
    return;
  }
  enter(return_to);
}

void FlowDialogue::finish() {
  cancel_digit_timer();
  finished_ = true;
}

void FlowDialogue::enter(const std::string& name) {
  if (finished_) return;
  if (++hops_ > kMaxHops) {
    host_->hang_up(HangupReason::error);
    finish();
    return;
  }
  auto it = flow_->states.find(name);
  if (it == flow_->states.end()) {  // the loader rejects such flows; a logic error if it happens
    host_->hang_up(HangupReason::error);
    finish();
    return;
  }
  cancel_digit_timer();
  ++visit_;
  state_ = &it->second;
  state_name_ = name;
  digits_.clear();
  no_input_count_ = 0;
  no_match_count_ = 0;
  waiting_for_http_ = false;
  if (state_->say) say(*state_->say, state_->interruptible);
  if (run(state_->actions)) return;
  if (state_->llm) return hand_to_llm(*state_->llm);
  if (state_->listen || state_->slot) return;  // wait for the caller
  enter(state_->next);
}

bool FlowDialogue::run(const std::vector<Action>& actions) {
  for (const auto& action : actions) {
    if (finished_) return true;
    if (const auto* say_action = std::get_if<SayAction>(&action)) {
      say(say_action->prompt, true);
    } else if (const auto* go = std::get_if<GotoAction>(&action)) {
      enter(go->state);
      return true;
    } else if (const auto* transfer = std::get_if<TransferAction>(&action)) {
      host_->transfer(render(transfer->target, [this](const std::string& n) { return lookup(n); }));
      finish();
      return true;
    } else if (const auto* hangup = std::get_if<HangupAction>(&action)) {
      host_->hang_up(hangup->reason);
      finish();
      return true;
    } else if (const auto* dtmf = std::get_if<SendDtmfAction>(&action)) {
      host_->send_dtmf(render(dtmf->digits, [this](const std::string& n) { return lookup(n); }));
    } else if (const auto* set = std::get_if<SetMetadataAction>(&action)) {
      for (const auto& [key, value] : set->values)
        host_->set_metadata(key, render(value, [this](const std::string& n) { return lookup(n); }));
    } else if (const auto* set_language = std::get_if<SetLanguageAction>(&action)) {
      language_ = set_language->language;
      host_->set_language(language_);
    } else if (const auto* http = std::get_if<HttpAction>(&action)) {
      start_http(http->call);
      return true;
    }
  }
  return finished_;
}

void FlowDialogue::follow(const Outcome& outcome) {
  if (run(outcome.actions)) return;
  // Without next the dialogue stays where it is and keeps listening (e.g. after set_language).
  if (!outcome.next.empty()) enter(outcome.next);
}

void FlowDialogue::say(const Prompt& prompt, bool interruptible) {
  auto it = prompt.by_language.find(language_);
  if (it == prompt.by_language.end()) it = prompt.by_language.find(flow_->language);
  if (it == prompt.by_language.end()) return;
  SayOptions options;
  options.interruptible = interruptible;
  options.cacheable = it->second.constant();
  host_->say(render(it->second, [this](const std::string& n) { return lookup(n); }), options);
}

void FlowDialogue::retry(const RetryPolicy& policy, int& count) {
  if (++count <= policy.retries) {
    // The re-prompt is the policy's words (if any) followed by the state's own prompt again.
    if (policy.say) say(*policy.say, true);
    if (state_->say) say(*state_->say, state_->interruptible);
    return;
  }
  count = 0;
  follow(policy.then);
}

// --- listen: intents by speech and DTMF ----------------------------------------------------------------

void FlowDialogue::on_listen_turn(const Listen& listen, const UserTurn& turn) {
  if (turn.kind == UserTurn::Kind::dtmf) {
    digits_ += turn.text;
    auto local = match_dtmf(listen.intents, digits_);
    auto global = match_dtmf(flow_->global_intents, digits_);
    if (local.longer_possible || global.longer_possible) {
      // "1" may be the start of "12": wait a moment for the next key.
      start_digit_timer(flow_->dtmf_timeout, &FlowDialogue::on_menu_digit_timeout);
      return;
    }
    resolve_menu_digits(listen);
    return;
  }
  if (auto i = match_speech(listen.intents, turn.text, language_)) {
    follow(listen.intents[*i].outcome);
  } else if (auto g = match_speech(flow_->global_intents, turn.text, language_)) {
    follow(flow_->global_intents[*g].outcome);
  } else {
    retry(listen.no_match, no_match_count_);
  }
}

void FlowDialogue::resolve_menu_digits(const Listen& listen) {
  cancel_digit_timer();
  auto digits = std::exchange(digits_, {});
  if (auto i = match_dtmf(listen.intents, digits).exact) {
    follow(listen.intents[*i].outcome);
  } else if (auto g = match_dtmf(flow_->global_intents, digits).exact) {
    follow(flow_->global_intents[*g].outcome);
  } else {
    retry(listen.no_match, no_match_count_);
  }
}

void FlowDialogue::on_menu_digit_timeout() {
  digit_timer_.reset();
  if (state_ && state_->listen) resolve_menu_digits(*state_->listen);
}

// --- slot: a value by DTMF, spoken digits or a pattern -------------------------------------------------

void FlowDialogue::on_slot_turn(const Slot& slot, const UserTurn& turn) {
  if (turn.kind == UserTurn::Kind::dtmf) {
    if (!slot.digits) {
      retry(slot.invalid, no_match_count_);
      return;
    }
    for (char c : turn.text) {
      if (!slot.digits->terminator.empty() && c == slot.digits->terminator[0]) {
        finish_slot_digits(slot);
        return;
      }
      digits_ += c;
      if (static_cast<int>(digits_.size()) >= slot.digits->max_length) {
        finish_slot_digits(slot);
        return;
      }
    }
    start_digit_timer(slot.digits->inter_digit_timeout, &FlowDialogue::on_slot_digit_timeout);
    return;
  }
  if (auto value = slot_value(slot, turn.text)) {
    fill(slot, std::move(*value));
  } else if (auto g = match_speech(flow_->global_intents, turn.text, language_)) {
    follow(flow_->global_intents[*g].outcome);
  } else {
    retry(slot.invalid, no_match_count_);
  }
}

// The slot's value in a spoken turn: its pattern for the language, else spoken digits of a valid length.
std::optional<std::string> FlowDialogue::slot_value(const Slot& slot, const std::string& transcript) const {
  auto text = normalize_transcript(transcript);
  std::optional<std::string> value;
  if (auto p = slot.pattern.find(language_); p != slot.pattern.end()) {
    value = extract(p->second, text);
  } else if (slot.digits) {
    auto digits = spoken_digits(text);
    auto n = static_cast<int>(digits.size());
    if (n >= slot.digits->min_length && n <= slot.digits->max_length) value = digits;
  }
  if (value && value->empty()) value.reset();
  return value;
}

void FlowDialogue::finish_slot_digits(const Slot& slot) {
  cancel_digit_timer();
  auto digits = std::exchange(digits_, {});
  auto n = static_cast<int>(digits.size());
  if (n >= slot.digits->min_length && n <= slot.digits->max_length) {
    fill(slot, std::move(digits));
  } else {
    retry(slot.invalid, no_match_count_);
  }
}

void FlowDialogue::on_slot_digit_timeout() {
  digit_timer_.reset();
  if (state_ && state_->slot && state_->slot->digits) finish_slot_digits(*state_->slot);
}

void FlowDialogue::fill(const Slot& slot, std::string value) {
  slots_[slot.name] = std::move(value);
  follow(slot.filled);
}

// --- http ----------------------------------------------------------------------------------------------

void FlowDialogue::start_http(std::shared_ptr<const HttpCall> call) {
  waiting_for_http_ = true;
  hops_ = 0;
  auto request = build_request(*call, [this](const std::string& n) { return lookup(n); });
  std::weak_ptr<FlowDialogue*> weak = self_;
  auto visit = visit_;
  host_->fetch(std::move(request), [weak, visit, call](FetchResponse response) {
    auto self = weak.lock();
    if (!self) return;
    FlowDialogue& d = **self;
    if (d.finished_ || d.visit_ != visit || !d.waiting_for_http_) return;
    d.waiting_for_http_ = false;
    auto answer = interpret(*call, response);
    for (auto& [slot, value] : answer.saved) d.slots_[slot] = std::move(value);
    d.enter(answer.next);
  });
}

// --- timers and placeholders ---------------------------------------------------------------------------

void FlowDialogue::start_digit_timer(std::chrono::milliseconds delay, void (FlowDialogue::*on_timeout)()) {
  cancel_digit_timer();
  std::weak_ptr<FlowDialogue*> weak = self_;
  auto visit = visit_;
  digit_timer_ = host_->start_timer(delay, [weak, visit, on_timeout] {
    auto self = weak.lock();
    if (!self) return;
    FlowDialogue& d = **self;
    if (d.finished_ || d.visit_ != visit) return;
    (d.*on_timeout)();
  });
}

void FlowDialogue::cancel_digit_timer() {
  if (digit_timer_ && !finished_) host_->cancel_timer(*digit_timer_);
  digit_timer_.reset();
}

std::optional<std::string> FlowDialogue::lookup(const std::string& name) const {
  if (auto it = slots_.find(name); it != slots_.end()) return it->second;
  const auto& call = host_->call();
  if (name == "caller") return call.caller;
  if (name == "dialed") return call.dialed;
  if (name == "call_id") return call.call_id;
  if (name == "language") return language_;
  if (name.starts_with("attr.")) {
    if (auto it = call.attributes.find(name.substr(5)); it != call.attributes.end()) return it->second;
    return std::nullopt;
  }
  if (auto it = flow_->vars.find(name); it != flow_->vars.end()) return it->second;
  return std::nullopt;
}

DialogueFactory flow_dialogue_factory(std::shared_ptr<const Flow> flow, LlmDialogueFactory llm) {
  return [flow, llm](const CallContext&) -> std::unique_ptr<Dialogue> {
    return std::make_unique<FlowDialogue>(flow, llm);
  };
}

bool uses_llm(const Flow& flow) {
  return std::any_of(flow.states.begin(), flow.states.end(),
                     [](const auto& entry) { return entry.second.llm.has_value(); });
}

}  // namespace va::voice::flow
