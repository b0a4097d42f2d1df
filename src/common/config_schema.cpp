// The configuration schema: every key of livekit-sip.yaml with its default and its validation, once.
// Run by detail::Reader to load and by detail::Writer to print (see config_reader.hpp).
#include "common/config_schema.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "common/config.hpp"
#include "common/config_reader.hpp"

namespace va::config {

using detail::Check;
using detail::FieldOptions;
using namespace std::chrono_literals;

// --- value checks ----------------------------------------------------------------------------------------
namespace {

std::optional<std::string> check_port(const std::int64_t& p) {
  if (p < 1 || p > 65535) return std::to_string(p) + " is not a valid port (1-65535)";
  return std::nullopt;
}

Check<std::int64_t> in_range(std::int64_t lo, std::int64_t hi) {
  return [lo, hi](const std::int64_t& v) -> std::optional<std::string> {
    if (v < lo || v > hi)
      return std::to_string(v) + " is out of range (" + std::to_string(lo) + "-" + std::to_string(hi) + ")";
    return std::nullopt;
  };
}

Check<Duration> duration_between(Duration lo, Duration hi) {
  return [lo, hi](const Duration& d) -> std::optional<std::string> {
    if (d < lo || d > hi)
      return format_duration(d) + " is out of range (" + format_duration(lo) + " to " + format_duration(hi) +
             ")";
    return std::nullopt;
  };
}

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}
bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (label == 0 && c == '-') return false;
    if (++label > 63) return false;
  }
  return s.back() != '-';
}

bool is_host(std::string_view s) {
  return is_ipv4(s) || is_hostname(s) || is_ipv6(s);
}

std::optional<std::string> check_host(const std::string& s) {
  if (!is_host(s)) return "'" + s + "' is not a host name or IP address";
  return std::nullopt;
}

// "host:port" / "[v6]:port" → host, port; error text on failure.
std::optional<std::string> split_host_port(std::string_view text, std::string& host, std::int64_t& port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return "'" + std::string(text) + "' is not host:port (IPv6 as [::1]:8080)";
    host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(host)) return "'" + host + "' is not an IPv6 address";
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "'" + std::string(text) + "' is not host:port";
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return "'" + std::string(text) + "': write IPv6 as [addr]:port";
    if (!is_ipv4(host) && !is_hostname(host)) return "'" + host + "' is not a host name or IP address";
    port_text = text.substr(colon + 1);
  }
  std::int64_t p = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || p < 0 || p > 65535)
    return "'" + std::string(port_text) + "' is not a valid port (0-65535)";
  port = p;
  return std::nullopt;
}

std::optional<std::string> check_listen(const std::string& s) {
  std::string host;
  std::int64_t port = 0;
  return split_host_port(s, host, port);
}

std::optional<std::string> check_phone_number(const std::string& s) {
  static const std::regex e164(R"(\+?[0-9]{3,15})");
  if (!std::regex_match(s, e164))
    return "'" + s + "' is not a phone number (E.164 digits, e.g. +79991234567)";
  return std::nullopt;
}

std::optional<std::string> check_numbers(const std::vector<std::string>& numbers) {
  std::set<std::string> seen;
  for (const auto& n : numbers) {
    if (auto p = check_phone_number(n)) return p;
    if (!seen.insert(n).second) return "'" + n + "' is listed twice";
  }
  return std::nullopt;
}

std::optional<std::string> check_cidr(const std::string& s) {
  auto slash = s.find('/');
  std::string addr = s.substr(0, slash);
  int max_prefix = is_ipv4(addr) ? 32 : is_ipv6(addr) ? 128 : -1;
  if (max_prefix < 0) return "'" + s + "' is not an IP address or CIDR block";
  if (slash != std::string::npos) {
    std::int64_t prefix = -1;
    auto digits = std::string_view(s).substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > max_prefix)
      return "'" + s + "' has an invalid prefix length (0-" + std::to_string(max_prefix) + ")";
  }
  return std::nullopt;
}

std::optional<std::string> check_each_cidr(const std::vector<std::string>& list) {
  for (const auto& s : list) {
    if (auto p = check_cidr(s)) return p;
  }
  return std::nullopt;
}

std::optional<std::string> check_livekit_url(const std::string& url) {
  static const std::regex form(R"((wss?|https?)://([^/:?#]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?(/[^?#]*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, form))
    return "'" + url + "' is not a LiveKit URL (expected ws://, wss://, http:// or https://host[:port])";
  if (m[3].matched) {
    auto port = std::stol(m[3].str().substr(1));
    if (port < 1 || port > 65535) return "'" + url + "' has an invalid port";
  }
  return std::nullopt;
}

// The seed report's LiveKit key rule: "API" prefix and at least 12 characters in total.
std::optional<std::string> check_api_key_shape(const std::string& key) {
  if (!key.starts_with("API"))
    return "LiveKit API keys start with 'API' (got a key starting with '" + key.substr(0, 3) + "')";
  if (key.size() < 12)
    return "LiveKit API key is too short: " + std::to_string(key.size()) +
           " characters, at least 12 expected";
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)))
      return "LiveKit API keys contain only letters and digits";
  }
  return std::nullopt;
}

std::optional<std::string> check_path(const std::string& p) {
  if (p.empty() || p.front() != '/') return "'" + p + "' must start with '/'";
  if (p.find_first_of(" ?#") != std::string::npos)
    return "'" + p + "' must be a plain path (no spaces, ? or #)";
  return std::nullopt;
}

std::optional<std::string> check_origins(const std::vector<std::string>& origins) {
  static const std::regex origin(R"(https?://([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?)");
  for (const auto& o : origins) {
    if (o == "*") continue;
    if (!std::regex_match(o, origin))
      return "'" + o + "' is not an origin (scheme://host[:port], no path; or \"*\")";
  }
  return std::nullopt;
}

std::optional<std::string> check_name(const std::string& s) {
  static const std::regex name(R"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})");
  if (!std::regex_match(s, name)) return "'" + s + "' is not a valid name (letters, digits, '-', '_', '.')";
  return std::nullopt;
}

std::optional<std::string> check_room_prefix(const std::string& s) {
  static const std::regex prefix(R"([A-Za-z0-9_-]{0,32})");
  if (!std::regex_match(s, prefix))
    return "'" + s + "' may contain only letters, digits, '-' and '_' (max 32)";
  return std::nullopt;
}

std::optional<std::string> check_route_match(const std::string& s) {
  if (s.empty()) return "must not be empty";
  if (s.front() == '~') {
    // std::regex compiles recursively: bound the pattern so a hostile config (see POST /v1/config/validate)
    // cannot exhaust the stack.
    if (s.size() > 257) return "regular expression is longer than 256 characters";
    try {
      std::regex re(s.substr(1));
    } catch (const std::regex_error& e) {
      return "'" + s.substr(1) + "' is not a valid regular expression: " + e.what();
    }
    return std::nullopt;
  }
  static const std::regex pattern(R"(\+?[0-9]*\*?|\*)");
  if (!std::regex_match(s, pattern))
    return "'" + s + "' is not a number or pattern (digits with an optional trailing '*', or '~regex')";
  return std::nullopt;
}

// The user part LiveKit SIP dials in bridge mode (sip_call_to): a number or a name, RFC 3261 unreserved.
std::optional<std::string> check_bridge_user(const std::string& s) {
  static const std::regex user(R"([A-Za-z0-9+._-]{1,64})");
  if (s.empty() || std::regex_match(s, user)) return std::nullopt;
  return "'" + s + "' is not a SIP user (letters, digits, '+', '.', '_', '-'; at most 64)";
}

// One number, not a pattern: "+79991234567" or "100".
bool is_exact_number(const std::string& match) {
  static const std::regex number(R"(\+?[0-9]+)");
  return std::regex_match(match, number);
}

std::optional<std::string> check_optional_name(const std::string& s) {
  return s.empty() ? std::nullopt : check_name(s);
}

// RFC 3261 token characters; LiveKit matches header names case-insensitively.
std::optional<std::string> check_sip_header_name(const std::string& s) {
  static const std::regex token(R"([A-Za-z0-9.!%*_+`'~-]{1,64})");
  if (!std::regex_match(s, token)) return "'" + s + "' is not a SIP header name";
  return std::nullopt;
}

std::optional<std::string> check_attribute_name(const std::string& s) {
  static const std::regex name(R"([A-Za-z0-9_.:-]{1,64})");
  if (!std::regex_match(s, name))
    return "'" + s + "' is not an attribute name (letters, digits, '_', '.', ':', '-')";
  return std::nullopt;
}

// The codec names the LiveKit SIP bridge knows on the telephone side.
std::optional<std::string> check_livekit_codecs(const std::vector<std::string>& codecs) {
  static const std::set<std::string> known{"PCMA", "PCMU", "G722", "AMR-WB", "telephone-event"};
  for (const auto& c : codecs) {
    if (!known.contains(c)) return "'" + c + "' is not a LiveKit SIP codec (PCMA, PCMU, G722, AMR-WB)";
  }
  return std::nullopt;
}

// "host" or "host:port", as LiveKit's outbound trunk takes it (no "sip:" URI).
std::optional<std::string> check_trunk_address(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s.starts_with("sip:") || s.starts_with("sips:"))
    return "'" + s + "' must be host[:port], not a SIP URI (drop the '" + s.substr(0, s.find(':') + 1) + "')";
  if (is_host(s)) return std::nullopt;
  std::string host;
  std::int64_t port = 0;
  return split_host_port(s, host, port);
}

Check<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& v) -> std::optional<std::string> {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return std::nullopt;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    std::string message = "'" + v + "' is not one of " + list;
    if (detail::is_yaml11_boolean(v)) {
      message += detail::yaml_boolean_hint({}, allowed.front());
    } else if (auto g = detail::closest(v, allowed)) {
      message += "; did you mean '" + *g + "'?";
    }
    return message;
  };
}

std::optional<std::string> check_storage_url(const std::string& url) {
  if (url.starts_with("sqlite://")) {
    if (url.size() == 9) return "'sqlite://' needs a file path, e.g. sqlite://voice-agent.db";
    return std::nullopt;
  }
  static const std::regex pg(R"(postgres(ql)?://[^\s]+)");
  if (std::regex_match(url, pg)) return std::nullopt;
  return "'" + url + "' is not a storage URL (sqlite://FILE or postgresql://USER:PASSWORD@HOST/DB)";
}

std::optional<std::string> check_sip_listen(const std::string& s, SipListen& out) {
  auto sep = s.find("://");
  if (sep == std::string::npos) return "'" + s + "' is not a SIP listen URI (e.g. udp://0.0.0.0:5060)";
  auto scheme = s.substr(0, sep);
  if (scheme == "udp") {
    out.transport = Transport::udp;
  } else if (scheme == "tcp") {
    out.transport = Transport::tcp;
  } else if (scheme == "tls") {
    out.transport = Transport::tls;
  } else {
    return "'" + scheme + "' is not a SIP transport (udp, tcp, tls)";
  }
  std::int64_t port = 0;
  if (auto problem = split_host_port(std::string_view(s).substr(sep + 3), out.host, port)) return problem;
  if (port == 0) return "'" + s + "': port 0 is not allowed for SIP";
  out.port = static_cast<std::uint16_t>(port);
  return std::nullopt;
}

std::string base_dir_path(const detail::LoadContext& ctx, const std::string& p) {
  if (p.empty() || p.front() == '/' || ctx.base_directory.empty()) return p;
  return (std::filesystem::path(ctx.base_directory) / p).string();
}

}  // namespace

// --- sections ----------------------------------------------------------------------------------------

// LiveKit's development server (`livekit-server --dev`) prints this key pair for anyone to use: it is
// public, so it is not registered with the log masker — masking the word "secret" in every line would turn
// "does not match the API secret" into "does not match the API ***".
constexpr std::string_view kLiveKitDevKey = "devkey";
constexpr std::string_view kLiveKitDevSecret = "secret";

// The `livekit` section is optional as a whole: a deployment that uses only the direct SIP mode leaves it out
// (LiveKit::configured() is false). Once any of url, api_key and api_secret is set — in the file or by its
// environment variable — all three are required.
template <class V>
void visit(V& v, LiveKit& c) {
  v.field("url", c.url, std::string(), {.env = "LIVEKIT_URL"}, Check<std::string>([](const std::string& s) {
            return s.empty() ? std::nullopt : check_livekit_url(s);
          }));
  v.field("api_key", c.api_key, std::string(), {.env = "LIVEKIT_API_KEY"});
  v.field("api_secret", c.api_secret, std::string(), {.secret = true, .env = "LIVEKIT_API_SECRET"});
  v.field("dev", c.dev, false);
  v.section("provisioning", c.provisioning);
  v.section("agent", c.agent);
  if constexpr (V::reading) {
    if (c.agent.enabled && v.present("agent") && c.url.empty() && c.api_key.empty() && c.api_secret.empty())
      v.warning(
          "agent",
          "the agent worker does not run: livekit.url, api_key and api_secret are not set (set them, or "
          "livekit.agent.enabled: false to say so)");
    const struct {
      const char* key;
      const std::string& value;
      const char* env;
    } connection[] = {{"url", c.url, "LIVEKIT_URL"},
                      {"api_key", c.api_key, "LIVEKIT_API_KEY"},
                      {"api_secret", c.api_secret, "LIVEKIT_API_SECRET"}};
    std::string set_keys;
    for (const auto& k : connection) {
      if (!k.value.empty()) set_keys += std::string(set_keys.empty() ? "" : " and ") + "livekit." + k.key;
    }
    if (!set_keys.empty()) {
      for (const auto& k : connection) {
        if (k.value.empty())
          v.error(k.key, "is required when " + set_keys +
                             (set_keys.find(" and ") == std::string::npos ? " is" : " are") +
                             " set (or set the environment variable " + k.env +
                             "); leave out url, api_key and api_secret to run without LiveKit");
      }
    }
    // LiveKit's development server uses devkey/secret; accepted only when the operator says dev: true.
    bool dev_key = c.dev && c.api_key == kLiveKitDevKey;
    if (!c.api_key.empty() && !dev_key) {
      if (auto problem = check_api_key_shape(c.api_key)) {
        v.error("api_key",
                *problem +
                    (c.api_key == kLiveKitDevKey ? " (the dev key 'devkey' needs livekit.dev: true)" : ""));
      }
    }
    if (!c.api_secret.empty() && !c.dev && c.api_secret.size() < 32)
      v.error("api_secret",
              "is too short: " + std::to_string(c.api_secret.size()) +
                  " characters, at least 32 expected (LiveKit's dev secret needs livekit.dev: true)");
    if (c.dev && c.api_secret == kLiveKitDevSecret) {
      auto& secrets = v.context().secrets;
      if (auto it = std::find(secrets.rbegin(), secrets.rend(), c.api_secret); it != secrets.rend())
        secrets.erase(std::next(it).base());
    }
    if (c.dev)
      v.warning("dev", "development mode: weak LiveKit credentials are accepted; never use in production");
  }
}

// `livekit.agent`. Its keys are read even without a LiveKit server (they have defaults and are printed by
// `config show`); the worker runs only when livekit is configured.
template <class V>
void visit(V& v, LiveKitAgent& c) {
  v.field("enabled", c.enabled, true);
  v.field("name", c.name, std::string("voice-agent"), {}, Check<std::string>(check_name));
  v.field("max_calls", c.max_calls, std::int64_t{4}, {}, in_range(1, 1000));
  v.field("library", c.library, std::string());
  v.field("caller", c.caller, CallerChoice::sip_or_first);
  v.field("hangup", c.hangup, RoomHangup::delete_room);
  v.field("drain_timeout", c.drain_timeout, Duration(30s), {}, duration_between(0s, 24h));
  v.field("caller_timeout", c.caller_timeout, Duration(30s), {}, duration_between(1s, 10min));
  v.field("participant_name", c.participant_name, std::string("voice-agent"), {},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            if (s.empty()) return "must not be empty (it is the agent's name in the room)";
            if (s.size() > 128) return "is longer than 128 characters";
            return std::nullopt;
          }));
  if constexpr (V::reading) {
    if (!c.library.empty()) {
      c.library = base_dir_path(v.context(), c.library);
      std::error_code ec;
      if (v.context().check_files && !std::filesystem::is_regular_file(c.library, ec))
        v.error("library", "file '" + c.library +
                               "' not found (leave it empty for the library scripts/setup "
                               "installs)");
    }
  }
}

template <class V>
void visit(V& v, HeaderAttribute& c) {
  v.required("header", c.header, {}, Check<std::string>(check_sip_header_name));
  v.required("attribute", c.attribute, {}, Check<std::string>(check_attribute_name));
}

template <class V>
void visit(V& v, NameValue& c) {
  v.required("name", c.name, {}, Check<std::string>(check_attribute_name));
  v.field("value", c.value, std::string());
}

template <class V>
void visit(V& v, ProvisionedAgent& c) {
  v.required("agent_name", c.agent_name, {}, Check<std::string>(check_name));
  v.field("metadata", c.metadata, std::string());
}

template <class V>
void visit(V& v, ProvisionedInboundTrunk& c) {
  v.field("enabled", c.enabled, true);
  v.field("name", c.name, std::string(), {}, Check<std::string>(check_optional_name));
  v.field("numbers", c.numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("allowed_addresses", c.allowed_addresses, {}, {}, Check<std::vector<std::string>>(check_each_cidr));
  v.field("allowed_numbers", c.allowed_numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("auth_username", c.auth_username, std::string());
  v.field("auth_password", c.auth_password, std::string(), {.secret = true});
  v.field("auth_realm", c.auth_realm, std::string());
  v.field("headers_to_attributes", c.headers_to_attributes, {});
  v.field("include_headers", c.include_headers, std::string("none"), {},
          one_of({"none", "x_headers", "all"}));
  v.field("ringing_timeout", c.ringing_timeout, Duration(0s), {}, duration_between(0s, 1h));
  v.field("max_call_duration", c.max_call_duration, Duration(0s), {}, duration_between(0s, 24h));
  v.field("krisp_enabled", c.krisp_enabled, false);
  v.field("codecs", c.codecs, {}, {}, Check<std::vector<std::string>>(check_livekit_codecs));
  v.field("media_encryption", c.media_encryption, std::string("disable"), {},
          one_of({"disable", "allow", "require"}));
  if constexpr (V::reading) {
    if (!c.auth_username.empty() && c.auth_password.empty())
      v.error("auth_password", "is required when auth_username is set");
    if (c.auth_username.empty() && !c.auth_password.empty())
      v.error("auth_username", "is required when auth_password is set");
  }
}

template <class V>
void visit(V& v, ProvisionedOutboundTrunk& c) {
  v.field("enabled", c.enabled, true);
  v.field("name", c.name, std::string(), {}, Check<std::string>(check_optional_name));
  v.field("address", c.address, std::string(), {}, Check<std::string>(check_trunk_address));
  v.field("transport", c.transport, std::string(), {},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            if (s.empty()) return std::nullopt;
            return one_of({"auto", "udp", "tcp", "tls"})(s);
          }));
  v.field("numbers", c.numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("auth_username", c.auth_username, std::string());
  v.field("auth_password", c.auth_password, std::string(), {.secret = true});
  v.field("destination_country", c.destination_country, std::string(), {},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            static const std::regex country("[A-Za-z]{2}");
            if (s.empty() || std::regex_match(s, country)) return std::nullopt;
            return "'" + s + "' is not a two-letter country code (e.g. RU)";
          }));
  v.field("from_host", c.from_host, std::string(), {},
          Check<std::string>([](const std::string& s) { return s.empty() ? std::nullopt : check_host(s); }));
}

template <class V>
void visit(V& v, ProvisionedBridgeTrunk& c) {
  v.field("enabled", c.enabled, true);
  v.field("name", c.name, std::string(), {}, Check<std::string>(check_optional_name));
  v.field("address", c.address, std::string(), {}, Check<std::string>(check_trunk_address));
  v.field("transport", c.transport, std::string(), {},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            if (s.empty()) return std::nullopt;
            return one_of({"auto", "udp", "tcp", "tls"})(s);
          }));
  v.field("numbers", c.numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("auth_username", c.auth_username, std::string());
  v.field("auth_password", c.auth_password, std::string(), {.secret = true});
  if constexpr (V::reading) {
    if (!c.auth_username.empty() && c.auth_password.empty())
      v.error("auth_password", "is required when auth_username is set");
    if (c.auth_username.empty() && !c.auth_password.empty())
      v.error("auth_username", "is required when auth_password is set");
  }
}

template <class V>
void visit(V& v, ProvisionedDispatchRule& c) {
  v.required("name", c.name, {}, Check<std::string>(check_name));
  v.field("kind", c.kind, std::string("individual"), {}, one_of({"individual", "direct", "callee"}));
  v.field("room_prefix", c.room_prefix, std::string(), {}, Check<std::string>(check_room_prefix));
  v.field("room_name", c.room_name, std::string(), {},
          Check<std::string>([](const std::string& s) { return s.empty() ? std::nullopt : check_name(s); }));
  v.field("pin", c.pin, std::string(), {},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            static const std::regex digits("[0-9]{0,12}");
            if (std::regex_match(s, digits)) return std::nullopt;
            return std::string("must be digits only (at most 12)");
          }));
  // LiveKit's own defaults: an individual rule makes a new room per call, a callee rule one room per number.
  v.field("randomize", c.randomize, c.kind == "individual");
  v.field("numbers", c.numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("inbound_numbers", c.inbound_numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.field("metadata", c.metadata, std::string());
  v.field("attributes", c.attributes, {});
  v.field("hide_phone_number", c.hide_phone_number, false);
  v.field("agents", c.agents, {});
  v.field("krisp_enabled", c.krisp_enabled, false);
  if constexpr (V::reading) {
    if (c.kind == "direct" && c.room_name.empty())
      v.error("room_name", "a direct rule needs room_name (every call joins that room)");
    if (c.kind != "direct" && !c.room_name.empty())
      v.error("room_name", "applies only to kind: direct (individual and callee rules use room_prefix)");
    if (c.kind == "direct" && !c.room_prefix.empty())
      v.error("room_prefix", "applies only to kind: individual or callee");
  }
}

template <class V>
void visit(V& v, Provisioning& c) {
  v.field("name_prefix", c.name_prefix, std::string("voice-agent"), {}, Check<std::string>(check_name));
  v.section("inbound_trunk", c.inbound_trunk);
  v.section("outbound_trunk", c.outbound_trunk);
  v.section("bridge_trunk", c.bridge_trunk);
  v.field("dispatch_rules", c.dispatch_rules, {});
  if constexpr (V::reading) {
    std::set<std::string> names;
    for (const auto& r : c.dispatch_rules) {
      if (!r.name.empty() && !names.insert(r.name).second)
        v.error("dispatch_rules", "rule name '" + r.name + "' is used twice");
    }
  }
}

template <class V>
void visit(V& v, PortRange& c) {
  v.field("min", c.min, std::int64_t{20000}, {}, in_range(1024, 65534));
  v.field("max", c.max, std::int64_t{30000}, {}, in_range(1025, 65535));
  if constexpr (V::reading) {
    if (c.min % 2 != 0) v.error("min", "RTP ports start even (RTP on even, RTCP on the next odd port)");
    if (c.max <= c.min) v.error("max", "must be greater than min (" + std::to_string(c.min) + ")");
  }
}

template <class V>
void visit(V& v, InboundAuth& c) {
  v.field("username", c.username, std::string());
  v.field("password", c.password, std::string(), {.secret = true});
  if constexpr (V::reading) {
    if (!c.username.empty() && c.password.empty()) v.error("password", "is required when username is set");
  }
}

template <class V>
void visit(V& v, Trunk& c) {
  v.required("name", c.name, {}, Check<std::string>(check_name));
  v.required("mode", c.mode);
  v.field("transport", c.transport, Transport::udp);
  v.field("numbers", c.numbers, {}, {}, Check<std::vector<std::string>>(check_numbers));
  v.section("inbound_auth", c.inbound_auth);
  bool registering = c.mode == TrunkMode::register_;
  if (registering) {
    {
      v.required("registrar", c.registrar, {}, Check<std::string>(check_host));
      v.required("username", c.username);
      v.required("password", c.password, {.secret = true});
    }
    v.field("port", c.port, std::int64_t{c.transport == Transport::tls ? 5061 : 5060}, {},
            Check<std::int64_t>(check_port));
    v.field("realm", c.realm, std::string());
    v.field("register_expires", c.register_expires, Duration(300s), {}, duration_between(60s, 3600s));
    v.field(
        "outbound_proxy", c.outbound_proxy, std::string(), {},
        Check<std::string>([](const std::string& s) { return s.empty() ? std::nullopt : check_listen(s); }));
  }
  if (!registering) {
    v.field("allowed_addresses", c.allowed_addresses, {}, {},
            Check<std::vector<std::string>>(check_each_cidr));
  }
  if constexpr (V::reading) {
    if (!registering) {
      if (c.allowed_addresses.empty())
        v.error("allowed_addresses", "a static_ip trunk needs at least one allowed source address or CIDR");
      for (const char* k : {"registrar", "username", "password", "realm", "register_expires"}) {
        if (v.mark_known(k)) v.error(k, "applies only to mode: register");
      }
    } else if (v.mark_known("allowed_addresses")) {
      v.error("allowed_addresses", "applies only to mode: static_ip");
    }
  }
}

template <class V>
void visit(V& v, SessionTimer& c) {
  v.field("enabled", c.enabled, true);
  v.field("expires", c.expires, Duration(1800s), {}, duration_between(90s, 24h));
  v.field("min_se", c.min_se, Duration(90s), {}, duration_between(90s, 24h));
  if constexpr (V::reading) {
    if (c.min_se > c.expires)
      v.error("min_se", "must not exceed expires (" + format_duration(c.expires) + ")");
  }
}

template <class V>
void visit(V& v, Sip& c) {
  if constexpr (V::reading) {
    std::vector<std::string> uris;
    v.field("listen", uris, {"udp://0.0.0.0:5060"});
    c.listen.clear();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < uris.size(); ++i) {
      SipListen l;
      if (auto problem = check_sip_listen(uris[i], l)) {
        v.error("listen", "item " + std::to_string(i) + ": " + *problem);
      } else if (!seen.insert(uris[i]).second) {
        v.error("listen", "item " + std::to_string(i) + ": '" + uris[i] + "' is listed twice");
      } else {
        c.listen.push_back(l);
      }
    }
  } else {
    std::vector<std::string> uris;
    for (const auto& l : c.listen) {
      const char* scheme = l.transport == Transport::udp   ? "udp"
                           : l.transport == Transport::tcp ? "tcp"
                                                           : "tls";
      bool v6 = l.host.find(':') != std::string::npos;
      uris.push_back(std::string(scheme) + "://" + (v6 ? "[" + l.host + "]" : l.host) + ":" +
                     std::to_string(l.port));
    }
    v.field("listen", uris, {});
  }
  v.field("public_address", c.public_address, std::string(), {},
          Check<std::string>([](const std::string& s) { return s.empty() ? std::nullopt : check_host(s); }));
  v.section("rtp_ports", c.rtp_ports);
  v.field("max_calls", c.max_calls, std::int64_t{1000}, {}, in_range(1, 100000));
  v.field("media_timeout", c.media_timeout, Duration(30s), {}, duration_between(1s, 1h));
  v.field("drain_timeout", c.drain_timeout, Duration(30s), {}, duration_between(0s, 24h));
  v.section("session_timer", c.session_timer);
  v.field("trunks", c.trunks, {});
  if constexpr (V::reading) {
    std::set<std::string> names;
    for (const auto& t : c.trunks) {
      if (!t.name.empty() && !names.insert(t.name).second)
        v.error("trunks", "trunk name '" + t.name + "' is used twice");
    }
  }
}

template <class V>
void visit(V& v, Codecs& c) {
  v.field("preference", c.preference, {Codec::pcmu, Codec::pcma, Codec::g722});
  v.field("g729", c.g729, false);
  v.field("telephone_event", c.telephone_event, true);
  v.field("ptime", c.ptime, Duration(20ms), {},
          Check<Duration>([](const Duration& d) -> std::optional<std::string> {
            if (d < 10ms || d > 60ms || d.count() % 10 != 0)
              return format_duration(d) + " is not a packet time (10ms to 60ms in steps of 10ms)";
            return std::nullopt;
          }));
  if constexpr (V::reading) {
    if (c.preference.empty()) v.error("preference", "needs at least one codec");
    std::set<Codec> seen;
    for (auto codec : c.preference) {
      if (!seen.insert(codec).second) v.error("preference", "lists a codec twice");
      if (codec == Codec::g729 && !c.g729) v.error("preference", "G729 is listed but codecs.g729 is false");
    }
  }
}

template <class V>
void visit(V& v, InboundRoute& c) {
  v.required("match", c.match, {}, Check<std::string>(check_route_match));
  v.required("flow", c.flow, {}, Check<std::string>(check_name));
  v.field("language", c.language, Language::ru);
  v.field("room_prefix", c.room_prefix, std::string("call-"), {}, Check<std::string>(check_room_prefix));
  v.field("livekit", c.livekit, RouteLiveKitMode::room);
  v.field("bridge_user", c.bridge_user, std::string(), {}, Check<std::string>(check_bridge_user));
  v.field("record", c.record, RecordMode::off);
  if constexpr (V::reading) {
    bool bridge = c.livekit == RouteLiveKitMode::bridge;
    if (!bridge && !c.bridge_user.empty()) {
      v.error("bridge_user", "applies only to livekit: bridge");
    } else if (bridge && c.bridge_user.empty()) {
      if (is_exact_number(c.match)) {
        c.bridge_user = c.match;
      } else if (!c.match.empty()) {
        v.error(
            "bridge_user",
            "a bridge route whose match is a pattern ('" + c.match +
                "') needs bridge_user: the user LiveKit SIP dials to reach this route, e.g. bridge-sales");
      }
    }
  }
}

template <class V>
void visit(V& v, OutboundRouting& c) {
  v.field("caller_id", c.caller_id, std::string(), {}, Check<std::string>([](const std::string& s) {
            return s.empty() ? std::nullopt : check_phone_number(s);
          }));
  v.field("trunk", c.trunk, std::string());
  v.field("record", c.record, RecordMode::off);
}

template <class V>
void visit(V& v, Routing& c) {
  v.field("inbound", c.inbound, {});
  v.section("outbound", c.outbound);
  if constexpr (V::reading) {
    // A bridge call names its route by its bridge user alone, so two routes cannot share one.
    std::set<std::string> bridge_users;
    for (std::size_t i = 0; i < c.inbound.size(); ++i) {
      const auto& route = c.inbound[i];
      if (route.livekit != RouteLiveKitMode::bridge || route.bridge_user.empty()) continue;
      if (!bridge_users.insert(route.bridge_user).second)
        v.error("inbound", "item " + std::to_string(i) + ": bridge_user '" + route.bridge_user +
                               "' is used by an earlier bridge route");
    }
  }
}

// The engine names a configuration may choose (src/engines/builtin_engines.cpp registers them).
// whisper: multilingual, works on 8 kHz telephone audio. pocketsphinx: English on wideband legs only (most
// words wrong at 8 kHz, docs/engines.md). none: DTMF-only flows.
// openai: an OpenAI-compatible speech service (agent.speech_api) with an embedded fallback.
const std::vector<std::string> kSpeechRecognizers{"whisper", "pocketsphinx", "openai", "none"};
const std::vector<std::string> kSpeechSynthesizers{"rhvoice", "flite", "espeak-ng", "openai"};
// The engines that can stand in for the speech service: the embedded ones.
const std::vector<std::string> kEmbeddedRecognizers{"whisper", "pocketsphinx", "none"};
const std::vector<std::string> kEmbeddedSynthesizers{"rhvoice", "flite", "espeak-ng", "none"};

// The same form http::Origin::parse accepts (common cannot depend on http; the engine parses it again and
// reports what it does not take): http(s)://host[:port][/path].
std::optional<std::string> check_http_url(const std::string& url) {
  static const std::regex form(R"((https?)://([^/:?#@]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?(/[^?#]*)?)",
                               std::regex::icase);
  std::smatch m;
  if (!std::regex_match(url, m, form))
    return "'" + url + "' is not an http:// or https:// URL (expected e.g. https://api.openai.com/v1)";
  if (m[3].matched) {
    auto port = std::stol(m[3].str().substr(1));
    if (port < 1 || port > 65535) return "'" + url + "' has an invalid port";
  }
  return std::nullopt;
}

// An override names an engine or stays empty (the agent-wide one).
Check<std::string> empty_or_one_of(const std::vector<std::string>& allowed) {
  return [check = one_of(allowed)](const std::string& v) -> std::optional<std::string> {
    return v.empty() ? std::nullopt : check(v);
  };
}

template <class V>
void visit(V& v, LanguageEngines& c) {
  v.required("language", c.language);
  v.field("stt", c.stt, std::string(), {}, empty_or_one_of(kSpeechRecognizers));
  v.field("tts", c.tts, std::string(), {}, empty_or_one_of(kSpeechSynthesizers));
  v.field("voice", c.voice, std::string());
}

template <class V>
void visit(V& v, Engines& c) {
  // webrtc: WebRTC's GMM VAD, cheap; silero: Silero v5 on ONNX Runtime, accurate in noise.
  v.field("vad", c.vad, std::string("webrtc"), {}, one_of({"webrtc", "silero"}));
  v.field("stt", c.stt, std::string("whisper"), {}, one_of(kSpeechRecognizers));
  v.field("tts", c.tts, std::string("rhvoice"), {}, one_of(kSpeechSynthesizers));
  v.field("llm", c.llm, std::string("none"), {}, one_of({"none", "openai", "llama.cpp"}));
  v.field("languages", c.languages, {});
  if constexpr (V::reading) {
    std::set<Language> seen;
    for (const auto& l : c.languages) {
      if (!seen.insert(l.language).second)
        v.error("languages",
                std::string("language '") + (l.language == Language::ru ? "ru" : "en") + "' is listed twice");
    }
  }
}

template <class V>
void visit(V& v, ConversationTuning& c) {
  v.field("workers", c.workers, std::int64_t{0}, {}, in_range(0, 64));
  v.field("queue", c.queue, std::int64_t{16}, {}, in_range(0, 10'000));
  v.field("vad_aggressiveness", c.vad_aggressiveness, std::int64_t{2}, {}, in_range(0, 3));
  v.field("min_speech", c.min_speech, Duration(120ms), {}, duration_between(40ms, 2s));
  v.field("trailing_silence", c.trailing_silence, Duration(700ms), {}, duration_between(100ms, 5s));
  v.field("max_utterance", c.max_utterance, Duration(15s), {}, duration_between(1s, 60s));
  v.field("no_input_timeout", c.no_input_timeout, Duration(7s), {}, duration_between(0s, 10min));
  v.field("barge_in", c.barge_in, true);
  v.field("require_voicing", c.require_voicing, true);
  v.field("unclear_interruption_max", c.unclear_interruption_max, Duration(1s), {}, duration_between(0s, 5s));
  v.field("backchannels", c.backchannels,
          std::vector<std::string>{"угу", "ага", "да-да", "mhm", "mm-hmm", "uh-huh", "ok", "okay"});
}

std::optional<std::string> check_tool_name(const std::string& name) {
  static const std::regex pattern("[A-Za-z][A-Za-z0-9_-]{0,63}");
  if (!std::regex_match(name, pattern))
    return "'" + name + "' is not a tool name (a letter, then letters, digits, _ or -; at most 64)";
  for (const char* reserved : {"transfer_call", "end_call", "send_dtmf", "return_to_flow"})
    if (name == reserved) return "'" + name + "' is a built-in tool's name";
  return std::nullopt;
}

template <class V>
void visit(V& v, LlmToolParameter& c) {
  v.required("name", c.name, {}, Check<std::string>([](const std::string& s) -> std::optional<std::string> {
               static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]{0,63}");
               if (std::regex_match(s, pattern)) return std::nullopt;
               return "'" + s + "' is not a parameter name (letters, digits, _)";
             }));
  v.field("type", c.type, std::string("string"), {}, one_of({"string", "integer", "number", "boolean"}));
  v.field("description", c.description, std::string());
  v.field("required", c.required, true);
  v.field("values", c.values, {});
}

template <class V>
void visit(V& v, HttpHeader& c) {
  v.required("name", c.name, {}, Check<std::string>(check_sip_header_name));
  v.field("value", c.value, std::string(), {.secret = true});
}

template <class V>
void visit(V& v, LlmTool& c) {
  v.required("name", c.name, {}, Check<std::string>(check_tool_name));
  v.required("description", c.description);
  v.required("url", c.url, {}, Check<std::string>([](const std::string& s) -> std::optional<std::string> {
               if (s.starts_with("http://") || s.starts_with("https://")) return std::nullopt;
               return "'" + s + "' is not an http(s) URL";
             }));
  v.field("method", c.method, std::string("POST"), {}, one_of({"POST", "PUT", "PATCH"}));
  v.field("headers", c.headers, {});
  v.field("timeout", c.timeout, Duration(5s), {}, duration_between(100ms, 60s));
  v.field("parameters", c.parameters, {});
}

template <class V>
void visit(V& v, TransferTarget& c) {
  v.required("name", c.name, {}, Check<std::string>(check_tool_name));
  v.required("target", c.target);
}

template <class V>
void visit(V& v, Llm& c) {
  v.field("base_url", c.base_url, std::string("https://api.openai.com/v1"), {.env = "LLM_BASE_URL"},
          Check<std::string>([](const std::string& s) -> std::optional<std::string> {
            if (s.starts_with("http://") || s.starts_with("https://")) return std::nullopt;
            return "'" + s + "' is not an http(s) URL";
          }));
  v.field("model", c.model, std::string(), {.env = "LLM_MODEL"});
  v.field("api_key", c.api_key, std::string(), {.secret = true, .env = "LLM_API_KEY"});
  v.field("gguf", c.gguf, std::string());
  v.field("threads", c.threads, std::int64_t{2}, {}, in_range(1, 64));
  v.field("context", c.context, std::int64_t{2048}, {}, in_range(256, 131072));
  v.field("concurrency", c.concurrency, std::int64_t{16}, {}, in_range(1, 256));
  v.field("system_prompt", c.system_prompt, std::string());
  v.field("transfer_targets", c.transfer_targets, {});
  v.field("tools", c.tools, {});
  v.field("max_tokens", c.max_tokens, std::int64_t{200}, {}, in_range(16, 4096));
  v.field("temperature", c.temperature, 0.3, {},
          Check<double>([](const double& t) -> std::optional<std::string> {
            if (t >= 0 && t <= 2) return std::nullopt;
            return "must be between 0 and 2";
          }));
  v.field("timeout", c.timeout, Duration(8s), {}, duration_between(500ms, 120s));
  v.field("max_turns", c.max_turns, std::int64_t{30}, {}, in_range(1, 1000));
  v.field("max_call_tokens", c.max_call_tokens, std::int64_t{20000}, {}, in_range(1000, 10'000'000));
  v.field("failure_transfer", c.failure_transfer, std::string());
  if constexpr (V::reading) {
    std::set<std::string> names;
    for (const auto& t : c.tools)
      if (!names.insert(t.name).second) v.error("tools", "tool '" + t.name + "' is declared twice");
    std::set<std::string> targets;
    for (const auto& t : c.transfer_targets)
      if (!targets.insert(t.name).second)
        v.error("transfer_targets", "target '" + t.name + "' is listed twice");
    if (!c.failure_transfer.empty() && !targets.contains(c.failure_transfer))
      v.error("failure_transfer", "'" + c.failure_transfer + "' is not one of transfer_targets");
    if (!c.gguf.empty()) {
      c.gguf = base_dir_path(v.context(), c.gguf);
      std::error_code ec;
      if (v.context().check_files && !std::filesystem::is_regular_file(c.gguf, ec))
        v.error("gguf", "file '" + c.gguf + "' not found");
    }
  }
}

template <class V>
void visit(V& v, SpeechApi& c) {
  v.field("base_url", c.base_url, std::string("https://api.openai.com/v1"));
  v.field("api_key", c.api_key, std::string(), {.secret = true, .env = "SPEECH_API_KEY"});
  v.field("stt_model", c.stt_model, std::string("whisper-1"));
  v.field("tts_model", c.tts_model, std::string("tts-1"));
  v.field("voice", c.voice, std::string("alloy"));
  // A caller waits for each request: past this the embedded engine answers instead.
  v.field("timeout", c.timeout, Duration(5s), {}, duration_between(100ms, 2min));
  v.field("fallback_stt", c.fallback_stt, std::string("whisper"), {}, one_of(kEmbeddedRecognizers));
  v.field("fallback_tts", c.fallback_tts, std::string("rhvoice"), {}, one_of(kEmbeddedSynthesizers));
}

template <class V>
void visit(V& v, Agent& c) {
  v.field("language", c.language, Language::ru);
  v.field("voice", c.voice, std::string());
  v.field("greeting", c.greeting, std::string());
  v.field("flow_file", c.flow_file, std::string());
  v.section("engines", c.engines);
  v.field("stt_model", c.stt_model, std::string());
  // One thread per recognition: on 2 shared cores two threads per decode collapsed under contention
  // (docs/benchmarks.md, "Speech recognition"); parallel calls still decode in parallel.
  v.field("stt_threads", c.stt_threads, std::int64_t{1}, {}, in_range(1, 64));
  v.section("speech_api", c.speech_api);
  v.section("conversation", c.conversation);
  v.section("llm", c.llm);
  if constexpr (V::reading) {
    if (c.engines.llm == "openai" && c.llm.model.empty())
      v.error("llm", "model is required when engines.llm is openai (or set LLM_MODEL)");
    bool speech_api_used = c.engines.stt == "openai" || c.engines.tts == "openai";
    for (const auto& l : c.engines.languages) speech_api_used |= l.stt == "openai" || l.tts == "openai";
    if (speech_api_used) {
      if (auto problem = check_http_url(c.speech_api.base_url))
        v.error("speech_api", "base_url: " + *problem + " (agent.engines names openai)");
    }
    if (!c.flow_file.empty()) {
      // Relative to the configuration file: the pipeline opens it from wherever the process runs.
      c.flow_file = base_dir_path(v.context(), c.flow_file);
      std::error_code ec;
      if (v.context().check_files && !std::filesystem::is_regular_file(c.flow_file, ec))
        v.error("flow_file", "file '" + c.flow_file + "' not found");
    }
  }
}

template <class V>
void visit(V& v, Monitoring& c) {
  v.field("trunk_check_interval", c.trunk_check_interval, Duration(60s), {}, duration_between(1s, 24h));
  v.field("reconnect_attempts", c.reconnect_attempts, std::int64_t{5}, {}, in_range(0, 1000));
  v.field("backoff_initial", c.backoff_initial, Duration(1s), {}, duration_between(10ms, 1h));
  v.field("backoff_max", c.backoff_max, Duration(60s), {}, duration_between(10ms, 24h));
  if constexpr (V::reading) {
    if (c.backoff_max < c.backoff_initial)
      v.error("backoff_max",
              "must not be less than backoff_initial (" + format_duration(c.backoff_initial) + ")");
  }
}

template <class V>
void visit(V& v, Webhooks& c) {
  v.field("path", c.path, std::string("/livekit/webhook"), {}, Check<std::string>(check_path));
  v.field("verify", c.verify, true);
  v.field("queue_size", c.queue_size, std::int64_t{1024}, {}, in_range(1, 1'000'000));
  v.field("dedupe_window", c.dedupe_window, Duration(600s), {}, duration_between(1s, 24h));
  if constexpr (V::reading) {
    if (!c.verify)
      v.warning("verify", "webhook signatures are NOT verified: anyone can forge LiveKit events");
  }
}

template <class V>
void visit(V& v, Http& c) {
  v.field("listen", c.listen, std::string("127.0.0.1:8080"), {}, Check<std::string>(check_listen));
  v.field("body_limit", c.body_limit, ByteSize{1024 * 1024}, {},
          Check<ByteSize>([](const ByteSize& s) -> std::optional<std::string> {
            if (s.bytes < 1024 || s.bytes > 64ull * 1024 * 1024)
              return format_byte_size(s) + " is out of range (1KiB to 64MiB)";
            return std::nullopt;
          }));
  v.field("shutdown_timeout", c.shutdown_timeout, Duration(10s), {}, duration_between(0s, 10min));
  v.field("threads", c.threads, std::int64_t{0}, {}, in_range(0, 256));
  v.field("admin_token", c.admin_token, std::string(), {.secret = true, .env = "VOICE_AGENT_ADMIN_TOKEN"},
          Check<std::string>([](const std::string& t) -> std::optional<std::string> {
            if (!t.empty() && t.size() < 16) return "is shorter than 16 characters (a guessable admin token)";
            return std::nullopt;
          }));
}

template <class V>
void visit(V& v, Cors& c) {
  v.field("allowed_origins", c.allowed_origins, {}, {}, Check<std::vector<std::string>>(check_origins));
}

template <class V>
void visit(V& v, RateLimit& c) {
  v.field("enabled", c.enabled, true);
  auto positive = Check<double>([](const double& d) -> std::optional<std::string> {
    if (!(d > 0) || d > 1e9) return "must be a positive number";
    return std::nullopt;
  });
  v.field("requests_per_second", c.requests_per_second, 50.0, {}, positive);
  v.field("burst", c.burst, 100.0, {}, Check<double>([](const double& d) -> std::optional<std::string> {
            if (!(d >= 1) || d > 1e9) return "must be at least 1";
            return std::nullopt;
          }));
}

template <class V>
void visit(V& v, Tls& c) {
  v.field("certificate", c.certificate, std::string());
  v.field("private_key", c.private_key, std::string());
  if constexpr (V::reading) {
    if (c.certificate.empty() != c.private_key.empty())
      v.error(c.certificate.empty() ? "certificate" : "private_key",
              "certificate and private_key are set together");
    for (auto [key, file] :
         {std::pair{"certificate", &c.certificate}, std::pair{"private_key", &c.private_key}}) {
      if (file->empty() || !v.context().check_files) continue;
      std::error_code ec;
      auto resolved = base_dir_path(v.context(), *file);
      if (!std::filesystem::is_regular_file(resolved, ec)) v.error(key, "file '" + resolved + "' not found");
    }
  }
}

template <class V>
void visit(V& v, Security& c) {
  v.section("cors", c.cors);
  v.section("rate_limit", c.rate_limit);
  v.section("tls", c.tls);
  v.field("srtp", c.srtp, SrtpMode::off);
}

template <class V>
void visit(V& v, Storage& c) {
  v.field("url", c.url, std::string("sqlite://voice-agent.db"), {.secret = false},
          Check<std::string>(check_storage_url));
  v.field("instance", c.instance, std::string());
  if constexpr (V::reading) {
    // A relative SQLite file is beside the configuration file, like every other path in it.
    if (c.url.starts_with("sqlite://") && c.url.size() > 9 && c.url[9] != '/')
      c.url = "sqlite://" + base_dir_path(v.context(), c.url.substr(9));
  }
}

template <class V>
void visit(V& v, Recording& c) {
  v.field("dir", c.dir, std::string("recordings"), {},
          Check<std::string>([](const std::string& d) -> std::optional<std::string> {
            if (d.empty()) return "must not be empty (the directory the call recordings are written to)";
            return std::nullopt;
          }));
  // 0 keeps recordings forever; anything shorter than an hour would delete a long call's file while the
  // retention sweep runs hourly, so it is refused as a mistake.
  v.field("retention", c.retention, Duration(std::chrono::hours(24 * 30)), {},
          Check<Duration>([](const Duration& d) -> std::optional<std::string> {
            if (d == Duration(0) || (d >= std::chrono::hours(1) && d <= std::chrono::hours(24 * 3650)))
              return std::nullopt;
            return format_duration(d) + " is out of range (0 to keep forever, or 1h to 3650d)";
          }));
  if constexpr (V::reading) {
    // Beside the configuration file, like the SQLite file of the call records.
    c.dir = base_dir_path(v.context(), c.dir);
  }
}

template <class V>
void visit(V& v, Events& c) {
  v.field("url", c.url, std::string(), {},
          Check<std::string>([](const std::string& u) -> std::optional<std::string> {
            if (!u.empty() && !u.starts_with("http://") && !u.starts_with("https://"))
              return "'" + u + "' is not an http:// or https:// URL";
            return std::nullopt;
          }));
  v.field("secret", c.secret, std::string(), {.secret = true, .env = "VOICE_AGENT_EVENTS_SECRET"});
  v.field("timeout", c.timeout, Duration(10s), {}, duration_between(1s, 5min));
  v.field("backoff_initial", c.backoff_initial, Duration(1s), {}, duration_between(10ms, 1h));
  v.field("backoff_max", c.backoff_max, Duration(5min), {}, duration_between(10ms, 24h));
  v.field("max_attempts", c.max_attempts, std::int64_t{0}, {}, in_range(0, 1000000));
  if constexpr (V::reading) {
    if (!c.url.empty() && c.secret.empty())
      v.error("secret",
              "is required when events.url is set (receivers verify X-Voice-Agent-Signature with it)");
  }
}

template <class V>
void visit(V& v, Logging& c) {
  v.field("level", c.level, LogLevel::info);
  v.field("format", c.format, LogFormat::automatic);
  v.field("mask_phone_numbers", c.mask_phone_numbers, true);
}

template <class V>
void visit(V& v, Config& c) {
  v.section("livekit", c.livekit);
  v.section("sip", c.sip);
  v.section("codecs", c.codecs);
  v.section("routing", c.routing);
  v.section("agent", c.agent);
  v.section("monitoring", c.monitoring);
  v.section("webhooks", c.webhooks);
  v.section("http", c.http);
  v.section("security", c.security);
  v.section("storage", c.storage);
  v.section("recording", c.recording);
  v.section("events", c.events);
  v.section("logging", c.logging);
  if constexpr (V::reading) {
    // Cross-section rules.
    std::set<std::string> trunk_names;
    for (const auto& t : c.sip.trunks) trunk_names.insert(t.name);
    const auto& out = c.routing.outbound;
    if (!out.trunk.empty() && !trunk_names.contains(out.trunk))
      v.error("routing", "outbound.trunk '" + out.trunk + "' is not a trunk in sip.trunks");
    bool tls_listen = std::any_of(c.sip.listen.begin(), c.sip.listen.end(),
                                  [](const SipListen& l) { return l.transport == Transport::tls; });
    if (tls_listen && c.security.tls.certificate.empty())
      v.error("sip", "listen includes tls:// but security.tls.certificate and private_key are not set");
    bool bridge_routes = std::any_of(c.routing.inbound.begin(), c.routing.inbound.end(),
                                     [](const auto& r) { return r.livekit == RouteLiveKitMode::bridge; });
    if (bridge_routes && !c.livekit.configured())
      v.warning("routing",
                "routes with livekit: bridge have no effect without LiveKit (livekit.url, api_key, "
                "api_secret): no webhooks arrive to dial from");
    if (bridge_routes && c.sip.listen.empty())
      v.error("routing",
              "routes with livekit: bridge need voice-agent's SIP endpoint (sip.listen is empty): "
              "LiveKit SIP dials it");
    // Passwords inside a PostgreSQL URL are secrets too.
    static const std::regex pg_password(R"(://[^:/@]+:([^@]+)@)");
    std::smatch m;
    if (std::regex_search(c.storage.url, m, pg_password)) v.context().secrets.push_back(m[1].str());
  }
}

// --- entry points used by config.cpp ----------------------------------------------------------------------

void read_config(detail::LoadContext& ctx, const YAML::Node& root, Config& out) {
  detail::Reader reader(ctx, root, "");
  visit(reader, out);
  reader.finish();
}

YAML::Node write_config(const Config& config, bool reveal_secrets) {
  YAML::Node root(YAML::NodeType::Map);
  detail::Writer writer(root, reveal_secrets);
  Config copy = config;
  visit(writer, copy);
  // A password inside a storage URL is masked too.
  if (!reveal_secrets) {
    static const std::regex pg_password(R"((://[^:/@]+:)([^@]+)@)");
    root["storage"]["url"] = std::regex_replace(copy.storage.url, pg_password, "$1***@");
  }
  return root;
}

}  // namespace va::config
