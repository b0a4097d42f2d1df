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
enum class CallerChoice { sip, sip_or_first };
enum class RoomHangup { remove_participant, delete_room };
// How a route's calls that arrive through LiveKit reach the agent (routing.inbound[].livekit): `room`, the
// agent joins the room itself (LiveKit mode); `bridge`, LiveKit SIP dials voice-agent's SIP endpoint into the
// room and the call runs on the SIP leg.
enum class RouteLiveKitMode { room, bridge };
// Whether a route's calls are recorded (routing.inbound[].record, routing.outbound.record): not at all, one
// stereo WAV (caller left, agent right), or two mono WAVs (docs/call-records.md, "Recording").
enum class RecordMode { off, stereo, split };

// A SIP header mapped to a participant attribute (LiveKit's headers_to_attributes), e.g. the carrier's
// call id header → "exolve.call_id".
struct HeaderAttribute {
  std::string header;
  std::string attribute;
};

struct NameValue {
  std::string name;
  std::string value;
};

// `livekit.provisioning.inbound_trunk`: the LiveKit inbound trunk accepting the carrier's calls. Empty lists
// are derived from sip.trunks (numbers; allowed_addresses of static_ip trunks) by `voice-agent provision`.
struct ProvisionedInboundTrunk {
  bool enabled = true;
  std::string name;
  std::vector<std::string> numbers;
  std::vector<std::string> allowed_addresses;
  std::vector<std::string> allowed_numbers;
  std::string auth_username;
  std::string auth_password;  // secret
  std::string auth_realm;
  std::vector<HeaderAttribute> headers_to_attributes;
  std::string include_headers;  // none, x_headers, all
  Duration ringing_timeout{};   // 0: the server's default (3 min)
  Duration max_call_duration{};
  bool krisp_enabled = false;
  std::vector<std::string> codecs;  // LiveKit SIP codec names (PCMA, PCMU, G722); empty: the bridge's set
  std::string media_encryption;     // disable, allow, require
};

// `livekit.provisioning.outbound_trunk`: calls placed by the LiveKit SIP bridge (CreateSIPParticipant).
// Provisioned when `address` is set or can be derived from routing.outbound.trunk (a register trunk).
struct ProvisionedOutboundTrunk {
  bool enabled = true;
  std::string name;
  std::string address;               // host[:port]; empty: the registrar of routing.outbound.trunk
  std::string transport;             // auto, udp, tcp, tls; empty: from that trunk
  std::vector<std::string> numbers;  // empty: routing.outbound.caller_id, else that trunk's numbers
  std::string auth_username;         // empty: that trunk's username/password
  std::string auth_password;         // secret
  std::string destination_country;
  std::string from_host;
};

// `livekit.provisioning.bridge_trunk`: the outbound trunk LiveKit SIP uses to dial voice-agent's own SIP
// endpoint into the rooms of `livekit: bridge` routes. Provisioned when a route uses bridge mode.
struct ProvisionedBridgeTrunk {
  bool enabled = true;
  std::string name;       // empty: <name_prefix>-bridge
  std::string address;    // host[:port] of voice-agent's SIP endpoint as LiveKit SIP reaches it;
                          // empty: sip.public_address (or a listen host) with the first listen port
  std::string transport;  // auto, udp, tcp, tls; empty: that listener's
  std::vector<std::string> numbers;  // caller IDs (LiveKit needs one); empty: numbers of sip.trunks
  std::string auth_username;         // when voice-agent challenges LiveKit SIP (inbound_auth)
  std::string auth_password;         // secret
};

struct ProvisionedAgent {
  std::string agent_name;
  std::string metadata;
};

// One `livekit.provisioning.dispatch_rules[]` entry: which room an accepted call goes to.
struct ProvisionedDispatchRule {
  std::string name;                  // stable key: the object is recognised by it
  std::string kind;                  // individual, direct, callee
  std::string room_prefix;           // individual, callee; empty: routing.inbound[0].room_prefix
  std::string room_name;             // direct
  std::string pin;                   // digits
  bool randomize = false;            // a new room per call (default: true for individual, false for callee)
  std::vector<std::string> numbers;  // called numbers (To) this rule serves; empty: any
  std::vector<std::string> inbound_numbers;  // callers (From) this rule serves; empty: any
  std::string metadata;
  std::vector<NameValue> attributes;
  bool hide_phone_number = false;
  std::vector<ProvisionedAgent> agents;  // room_config.agents: dispatched when the room is created
  bool krisp_enabled = false;
};

struct Provisioning {
  std::string name_prefix;  // prefix of every object name; default "voice-agent"
  ProvisionedInboundTrunk inbound_trunk;
  ProvisionedOutboundTrunk outbound_trunk;
  ProvisionedBridgeTrunk bridge_trunk;
  std::vector<ProvisionedDispatchRule> dispatch_rules;  // empty: one individual rule "inbound"
};

// `livekit.agent`: voice-agent as a LiveKit agent worker (livekit/agent_worker.hpp): dispatched into rooms by
// agent name, joining them through liblivekit_ffi.
struct LiveKitAgent {
  bool enabled = true;  // effective only when livekit is configured (LiveKit::agent_worker_enabled)
  std::string name;     // agent_name the worker registers and dispatch rules name
  std::int64_t max_calls = 4;
  std::string library;  // liblivekit_ffi.so; empty: the one scripts/setup installs
  CallerChoice caller = CallerChoice::sip_or_first;  // whose audio the agent listens to
  RoomHangup hangup = RoomHangup::delete_room;       // how the agent ends a call
  Duration drain_timeout{};                          // on SIGTERM: how long running LiveKit calls may go on
  Duration caller_timeout{};  // joined, but no caller in the room: the call ends (no_answer)
  std::string participant_name;
};

// `livekit`: optional. Without url, api_key and api_secret (none set in the file or the environment) the
// agent runs without LiveKit: direct SIP mode only, no API monitor, no webhook receiver, no provisioning.
struct LiveKit {
  std::string url;
  std::string api_key;
  std::string api_secret;
  bool dev = false;
  Provisioning provisioning;  // what `voice-agent provision` creates on the LiveKit server
  LiveKitAgent agent;

  // After a successful load either all three connection values are set or none is.
  bool configured() const { return !url.empty() && !api_key.empty() && !api_secret.empty(); }
  // Whether serve registers as an agent worker (and provision names the agent in dispatch rules).
  bool agent_worker_enabled() const { return configured() && agent.enabled; }
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
  Duration drain_timeout{};  // on SIGTERM: how long calls in progress may go on before BYE (reason drained)
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
  RouteLiveKitMode livekit = RouteLiveKitMode::room;
  // Bridge mode: the user LiveKit SIP dials (sip_call_to) to reach this route on our SIP endpoint; matched
  // before every other route. Defaults to `match` when that is one number.
  std::string bridge_user;
  RecordMode record = RecordMode::off;
};

struct OutboundRouting {
  std::string caller_id;
  std::string trunk;
  RecordMode record = RecordMode::off;  // the calls voice-agent places
};

struct Routing {
  std::vector<InboundRoute> inbound;
  OutboundRouting outbound;
};

// Engines for the calls of one language, where they differ from agent.engines (agent.engines.languages[]):
// e.g. PocketSphinx for English wideband calls, flite as the English voice.
struct LanguageEngines {
  Language language = Language::ru;
  std::string stt;    // empty: agent.engines.stt
  std::string tts;    // empty: agent.engines.tts
  std::string voice;  // empty: agent.voice for the default language, else the engine's default
};

struct Engines {
  std::string vad;
  std::string stt;
  std::string tts;
  std::string llm;
  std::vector<LanguageEngines> languages;
};

// The conversation pipeline's timing and resources (agent.conversation).
struct ConversationTuning {
  std::int64_t workers = 0;  // engine worker threads; 0: one per core
  std::int64_t queue = 0;    // engine jobs waiting beyond the running ones
  std::int64_t vad_aggressiveness = 2;
  Duration min_speech{};        // speech before it counts as an utterance (and may interrupt)
  Duration trailing_silence{};  // silence that ends an utterance
  Duration max_utterance{};
  Duration no_input_timeout{};
  bool barge_in = true;
  bool require_voicing = true;  // speech must be pitched: noise bursts never start an utterance
  Duration
      unclear_interruption_max{};  // a short barge-in the dialogue does not understand resumes the prompt
  std::vector<std::string> backchannels;  // caller words that do not interrupt a prompt
};

// The AI dialogue (agent.llm; docs/llm.md): the model, what it is told, and what it may do.
struct LlmToolParameter {
  std::string name;
  std::string type;  // string, integer, number, boolean
  std::string description;
  bool required = true;
  std::vector<std::string> values;  // allowed values (JSON Schema enum); empty: any
};
struct HttpHeader {
  std::string name;
  std::string value;  // secret: masked in output (an API token)
};
// A business tool: the model's arguments, checked against `parameters`, are sent as JSON to `url`.
struct LlmTool {
  std::string name;
  std::string description;
  std::string url;
  std::string method;
  std::vector<HttpHeader> headers;
  Duration timeout{};
  std::vector<LlmToolParameter> parameters;
};
// A place transfer_call may send the caller to: the model names it, never a number of its own.
struct TransferTarget {
  std::string name;    // "operator", "sales"
  std::string target;  // a SIP URI or a number
};
struct Llm {
  std::string base_url;  // openai: the compatible API's base URL
  std::string model;
  std::string api_key;  // secret
  std::string gguf;     // llama.cpp: the weights; empty: the model scripts/setup installed
  std::int64_t threads = 2;
  std::int64_t context = 2048;
  std::int64_t concurrency = 16;  // openai: requests in flight at once (calls beyond it wait their turn)
  std::string system_prompt;
  std::vector<TransferTarget> transfer_targets;
  std::vector<LlmTool> tools;
  std::int64_t max_tokens = 200;
  double temperature = 0.3;
  Duration timeout{};
  std::int64_t max_turns = 30;
  std::int64_t max_call_tokens = 20000;
  std::string failure_transfer;  // a transfer target's name; empty: hang up
};

// `agent.speech_api`: an OpenAI-compatible speech service (agent.engines.stt/tts: openai), with the embedded
// engines that take over when it fails or times out.
struct SpeechApi {
  std::string base_url;  // "https://api.openai.com/v1"; /audio/transcriptions and /audio/speech below it
  std::string api_key;   // secret; Authorization: Bearer
  std::string stt_model;
  std::string tts_model;
  std::string voice;  // the service's voice name ("alloy")
  Duration timeout{};
  std::string fallback_stt;  // embedded engine used when a request fails; "none": no fallback
  std::string fallback_tts;
};

struct Agent {
  Language language = Language::ru;
  std::string voice;
  std::string greeting;
  std::string flow_file;
  Engines engines;
  std::string stt_model;         // empty: the model scripts/setup installed
  std::int64_t stt_threads = 1;  // threads per recognition
  SpeechApi speech_api;
  ConversationTuning conversation;
  Llm llm;
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
  std::int64_t queue_size = 0;  // events waiting for processing; beyond it requests get 503
  Duration dedupe_window{};     // how long an event id is remembered to drop LiveKit's repeats
};

struct Http {
  std::string listen;  // host:port, IPv6 as [::1]:port
  ByteSize body_limit;
  Duration shutdown_timeout{};
  std::int64_t threads = 0;  // 0: one per core
  std::string admin_token;   // bearer token of the admin API (/v1/calls...); empty: the API is off
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
  std::string instance;  // this process's name in the call records; empty: the host name
};

// `recording`: where the recorded calls' WAV files go and how long they stay (docs/call-records.md).
struct Recording {
  std::string dir;       // relative to the configuration file's directory
  Duration retention{};  // 0: kept forever
};

// `events`: where the call events (call.started, call.answered, call.ended) are POSTed
// (docs/call-records.md).
struct Events {
  std::string url;     // empty: events are kept in the store, not sent
  std::string secret;  // HMAC-SHA256 key of X-Voice-Agent-Signature
  Duration timeout{};
  Duration backoff_initial{};
  Duration backoff_max{};
  std::int64_t max_attempts = 0;  // 0: retry forever
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
  Recording recording;
  Events events;
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
