// baresip 1.0.0 (Debian `baresip-core`, an independent SIP stack on libre) as a test peer: a generated
// config directory, the process, and its ctrl_tcp control channel.
//
// Audio comes from a WAV (module aufile: 16-bit mono at the codec's rate, no resampling) and what is
// received is recorded by module sndfile as <recordings>/dump-<time>-dec.wav (what was sent: -enc.wav).
// When the source WAV ends, baresip hangs up: pad WAVs for as long as the call must last. Recordings are
// named by the second the call started: two calls of one instance within a second share (overwrite) a file.
//
// Control: netstrings `LEN:{json},` over TCP. Commands ({"command","params","token"}) get a response
// with the same token; events ({"event":true,"type":"CALL_ESTABLISHED",...}) arrive unprompted.
//
// Loopback only: `net_interface 127.0.0.1` pins the address baresip puts into SDP (otherwise it offers
// the host's first interface); naming the interface `lo` does not work in 1.0.0.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/audio_files.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

struct BaresipOptions {
  std::string user = "bot";  // the account is <sip:user@listen_ip>
  std::string listen_ip = "127.0.0.1";
  std::uint16_t sip_port = 0;         // 0: a free port is reserved
  std::uint16_t rtp_port_count = 10;  // rtp_ports: this many ports,
  std::uint16_t rtp_first_port = 0;   // from here (e.g. inside a test's capture range); 0: reserved
  // In preference order, as baresip names them: "PCMA", "PCMU", "G722/16000/1" (a bare "G722" matches
  // nothing), "opus/48000/2".
  std::vector<std::string> audio_codecs = {"PCMA", "PCMU"};
  std::filesystem::path audio_source{};     // WAV played into calls; empty: no audio source
  bool auto_answer = false;                 // answermode=auto on the account
  bool record = true;                       // sndfile: record both directions into recordings()
  std::chrono::seconds max_lifetime{120};   // baresip -t: it quits by itself after this
  std::vector<std::string> extra_config{};  // more config lines
};

// An audio codec as the baresip tests run it, for the calls' WAVs, baresip's config and the capture.
struct BaresipCodec {
  std::string name;           // for messages
  std::string baresip_codec;  // as baresip's audio_codecs wants it
  int sample_rate = 8000;     // of the WAVs and the recordings (no resampling in baresip)
  std::string wire_payload;   // tshark's name for the RTP payload
  int payload_type = 0;       // static (RFC 3551)
};
inline const BaresipCodec kBaresipG722{"G.722", "G722/16000/1", 16000, "g722", 9};
inline const BaresipCodec kBaresipPcma{"PCMA", "PCMA", 8000, "g711A", 8};

// What the baresip tests play: a sweep across the telephone band (300 to 3400 Hz, 2 s, half scale) after
// 500 ms of silence, then `tail_silence`. baresip hangs up when its WAV ends: the tail must cover whatever
// the test does after the sweep.
TestSignal telephone_band_sweep(const BaresipCodec& codec, std::chrono::milliseconds tail_silence);

// A peer with one codec playing `audio_source`, its RTP on `rtp_port_count` ports from `rtp_first_port`
// (inside a test's capture range).
BaresipOptions baresip_peer(const std::string& user, const BaresipCodec& codec,
                            const std::filesystem::path& audio_source, std::uint16_t rtp_first_port,
                            std::uint16_t rtp_port_count);

struct BaresipEvent {
  std::string type{};  // CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_RTPESTAB, CALL_DTMF_START, ...
  std::string event_class{};
  std::string direction{};  // "incoming" / "outgoing"
  std::string peer_uri{};
  std::string call_id{};  // baresip's call id (not the SIP Call-ID)
  std::string param{};    // e.g. the digit of CALL_DTMF_START, the reason of CALL_CLOSED
  std::string json{};     // the whole event
};

struct BaresipResponse {
  bool ok = false;
  std::string data{};
  std::string json{};
};

class Baresip {
 public:
  static bool available();  // baresip is installed

  // Writes the config, starts baresip and connects to ctrl_tcp. Throws std::runtime_error (with
  // baresip's output) when it does not come up within a few seconds.
  explicit Baresip(BaresipOptions options);
  ~Baresip();  // quits baresip (ctrl "quit", then SIGTERM, SIGKILL) and removes its directory
  Baresip(const Baresip&) = delete;
  Baresip& operator=(const Baresip&) = delete;

  std::uint16_t sip_port() const { return sip_port_; }
  std::string uri() const;  // sip:user@127.0.0.1:port, what another peer dials
  const std::filesystem::path& directory() const { return directory_.path(); }
  std::filesystem::path recordings_directory() const { return directory_ / "recordings"; }

  // Sends a command and waits for its response; throws std::runtime_error on timeout or lost connection.
  BaresipResponse command(const std::string& command, const std::string& params = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  BaresipResponse dial(const std::string& uri) { return command("dial", uri); }
  BaresipResponse hangup() { return command("hangup"); }
  BaresipResponse send_dtmf(char digit) { return command("sndcode", std::string(1, digit)); }

  // The next event of `type` this object has not returned before (each type has its own cursor), waiting
  // at most `timeout`; nullopt on timeout.
  std::optional<BaresipEvent> next_event(const std::string& type,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<BaresipEvent> events() const;  // everything received so far
  std::string describe_events() const;       // one line per event, for failure messages

  // Asks baresip to quit and waits for it; afterwards its recordings are complete. Idempotent.
  ExitStatus stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // After stop(): dump-*-dec.wav (what this peer received) or -enc.wav (what it sent), oldest first.
  std::vector<std::filesystem::path> received_recordings() const;
  std::vector<std::filesystem::path> sent_recordings() const;

  std::string log() const;  // baresip's stdout and stderr (tails)
  // A failure message: this peer's events and output, headed by its `role` ("caller", "callee").
  std::string describe(const std::string& role) const;

 private:
  void read_control();
  void write_config();

  BaresipOptions options_;
  TempDirectory directory_;
  PortReservation sip_reservation_;
  PortReservation rtp_reservation_;
  PortReservation control_reservation_;
  std::uint16_t sip_port_ = 0;
  std::string rtp_ports_;  // "first-last"
  std::unique_ptr<Process> process_;
  std::optional<ExitStatus> exit_;

  int control_fd_ = -1;
  int wake_fd_[2] = {-1, -1};
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<BaresipEvent> events_;
  std::map<std::string, BaresipResponse> responses_;  // by token
  std::map<std::string, std::size_t> cursors_;        // next_event: per type, index into events_
  bool control_closed_ = false;
  unsigned next_token_ = 1;
};

}  // namespace va::test
