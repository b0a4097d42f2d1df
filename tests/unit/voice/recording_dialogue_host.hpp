// A test double of our own DialogueHost interface: records what a dialogue asks for, runs timers when the
// test says so and answers fetches with the responses the test gives. Like the conversation, it never calls
// back into the dialogue from inside a host call.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "voice/dialogue.hpp"

namespace va::voice::test {

class RecordingDialogueHost final : public DialogueHost {
 public:
  struct Said {
    std::string text;
    SayOptions options;
  };
  struct Timer {
    std::chrono::milliseconds delay{0};
    std::function<void()> fire;
  };
  struct PendingFetch {
    FetchRequest request;
    std::function<void(FetchResponse)> done;
  };

  CallContext context{"call-1", "+79990001122", "+74950000000", "ru", {}};
  std::vector<Said> said;
  std::vector<std::string> transfers;
  std::vector<HangupReason> hangups;
  std::vector<std::string> dtmf_sent;
  std::vector<std::string> languages;
  std::map<std::string, std::string> metadata;
  std::vector<FetchRequest> requests;
  std::deque<PendingFetch> pending_fetches;
  std::map<int, Timer> timers;  // active ones
  // false: prompts stay "playing" until the test ends them (finish_said, cut_said).
  bool auto_said = true;
  std::deque<std::pair<std::string, SaidCallback>> pending_said;
  struct PendingChat {
    int id = 0;
    ChatRequest request;
    ChatCallbacks callbacks;
  };
  std::deque<PendingChat> chats;
  std::vector<int> cancelled_chats;
  std::vector<std::function<void(Result<ChatResult, ChatError>)>> cancellations;  // not yet delivered
  int cancelled_timers = 0;

  const CallContext& call() const override { return context; }
  void say(std::string text, SayOptions options, SaidCallback on_said) override {
    said.push_back({text, options});
    if (!auto_said) {
      pending_said.push_back({std::move(text), std::move(on_said)});
    } else if (on_said) {
      on_said(voice::Said{true, text});
    }
  }
  void transfer(std::string target) override { transfers.push_back(std::move(target)); }
  void hang_up(HangupReason reason) override { hangups.push_back(reason); }
  void send_dtmf(std::string digits) override { dtmf_sent.push_back(std::move(digits)); }
  void set_language(std::string language) override {
    context.language = language;
    languages.push_back(std::move(language));
  }
  void set_metadata(std::string key, std::string value) override { metadata[key] = std::move(value); }
  void fetch(FetchRequest request, std::function<void(FetchResponse)> done) override {
    requests.push_back(request);
    pending_fetches.push_back({std::move(request), std::move(done)});
  }
  int start_timer(std::chrono::milliseconds delay, std::function<void()> fire) override {
    timers[++last_timer_] = {delay, std::move(fire)};
    return last_timer_;
  }
  void cancel_timer(int id) override { cancelled_timers += static_cast<int>(timers.erase(id)); }
  int chat(ChatRequest request, ChatCallbacks callbacks) override {
    chats.push_back({++last_chat_, std::move(request), std::move(callbacks)});
    return last_chat_;
  }
  // As the conversation does: the `cancelled` on_done comes later (posted), here before the next piece of
  // any chat is streamed or finished — after a request the dialogue may have started meanwhile.
  void cancel_chat(int id) override {
    cancelled_chats.push_back(id);
    for (auto it = chats.begin(); it != chats.end(); ++it) {
      if (it->id != id) continue;
      if (it->callbacks.on_done) cancellations.push_back(std::move(it->callbacks.on_done));
      chats.erase(it);
      return;
    }
  }
  void deliver_cancellations() {
    for (auto pending = std::exchange(cancellations, {}); auto& done : pending)
      done(ChatError{ChatError::Kind::cancelled, "test", "cancelled"});
  }
  // Streams `pieces` of the oldest outstanding chat.
  void stream_chat(const std::vector<std::string>& pieces) {
    deliver_cancellations();
    for (const auto& piece : pieces) chats.front().callbacks.on_text(piece);
  }
  void finish_chat(Result<ChatResult, ChatError> result) {
    deliver_cancellations();
    auto pending = std::move(chats.front());
    chats.pop_front();
    pending.callbacks.on_done(std::move(result));
  }
  // The oldest prompt still playing ends: fully, or cut after `heard`.
  void finish_said() {
    auto [text, done] = std::move(pending_said.front());
    pending_said.pop_front();
    if (done) done(voice::Said{true, text});
  }
  void cut_said(std::string heard) {
    auto [text, done] = std::move(pending_said.front());
    pending_said.pop_front();
    if (done) done(voice::Said{false, std::move(heard)});
    // A barge-in drops the prompts queued behind the cut one.
    while (!pending_said.empty()) {
      auto [rest, rest_done] = std::move(pending_said.front());
      pending_said.pop_front();
      if (rest_done) rest_done(voice::Said{false, {}});
    }
  }

  // The texts said since the last call.
  std::vector<std::string> take_said() {
    std::vector<std::string> out;
    for (auto& s : said) out.push_back(std::move(s.text));
    said.clear();
    return out;
  }
  // Fires every active timer (as if their delays had passed); returns how many fired.
  int fire_timers() {
    auto due = std::exchange(timers, {});
    for (auto& [id, t] : due) t.fire();
    return static_cast<int>(due.size());
  }
  // Answers the oldest outstanding fetch.
  void answer_fetch(FetchResponse response) {
    auto pending = std::move(pending_fetches.front());
    pending_fetches.pop_front();
    pending.done(std::move(response));
  }

 private:
  int last_timer_ = 0;
  int last_chat_ = 0;
};

}  // namespace va::voice::test
