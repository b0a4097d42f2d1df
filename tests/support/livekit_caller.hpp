// A phone caller as it appears in a LiveKit room: tests/python/livekit_caller.py, a participant driven by the
// official LiveKit Python SDK (PyPI `livekit`, the version whose liblivekit_ffi voice-agent loads), joining
// with the identity, kind and `sip.*` attributes LiveKit's SIP bridge gives a caller (the bridge itself
// cannot be installed here). It plays WAVs into its published track, sends `sip_dtmf` packets, and records
// every remote audio track it subscribes to into <recordings>/<identity>.wav, kept on the wall clock from the
// first sample on, so a test can measure when it heard something.
//
// WebRTC needs a real interface: run the test program in its private network namespace (va_test(... NETNS),
// support/network_namespace.hpp) with a LiveKitServer whose `node_ip` is that network's address.
//
//   LiveKitServer server({.node_ip = private_network()->address});
//   LiveKitCaller caller({.url = server.ws_url(),
//                         .token = sip_caller_token(server, {.room = "call-1", .phone_number =
//                         "+79001234567"})});
//   caller.play(greeting_wav);
//   caller.dtmf('5');
//   auto heard = caller.wait_for_event("recording_started", 10s);        // the agent's track reached us
//   caller.leave();
//   auto agent = caller.recording("agent-identity");                      // WavAudio + first sample's time
//
// Events are the script's JSON lines ({"event": "...", "time": <Unix seconds>, ...}; the list is in the
// script's docstring). Waits scan every event since the start (or since an index from event_count()), so an
// event that came before the wait began is found too. Not thread-safe: drive one caller from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/audio_files.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

class LiveKitServer;

// What LiveKit's SIP bridge puts on the participant of an inbound call (facts/livekit.md: identity
// "sip_<number>", kind SIP, attributes sip.callID, sip.phoneNumber, sip.trunkPhoneNumber, sip.callStatus).
struct SipCallerIdentity {
  std::string room;
  std::string phone_number = "+79001234567";  // the caller's number: identity "sip_" + this
  std::string trunk_phone_number = "+74950000000";
  std::string call_id = "SCL_test";
  std::string call_status = "active";
  std::map<std::string, std::string> extra_attributes{};
  std::string identity() const { return "sip_" + phone_number; }
};

// A join token for `caller` on `server` (publish, subscribe, publish data), valid for 10 minutes, with kind
// "sip" and the sip.* attributes: the server reports both to the other participants.
std::string sip_caller_token(const LiveKitServer& server, const SipCallerIdentity& caller);

// Changes attributes of the caller's participant the way the bridge does (sip.callStatus "ringing" →
// "active",
// ...): RoomService.UpdateParticipant on the server, so the other participants get an attributes-changed
// event. Records a test failure when the server refuses.
void update_sip_attributes(const LiveKitServer& server, const SipCallerIdentity& caller,
                           const std::map<std::string, std::string>& attributes);

struct LiveKitCallerOptions {
  std::string url;                   // the server's ws:// URL
  std::string token;                 // e.g. sip_caller_token()
  std::chrono::seconds timeout{60};  // the script's hard limit on its whole run (exit code 4 when it expires)
  std::chrono::seconds connect_timeout{15};
  int record_rate = 16000;       // 8000, 16000, 24000 or 48000
  bool publish_on_join = false;  // publish the (silent) audio track at once, as the bridge does on answer
};

// The script's exit codes.
enum class CallerExit : int {
  left = 0,
  internal_error = 1,
  usage = 2,
  connect_failed = 3,
  timed_out = 4,
  disconnected_by_server = 5,
  command_failed = 6
};

class LiveKitCaller {
 public:
  using Event = nlohmann::json;
  using EventPredicate = std::function<bool(const Event&)>;

  // True when the Python peer is installed (scripts/setup: install_python_peer).
  static bool available();
  static std::string unavailable_reason();
  // The Python of the peer's venv: $VA_LIVEKIT_CALLER_PYTHON, else
  // <tools>/python-livekit-<version>/bin/python.
  static std::filesystem::path python();

  // Starts the script and waits until it joined the room; throws std::runtime_error with its output when it
  // could not (connect_failed, or it exited).
  explicit LiveKitCaller(LiveKitCallerOptions options);
  // A caller still running is told to leave, then killed after 5 s.
  ~LiveKitCaller();
  LiveKitCaller(const LiveKitCaller&) = delete;
  LiveKitCaller& operator=(const LiveKitCaller&) = delete;

  const std::string& identity() const { return identity_; }  // from the "connected" event
  const Event& connected_event() const { return connected_; }

  // --- commands: each returns at once; wait for the matching "command" event when the order matters ---
  void send(const nlohmann::json& command);  // any command of the script, {"cmd": ...}
  void publish();
  void play(const std::filesystem::path& wav);  // 16-bit PCM WAV, any rate, mono or the first channel
  void stop_playing();
  void dtmf(char digit);  // 0-9 * # A-D
  // Sends "wait_play" and waits for its acknowledgement: true once everything played has been sent.
  bool wait_until_played(std::chrono::milliseconds timeout);
  // Sends "leave" and waits for the script to exit (killed after `timeout`).
  ExitStatus leave(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The exit status once the script ended by itself (e.g. disconnected by the server), waiting up to
  // `timeout`.
  ExitStatus wait_for_exit(std::chrono::milliseconds timeout);

  // --- events ---
  std::vector<Event> events();  // everything so far, in order
  std::size_t event_count();
  // The first event at index >= `from` that `matches`; nullopt on timeout or when the script ended first.
  std::optional<Event> wait_for_event(const EventPredicate& matches, std::chrono::milliseconds timeout,
                                      std::size_t from = 0);
  std::optional<Event> wait_for_event(std::string_view name, std::chrono::milliseconds timeout,
                                      std::size_t from = 0);
  // An event of `name` whose `field` equals `value` (e.g. "participant_disconnected", "identity", "sip_42").
  std::optional<Event> wait_for_event(std::string_view name, std::string_view field,
                                      const nlohmann::json& value, std::chrono::milliseconds timeout,
                                      std::size_t from = 0);

  // --- recordings ---
  struct Recording {
    std::filesystem::path file;
    WavAudio audio;
    // Wall-clock time of the first sample (Unix seconds): sample n was heard at about this + n / rate.
    double first_sample_time = 0.0;
  };
  // What this caller heard from `identity` so far (the file may still be growing). Throws when it has not
  // subscribed to an audio track of that participant.
  Recording recording(const std::string& identity);
  const std::filesystem::path& recording_directory() const { return directory_.path(); }

  // stdout and stderr tails, for failure messages.
  std::string log() const;

 private:
  void parse_new_lines(const std::string& out);

  LiveKitCallerOptions options_;
  TempDirectory directory_;
  std::unique_ptr<Process> process_;
  std::vector<Event> events_;
  std::size_t parsed_bytes_ = 0;
  std::string identity_;
  Event connected_;
  int next_command_id_ = 1;
};

// An event's wall-clock time.
inline double event_time(const nlohmann::json& event) {
  return event.value("time", 0.0);
}

}  // namespace va::test
