// voice-agent's configuration (livekit-sip.yaml) as typed structs, and how to load and validate it.
//
// The schema — keys, defaults, validation, which values are secret — lives in one place, config_schema.cpp.
// Loading collects every error (with its YAML path and line) instead of stopping at the first one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/duration.hpp"
#include "common/env_substitution.hpp"

namespace va::config {

enum class Transport { udp, tcp, tls };
enum class TrunkMode { register_, static_ip };
enum class Codec { pcmu, pcma, g722, g729 };
enum class Language { ru, en };
enum class SrtpMode { off, optional, required };
enum class LogLevel { trace, debug, info, warn, error };
enum class LogFormat { automatic, json, console };

struct LiveKit {
  std::string url;
  std::string api_key;
  std::string api_secret;
  bool dev = false;
};

// "udp://127.0.0.1:5060"
struct SipListen {
  Transport transport = Transport::udp;
  std::string host;
  std::uint16_t port = 0;
};

struct PortRange {
  std::int64_t min = 0;
  std::int64_t max = 0;
};

struct InboundAuth {
  std::string username;
  std::string password;
};

struct Trunk {
  std::string name;
  TrunkMode mode = TrunkMode::register_;
  // register mode
  std::string registrar;
  std::int64_t port = 0;
  std::string username;
  std::string password;
  std::string realm;
  Duration register_expires{};
  std::string outbound_proxy;
  // static_ip mode
  std::vector<std::string> allowed_addresses;
  // both
  Transport transport = Transport::udp;
  std::vector<std::string> numbers;
  InboundAuth inbound_auth;  // optional digest challenge of inbound INVITEs (empty username: off)
};

// RFC 4028 session timers on every call (both directions).
struct SessionTimer {
  bool enabled = true;
  Duration expires{};  // the interval we ask for in our INVITEs
  Duration min_se{};   // the shortest interval we accept (RFC 4028: at least 90s); shorter requests get 422
};

struct Sip {
  std::vector<SipListen> listen;
  std::string public_address;
  PortRange rtp_ports;
  std::int64_t max_calls = 1000;  // concurrent calls; beyond it new INVITEs get 503 + Retry-After
  Duration media_timeout{};       // no RTP for this long on an answered call: BYE, reason media_timeout
  SessionTimer session_timer;
  std::vector<Trunk> trunks;
};

struct Codecs {
  std::vector<Codec> preference;
  bool g729 = false;
  bool telephone_event = true;
  Duration ptime{};
};

struct InboundRoute {
  std::string match;
  std::string flow;
  Language language = Language::ru;
  std::string room_prefix;
};

struct OutboundRouting {
  std::string caller_id;
  std::string trunk;
};

struct Routing {
  std::vector<InboundRoute> inbound;
  OutboundRouting outbound;
};

struct Engines {
  std::string vad;
  std::string stt;
  std::string tts;
  std::string llm;
};

struct Agent {
  Language language = Language::ru;
  std::string voice;
  std::string greeting;
  std::string flow_file;
  Engines engines;
};

struct Monitoring {
  Duration trunk_check_interval{};
  std::int64_t reconnect_attempts = 0;
  Duration backoff_initial{};
  Duration backoff_max{};
};

struct Webhooks {
  std::string path;
  bool verify = true;
};

struct Http {
  std::string listen;  // host:port, IPv6 as [::1]:port
  ByteSize body_limit;
  Duration shutdown_timeout{};
  std::int64_t threads = 0;  // 0: one per core
};

struct Cors {
  std::vector<std::string> allowed_origins;
};

struct RateLimit {
  bool enabled = true;
  double requests_per_second = 0;
  double burst = 0;
};

struct Tls {
  std::string certificate;
  std::string private_key;
};

struct Security {
  Cors cors;
  RateLimit rate_limit;
  Tls tls;
  SrtpMode srtp = SrtpMode::off;
};

struct Storage {
  std::string url;
};

struct Logging {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::automatic;
  bool mask_phone_numbers = true;
};

struct Config {
  LiveKit livekit;
  Sip sip;
  Codecs codecs;
  Routing routing;
  Agent agent;
  Monitoring monitoring;
  Webhooks webhooks;
  Http http;
  Security security;
  Storage storage;
  Logging logging;
};

// One problem found while loading. `line` is 1-based; 0 when unknown (e.g. the key is missing from a file
// that is empty); `from_override` when the value came from --set.
struct Diagnostic {
  std::string path;  // "sip.trunks[0].port"; empty for file-level problems
  std::string message;
  int line = 0;
  bool from_override = false;

  // "sip.trunks[0].port: 70000 is not a valid port (line 14)"
  std::string to_string() const;
};

struct LoadOptions {
  // "key.path=value" overrides applied on top of the file (CLI --set), list items as "a.b[0]=v".
  std::vector<std::string> overrides{};
  EnvLookup env = process_environment();
  // Base directory for relative file paths in the config (flow_file, TLS files); empty: current directory.
  std::string base_directory{};
  // Whether referenced files (flow_file, TLS certificate and key) must exist. Off when validating a
  // configuration that was sent to us rather than one we are about to run.
  bool check_files = true;
};

struct LoadResult {
  Config config;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  // Secret values found in the configuration (to register with the log masker).
  std::vector<std::string> secrets;

  bool ok() const { return errors.empty(); }
};

LoadResult load_file(const std::string& path, const LoadOptions& options = {});
LoadResult load_string(const std::string& yaml_text, const LoadOptions& options = {});

// The effective configuration as YAML, every key present (defaults included); secrets as "***" unless
// `reveal_secrets`.
std::string to_yaml(const Config& config, bool reveal_secrets = false);

}  // namespace va::config
