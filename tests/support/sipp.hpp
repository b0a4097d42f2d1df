// SIPp (Debian `sip-tester`, 3.6.1) as a test peer: a built-in scenario (-sn uac|uas|uac_pcap|...) or a
// scenario file, run in its own scratch directory, in the background or to completion, always bounded.
//
// Every run writes -trace_stat (-stf), -trace_err and (by default) -trace_msg into its directory, and the
// result parses the final statistics row. A `pcap` symlink to /usr/share/sip-tester in the directory lets
// scenarios say play_pcap_audio="pcap/g711a.pcap".
//
// SIPp is never interactive here (-nostdin) and binds only to loopback: -bind_local for SIP, -mi for
// media, -ci for its UDP control socket (which otherwise listens on every interface at 8888+). Its media
// sockets always take -mp and -mp+2 even without media in the scenario, so a block of four ports is
// reserved for each instance. -bg is not used: it forks and the parent exits with 99, which would lose
// the pid, the exit status and the PR_SET_PDEATHSIG guard; the foreground process under va::test::Process
// is just as non-interactive.
//
// Stopping: SIGUSR1 makes SIPp place no new calls, wait for open ones and write its final statistics; a
// second SIGUSR1 aborts the open calls (still writing statistics). SIGTERM/SIGINT exit at once WITHOUT the
// final statistics row, so stop() never uses them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

enum class SipTransport { udp, tcp };

struct SippOptions {
  // Exactly one of these: a built-in scenario name (-sn) or a scenario file (-sf).
  std::string builtin_scenario{};
  std::filesystem::path scenario_file{};

  std::string local_ip = "127.0.0.1";
  std::uint16_t local_port = 0;  // 0: a free port is reserved
  std::string remote{};          // "127.0.0.1:5060" or "[::1]:5060"; empty for a UAS
  SipTransport transport = SipTransport::udp;
  std::string service{};  // -s: user part of the request URI; SIPp's default is "service"

  std::optional<double> call_rate{};                         // -r calls per second
  std::optional<unsigned> call_limit{};                      // -l simultaneous calls
  std::optional<unsigned> max_calls{};                       // -m: exit after this many calls
  std::optional<std::chrono::milliseconds> call_duration{};  // -d: the length of <pause/>
  std::optional<std::chrono::milliseconds> recv_timeout{};   // -recv_timeout: a call waiting longer fails

  bool rtp_echo = false;         // -rtp_echo: echo RTP received on -mp (and -mp+2)
  std::uint16_t media_port = 0;  // -mp; 0: an even block of four free ports is reserved
  std::string media_ip{};        // -mi; empty: local_ip

  std::string auth_user{};                                  // -au
  std::string auth_password{};                              // -ap
  std::vector<std::pair<std::string, std::string>> keys{};  // -key NAME VALUE, used as [NAME] in scenarios

  bool trace_messages = true;  // -trace_msg: every SIP message sent and received
  bool trace_counts = false;   // -trace_counts: per scenario message counters (SippResult::message_counts)
  // SIPp's own bound (-timeout): it stops placing calls and winds down. The harness also enforces its own
  // deadline in wait()/run().
  std::chrono::seconds global_timeout{60};
  std::vector<std::string> extra_args{};
  // Symbolic links made in SIPp's run directory (its working directory) before it starts, as
  // {name, target}: a scenario's play_pcap_audio="digits/1.pcap" then plays a file the test chose. SIPp
  // reads those attributes when it loads the scenario, so they cannot take -key values.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> links{};
};

// SIPp's final statistics row (-trace_stat), cumulative counters.
struct SippStatistics {
  long total_calls = 0;  // TotalCallCreated
  long incoming_calls = 0;
  long outgoing_calls = 0;
  long current_calls = 0;  // calls still open when the row was written
  long successful_calls = 0;
  long failed_calls = 0;
  long failed_unexpected_message = 0;  // calls aborted on a message the scenario did not expect
  long failed_max_udp_retrans = 0;
  long failed_timeout_on_recv = 0;
  long failed_call_rejected = 0;
  // Over TCP a UAS call still lingering in <timewait> when the caller closes its connection fails here
  // (the stock uas lingers 4 s): stop the UAS before the UAC exits, or discount these.
  long failed_tcp_closed = 0;
  long failed_tcp_connect = 0;
  long failed_cannot_send = 0;
  long out_of_call_messages = 0;
  long dead_call_messages = 0;
  long retransmissions = 0;
  long auto_answered = 0;
  long warnings = 0;
  long fatal_errors = 0;
  std::map<std::string, std::string> fields{};  // every column of the row by its header name

  std::string describe() const;
};

struct SippResult {
  ExitStatus exit{};  // SIPp exits 0 when all calls succeeded, 1 when one failed, 97/99/255/254 otherwise
  std::optional<SippStatistics> statistics{};  // nullopt when SIPp never wrote a row (e.g. bad scenario)
  // -trace_counts: "<index>_<message>_<counter>" (e.g. "1_INVITE_Recv") -> final value.
  std::map<std::string, long> message_counts{};
  std::string error_log{};      // -trace_err: unexpected messages, scenario errors
  std::string message_trace{};  // -trace_msg
  std::string screen{};         // the final statistics screen
  std::string output{};         // stderr and stdout tails
  std::filesystem::path directory{};

  // All calls ended and none failed.
  bool all_successful() const {
    return statistics && statistics->failed_calls == 0 && statistics->current_calls == 0 &&
           statistics->successful_calls > 0;
  }
  long count(const std::string& counter) const;  // message_counts lookup, 0 when absent
  // The whole story for a test failure: exit status, statistics, error log, message trace tail.
  std::string describe() const;
};

class Sipp {
 public:
  static bool available();  // sipp is installed

  // Starts SIPp in the background and waits until it runs its scenario (its statistics file has a row),
  // so a UAS is listening when this returns. Throws std::runtime_error, with SIPp's errors, when SIPp
  // exits before that.
  explicit Sipp(SippOptions options);
  ~Sipp();  // a SIPp still running is stopped (SIGUSR1 twice, then SIGKILL) and its directory removed
  Sipp(const Sipp&) = delete;
  Sipp& operator=(const Sipp&) = delete;

  // Runs to completion: starts, waits at most `timeout` for SIPp to exit by itself (-m or -timeout), then
  // stops it.
  static SippResult run(SippOptions options, std::chrono::milliseconds timeout);

  std::uint16_t local_port() const { return local_port_; }
  std::uint16_t media_port() const { return media_port_; }
  std::string address() const;                          // "127.0.0.1:5070", what a UAC passes as remote
  std::string uri(const std::string& user = {}) const;  // "sip:user@127.0.0.1:5070"
  const std::filesystem::path& directory() const { return directory_.path(); }
  const std::vector<std::string>& argv() const { return argv_; }

  // The -trace_msg file so far (SIPp flushes it after every message), and a wait for a substring in it,
  // e.g. "OPTIONS sip:" once a proxy's probe has arrived. False on timeout or when SIPp has exited.
  std::string message_trace() const;
  bool wait_for_message(const std::string& substring, std::chrono::milliseconds timeout) const;

  // Waits for SIPp to exit by itself; past `timeout` it is stopped as by stop(). Idempotent.
  SippResult wait(std::chrono::milliseconds timeout);
  // Graceful stop now: no new calls, open calls finish (at most `grace`), final statistics written.
  SippResult stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  SippResult collect(ExitStatus exit) const;
  ExitStatus stop_process(std::chrono::milliseconds grace);

  SippOptions options_;
  TempDirectory directory_;
  PortReservation local_reservation_;
  PortReservation media_reservation_;
  PortReservation control_reservation_;
  std::uint16_t local_port_ = 0;
  std::uint16_t media_port_ = 0;
  std::vector<std::string> argv_;
  std::unique_ptr<Process> process_;
  std::optional<SippResult> result_;
};

// A SIPp callee (UAS) for tests that place calls, probe or register towards SIPp: the scenario file (each
// says in its header comment what it answers), how many calls it takes before it exits (nullopt: as many
// as come, until stopped; a proxy's OPTIONS probes count as calls too), the length of its <pause/> (-d) and
// SIPp's own bound.
struct SippCallee {
  std::filesystem::path scenario_file;
  std::vector<std::pair<std::string, std::string>> keys{};  // -key NAME VALUE, [NAME] in the scenario
  std::optional<unsigned> max_calls = 1;
  std::optional<std::chrono::milliseconds> pause{};
  std::chrono::seconds lifetime{60};
  bool trace_counts = false;  // SippResult::message_counts, e.g. "1_INVITE_Recv"
};
SippOptions sipp_callee(SippCallee callee);

// Scenario files shipped with the harness (tests/integration/peers/scenarios), for peers behind a proxy
// and for registration. See each file's header comment.
std::filesystem::path sipp_scenario(const std::string& file_name);

}  // namespace va::test
