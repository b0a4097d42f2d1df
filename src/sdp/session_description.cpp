#include "sdp/session_description.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "sdp/payload_formats.hpp"
#include "sdp/text.hpp"

namespace va::sdp {
namespace {

bool is_host_name(std::string_view s) {
  if (s.empty()) return false;
  bool has_letter = false;
  for (char c : s) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    has_letter = has_letter || letter;
    if (!letter && !text::is_digit(c) && c != '-' && c != '.') return false;
  }
  // All digits and dots is an (invalid) IPv4 literal, not a name.
  return has_letter;
}

bool is_ipv4_literal(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  std::array<char, 16> buffer{};
  std::copy(s.begin(), s.end(), buffer.begin());
  in_addr parsed{};
  return inet_pton(AF_INET, buffer.data(), &parsed) == 1;
}

bool is_ipv6_literal(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  std::array<char, 46> buffer{};
  std::copy(s.begin(), s.end(), buffer.begin());
  in6_addr parsed{};
  return inet_pton(AF_INET6, buffer.data(), &parsed) == 1;
}

void set_problem(std::string* problem, std::string text_value) {
  if (problem) *problem = std::move(text_value);
}

}  // namespace

std::string_view to_string(AddressType type) {
  return type == AddressType::ip6 ? "IP6" : "IP4";
}

bool ConnectionData::is_unspecified() const {
  if (address_type == AddressType::ip4) return address == "0.0.0.0";
  std::array<char, 46> buffer{};
  if (address.size() >= buffer.size()) return false;
  std::copy(address.begin(), address.end(), buffer.begin());
  in6_addr parsed{};
  if (inet_pton(AF_INET6, buffer.data(), &parsed) != 1) return false;
  return std::all_of(std::begin(parsed.s6_addr), std::end(parsed.s6_addr), [](auto b) { return b == 0; });
}

std::optional<ConnectionData> parse_connection(std::string_view value, std::string* problem) {
  auto fields = text::split_fields(value);
  if (fields.size() != 3) {
    set_problem(problem, "expected '<nettype> <addrtype> <address>'");
    return std::nullopt;
  }
  if (fields[0] != "IN") {
    set_problem(problem, "network type '" + std::string(fields[0]) + "' is not IN");
    return std::nullopt;
  }
  ConnectionData c;
  if (fields[1] == "IP4") {
    c.address_type = AddressType::ip4;
  } else if (fields[1] == "IP6") {
    c.address_type = AddressType::ip6;
  } else {
    set_problem(problem, "address type '" + std::string(fields[1]) + "' is neither IP4 nor IP6");
    return std::nullopt;
  }
  // <address>[/<ttl>][/<count>]: IPv4 multicast carries a TTL, IPv6 only a count (RFC 4566 §5.7).
  std::string_view address = fields[2];
  std::vector<std::string_view> suffixes;
  auto slash = address.find('/');
  if (slash != std::string_view::npos) {
    std::string_view rest = address.substr(slash + 1);
    address = address.substr(0, slash);
    while (true) {
      auto next = rest.find('/');
      suffixes.push_back(rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest = rest.substr(next + 1);
    }
  }
  bool valid_address = c.address_type == AddressType::ip4 ? is_ipv4_literal(address) || is_host_name(address)
                                                          : is_ipv6_literal(address) || is_host_name(address);
  if (!valid_address) {
    set_problem(problem, "'" + std::string(address) + "' is not an " +
                             std::string(to_string(c.address_type)) + " address");
    return std::nullopt;
  }
  c.address = std::string(address);
  std::size_t max_suffixes = c.address_type == AddressType::ip4 ? 2 : 1;
  if (suffixes.size() > max_suffixes) {
    set_problem(problem, "too many '/' parts in '" + std::string(fields[2]) + "'");
    return std::nullopt;
  }
  std::size_t next_suffix = 0;
  if (c.address_type == AddressType::ip4 && !suffixes.empty()) {
    auto ttl = text::parse_unsigned<std::uint8_t>(suffixes[0]);
    if (!ttl) {
      set_problem(problem, "TTL '" + std::string(suffixes[0]) + "' is not a number 0-255");
      return std::nullopt;
    }
    c.ttl = *ttl;
    next_suffix = 1;
  }
  if (next_suffix < suffixes.size()) {
    auto count = text::parse_unsigned<std::uint32_t>(suffixes[next_suffix]);
    if (!count || *count == 0) {
      set_problem(problem,
                  "address count '" + std::string(suffixes[next_suffix]) + "' is not a positive number");
      return std::nullopt;
    }
    c.address_count = *count;
  }
  return c;
}

std::string format_connection(const ConnectionData& c) {
  std::string out = "IN ";
  out += to_string(c.address_type);
  out += ' ';
  out += c.address;
  if (c.ttl) out += '/' + std::to_string(*c.ttl);
  if (c.address_count) out += '/' + std::to_string(*c.address_count);
  return out;
}

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::inactive:
      return "inactive";
    case Direction::sendonly:
      return "sendonly";
    case Direction::recvonly:
      return "recvonly";
    case Direction::sendrecv:
      return "sendrecv";
  }
  return "sendrecv";
}

std::optional<Direction> direction_from_attribute(std::string_view name) {
  if (name == "sendrecv") return Direction::sendrecv;
  if (name == "sendonly") return Direction::sendonly;
  if (name == "recvonly") return Direction::recvonly;
  if (name == "inactive") return Direction::inactive;
  return std::nullopt;
}

Direction reversed(Direction d) {
  unsigned bits = (sends(d) ? 2u : 0u) | (receives(d) ? 1u : 0u);
  return static_cast<Direction>(bits);
}

Direction intersect(Direction a, Direction b) {
  return static_cast<Direction>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}

std::uint32_t RtpMap::channels() const {
  if (encoding_parameters.empty()) return 1;
  return text::parse_unsigned<std::uint32_t>(encoding_parameters).value_or(0);
}

std::optional<RtpMap> parse_rtpmap(std::string_view value) {
  auto fields = text::split_fields(value);
  if (fields.size() < 2) return std::nullopt;
  auto payload_type = text::parse_unsigned<std::uint8_t>(fields[0]);
  if (!payload_type || *payload_type > 127) return std::nullopt;
  // <encoding name>/<clock rate>[/<encoding parameters>]; anything after another space is ignored.
  std::string_view encoding = fields[1];
  auto slash = encoding.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  std::string_view rest = encoding.substr(slash + 1);
  auto second = rest.find('/');
  auto clock_rate = text::parse_unsigned<std::uint32_t>(rest.substr(0, second));
  if (!clock_rate) return std::nullopt;
  RtpMap map;
  map.payload_type = *payload_type;
  map.encoding_name = std::string(encoding.substr(0, slash));
  map.clock_rate = *clock_rate;
  if (second != std::string_view::npos) {
    map.encoding_parameters = std::string(rest.substr(second + 1));
    if (map.encoding_parameters.empty()) return std::nullopt;
  }
  return map;
}

std::string format_rtpmap(const RtpMap& map) {
  std::string out =
      std::to_string(map.payload_type) + ' ' + map.encoding_name + '/' + std::to_string(map.clock_rate);
  if (!map.encoding_parameters.empty()) out += '/' + map.encoding_parameters;
  return out;
}

std::optional<RtcpAttribute> parse_rtcp_attribute(std::string_view value) {
  value = text::trim(value);
  auto space = value.find_first_of(" \t");
  auto port = text::parse_unsigned<std::uint16_t>(value.substr(0, space));
  if (!port) return std::nullopt;
  RtcpAttribute rtcp;
  rtcp.port = *port;
  if (space != std::string_view::npos) {
    auto connection = parse_connection(value.substr(space + 1));
    if (!connection) return std::nullopt;
    rtcp.connection = std::move(*connection);
  }
  return rtcp;
}

const Attribute* AttributeList::find(std::string_view name) const {
  for (const auto& a : items) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<const Attribute*> AttributeList::all(std::string_view name) const {
  std::vector<const Attribute*> found;
  for (const auto& a : items) {
    if (a.name == name) found.push_back(&a);
  }
  return found;
}

void AttributeList::add(std::string name, std::optional<std::string> value) {
  items.push_back(Attribute{std::move(name), std::move(value)});
}

std::size_t AttributeList::remove(std::string_view name) {
  return std::erase_if(items, [&](const Attribute& a) { return a.name == name; });
}

std::optional<Direction> AttributeList::direction() const {
  std::optional<Direction> found;
  for (const auto& a : items) {
    if (auto d = direction_from_attribute(a.name); d && !a.value) found = d;
  }
  return found;
}

void AttributeList::set_direction(Direction direction) {
  std::erase_if(items, [](const Attribute& a) { return direction_from_attribute(a.name).has_value(); });
  add(std::string(to_string(direction)));
}

bool MediaDescription::is_rtp() const {
  // RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVPF, TCP/RTP/AVP, ... (RFC 4566 §5.14, RFC 8866
  // §5.14)
  return proto.starts_with("RTP/") || proto.find("/RTP/") != std::string::npos;
}

std::optional<std::uint8_t> MediaDescription::payload_type(std::size_t index) const {
  if (index >= formats.size()) return std::nullopt;
  auto pt = text::parse_unsigned<std::uint8_t>(formats[index]);
  if (!pt || *pt > 127) return std::nullopt;
  return pt;
}

std::optional<RtpMap> MediaDescription::rtpmap(std::uint8_t pt) const {
  std::optional<RtpMap> found;
  for (const auto* a : attributes.all("rtpmap")) {
    if (!a->value) continue;
    if (auto map = parse_rtpmap(*a->value); map && map->payload_type == pt) found = std::move(map);
  }
  return found;
}

std::optional<RtpMap> MediaDescription::format(std::uint8_t pt) const {
  if (auto map = rtpmap(pt)) return map;
  if (pt < 96) return static_payload_type(pt);
  return std::nullopt;
}

std::optional<std::string> MediaDescription::fmtp(std::string_view fmt) const {
  for (const auto* a : attributes.all("fmtp")) {
    if (!a->value) continue;
    std::string_view v = *a->value;
    auto space = v.find_first_of(" \t");
    if (v.substr(0, space) != fmt) continue;
    if (space == std::string_view::npos) return std::string();
    return std::string(text::trim(v.substr(space + 1)));
  }
  return std::nullopt;
}

namespace {
std::optional<std::uint32_t> positive_number_attribute(const AttributeList& attributes,
                                                       std::string_view name) {
  const auto* a = attributes.find(name);
  if (!a || !a->value) return std::nullopt;
  // Some peers write "a=ptime:20.0" or "a=ptime:20 "; the integer part is what they mean.
  std::string_view v = text::trim(*a->value);
  auto dot = v.find('.');
  if (dot != std::string_view::npos) {
    auto fraction = v.substr(dot + 1);
    if (!fraction.empty() && !text::all_digits(fraction)) return std::nullopt;
    v = v.substr(0, dot);
  }
  auto n = text::parse_unsigned<std::uint32_t>(v);
  if (!n || *n == 0) return std::nullopt;
  return n;
}
}  // namespace

std::optional<std::uint32_t> MediaDescription::ptime() const {
  return positive_number_attribute(attributes, "ptime");
}

std::optional<std::uint32_t> MediaDescription::maxptime() const {
  return positive_number_attribute(attributes, "maxptime");
}

std::optional<RtcpAttribute> MediaDescription::rtcp() const {
  const auto* a = attributes.find("rtcp");
  if (!a || !a->value) return std::nullopt;
  return parse_rtcp_attribute(*a->value);
}

const ConnectionData* SessionDescription::connection_for(const MediaDescription& m) const {
  if (!m.connections.empty()) return &m.connections.front();
  if (connection) return &*connection;
  return nullptr;
}

Direction SessionDescription::direction_of(const MediaDescription& m) const {
  if (auto d = m.attributes.direction()) return *d;
  if (auto d = attributes.direction()) return *d;
  return Direction::sendrecv;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (text::to_lower(a[i]) != text::to_lower(b[i])) return false;
  }
  return true;
}

}  // namespace va::sdp
