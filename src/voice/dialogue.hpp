// The dialogue: what the agent says and does in answer to the caller. One interface, two kinds behind it:
// scripted flows (flow/, YAML state machines) and, later, an LLM with tools. The conversation (pipeline)
// owns the audio — listening, endpointing, recognition, synthesis, barge-in — and hands the dialogue turns;
// the dialogue answers through the DialogueHost.
//
// Threading: every call into a Dialogue and every DialogueHost call runs on the call's thread, in order. A
// dialogue that needs to wait (an HTTP call, a timer) asks the host (fetch(), start_timer()) and gets the
// result as another call on the same thread: it never blocks and never starts threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "voice/language_model.hpp"

namespace va::voice {

// What the dialogue knows of the call.
struct CallContext {
  std::string call_id;
  std::string caller;                             // the caller's number or URI
  std::string dialed;                             // the number that was called
  std::string language;                           // "ru" or "en": the route's, switchable by the dialogue
  std::map<std::string, std::string> attributes;  // e.g. LiveKit sip.* attributes, chosen SIP headers
};

// One turn of the caller: a final transcript of an utterance, or DTMF digits.
struct UserTurn {
  enum class Kind { speech, dtmf };
  Kind kind = Kind::speech;
  std::string text;  // speech: the recognised text (may be empty: nothing intelligible); dtmf: the digits
  // Speech only: the agent was speaking when the caller started (the reply was cut).
  bool barged_in = false;
};

// How a prompt is played.
struct SayOptions {
  bool interruptible = true;  // false: barge-in does not cut it (legal notices)
  bool cacheable = false;     // a fixed prompt (greeting, menu): synthesised once per process
};

// An HTTP request to a business endpoint (JSON in, JSON out).
struct FetchRequest {
  std::string method = "POST";
  std::string url;
  std::string body;  // JSON
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{3000};
};
struct FetchResponse {
  int status = 0;     // 0: no response (timeout, connection refused, ...)
  std::string body;   // JSON, as received
  std::string error;  // when status is 0
};

// How a prompt ended: played to its end, or cut (barge-in, a failure, the call's end) after `heard`.
struct Said {
  bool played_fully = false;
  std::string heard;  // the words the caller heard: all the text when played fully
};
using SaidCallback = std::function<void(const Said&)>;

// A streamed chat completion: `on_text` for each piece of the reply as it comes, then `on_done` once with
// the whole result or the error (also when cancelled by cancel_chat: a `cancelled` error). Both on the
// call's thread.
struct ChatCallbacks {
  std::function<void(std::string_view text)> on_text;
  std::function<void(Result<ChatResult, ChatError> result)> on_done;
};

enum class HangupReason { completed, caller_request, no_input, no_match, error };
std::string_view to_string(HangupReason reason);

// What a dialogue may do. Implemented by the conversation.
class DialogueHost {
 public:
  virtual ~DialogueHost() = default;
  virtual const CallContext& call() const = 0;
  // Queues a prompt after anything already queued; on_said runs when it has been played or was cut by
  // barge-in or a failure.
  virtual void say(std::string text, SayOptions options = {}, SaidCallback on_said = {}) = 0;
  // Blind transfer of the caller (REFER on SIP, TransferSIPParticipant on LiveKit) after the queued prompts.
  virtual void transfer(std::string target) = 0;
  // Ends the call after the queued prompts.
  virtual void hang_up(HangupReason reason) = 0;
  virtual void send_dtmf(std::string digits) = 0;
  virtual void set_language(std::string language) = 0;
  // Call metadata for the call record and outbound events.
  virtual void set_metadata(std::string key, std::string value) = 0;
  // Runs `done` on the call's thread with the response.
  virtual void fetch(FetchRequest request, std::function<void(FetchResponse)> done) = 0;
  // After `delay` (on the call's thread) unless cancelled or the call ended; returns a timer id.
  virtual int start_timer(std::chrono::milliseconds delay, std::function<void()> fire) = 0;
  virtual void cancel_timer(int id) = 0;
  // Streams a chat completion from the call's language model (off the call's thread); returns a request
  // id for cancel_chat. Without a model, on_done gets an `engine` error (on the call's thread, later).
  virtual int chat(ChatRequest request, ChatCallbacks callbacks) = 0;
  // Stops a request: its on_text is not called again and on_done gets a `cancelled` error.
  virtual void cancel_chat(int id) = 0;
};

class Dialogue {
 public:
  virtual ~Dialogue() = default;
  // The call is answered: greet.
  virtual void start(DialogueHost& host) = 0;
  virtual void on_user_turn(const UserTurn& turn) = 0;
  // Would on_user_turn() act on this turn (an intent, a slot value) rather than re-prompt? Asked before a
  // short barge-in is delivered: one the dialogue does not understand resumes the cut prompt instead
  // (a mumbled "угу", a word to someone else in the room). A dialogue that understands anything says yes.
  virtual bool understands(const UserTurn& /*turn*/) const { return true; }
  // Nothing heard for the listening timeout after the agent finished speaking.
  virtual void on_no_input() = 0;
  // The call ended (any side): release what is held; no host call after this.
  virtual void on_call_ended() = 0;
};

using DialogueFactory = std::function<std::unique_ptr<Dialogue>(const CallContext& call)>;

}  // namespace va::voice
