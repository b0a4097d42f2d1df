// Kamailio 5.6 (Debian `kamailio`) as a test peer, with a config generated per run for one of two roles:
//
// - dispatcher: a stateful proxy in front of N SIP destinations. Initial INVITEs are record-routed and
//   spread with ds_select_dst (round robin by default); in-dialog requests follow loose_route(); a 408 or
//   5xx moves the call to the next destination (failure_route + ds_next_dst); every destination is probed
//   with OPTIONS (ds_probing_mode 1), so the destinations must answer OPTIONS. A destination that never
//   answers costs a call KamailioOptions::transaction_timeout before it moves on.
// - registrar: REGISTER is challenged with digest (module auth, pv_www_authenticate against passwords
//   written into the config: no database needed), saved in memory (usrloc db_mode 0); other initial
//   requests are record-routed to the registered contacts (lookup("location")), 404 without one. Each
//   accepted REGISTER is logged as "registered <AOR> at <Contact> (Expires: <value>) (Route: <value>)"
//   (a missing header prints as <null>).
//
// Kamailio runs in the foreground (-DD -E, logging to stderr) in its own session (`setsid`), with its
// runtime dir, pid file and config in a scratch directory and small memory pools (-m/-M). It is ready
// when it answers an OPTIONS for itself carrying this run's token: Kamailio binds UDP with SO_REUSEADDR,
// so a second Kamailio on the same port would start without complaint, and only the token tells them
// apart. Stopping sends SIGTERM to the whole process group (SIGKILL after a grace period): its worker
// processes outlive a main process killed with SIGKILL.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

struct KamailioDispatcher {
  std::vector<std::string> destinations{};  // SIP URIs, e.g. "sip:127.0.0.1:5071"
  int algorithm = 4;                        // ds_select_dst: 4 round robin, 0 hash over Call-ID
  std::chrono::seconds ping_interval{1};    // OPTIONS probing period
};

struct RegistrarUser {
  std::string user{};
  std::string password{};
};

struct KamailioRegistrar {
  std::string realm = "voice-agent.test";
  std::vector<RegistrarUser> users{};
  bool qop_auth = true;  // challenge with qop="auth" (nonce counts, cnonce) rather than RFC 2069 digest
  // registrar's max_expires: a longer request is granted this (in the 2xx Contact's expires); 0: default.
  std::chrono::seconds max_expires{0};
  // registrar's min_expires; with `interval_too_brief` a shorter request is refused with 423 and
  // Min-Expires (min_expires_mode 1), otherwise it is raised silently. 0: default.
  std::chrono::seconds min_expires{0};
  bool interval_too_brief = false;
  // auth's nonce_expire: credentials with an older nonce are challenged again with stale=true. 0: default
  // (300 s).
  std::chrono::seconds nonce_expire{0};
  // auth's algorithm: "" or "MD5" (the default), or "SHA-256" (RFC 7616 / RFC 8760 challenges).
  std::string algorithm{};
};

struct KamailioOptions {
  std::variant<KamailioDispatcher, KamailioRegistrar> role{};
  std::string listen_ip = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port is reserved
  bool tcp = false;        // listen on TCP too (same port)
  int children = 2;        // worker processes per listener
  // tm's fr_timer: a relayed request with no response by then gets a local 408, and the dispatcher moves
  // on to the next destination. Kamailio's 30 s default would outlast any test.
  std::chrono::milliseconds transaction_timeout{2000};
  unsigned shared_memory_mb = 32;
  unsigned private_memory_mb = 8;
  std::chrono::seconds startup_timeout{10};
};

class Kamailio {
 public:
  static bool available();  // kamailio is installed

  // Generates the config, starts Kamailio and waits until it answers; throws std::runtime_error with the
  // config and Kamailio's log when it does not.
  explicit Kamailio(KamailioOptions options);
  ~Kamailio();  // stop()s and removes the directory
  Kamailio(const Kamailio&) = delete;
  Kamailio& operator=(const Kamailio&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const;                          // "127.0.0.1:5060", what SIPp takes as remote
  std::string uri(const std::string& user = {}) const;  // "sip:user@127.0.0.1:5060"
  const std::string& config_text() const { return config_; }
  const std::filesystem::path& directory() const { return directory_.path(); }

  // Kamailio's log so far (stderr). Script lines carry "{<msg type> <CSeq> <Call-ID>}" and say where
  // requests went: "dispatch INVITE to sip:...", "in-dialog BYE to ...", "registered ... at ...".
  std::string log() const;
  std::size_t count_log_lines(const std::string& substring) const;

  // SIGTERM to the process group, SIGKILL after `grace`. Idempotent.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  bool answers_readiness_probe(std::chrono::milliseconds timeout) const;

  KamailioOptions options_;
  TempDirectory directory_;
  PortReservation port_reservation_;
  std::uint16_t port_ = 0;
  std::string token_;
  std::string config_;
  std::unique_ptr<Process> process_;
  std::optional<ExitStatus> exit_;
};

}  // namespace va::test
