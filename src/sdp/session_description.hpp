// The model of an SDP session description (RFC 4566) and typed readers for the attributes telephony needs.
//
// The model keeps what was on the wire: every line type of RFC 4566 §5, attributes in their original order
// (unknown ones included, so a description can be parsed and written back without losing anything), media
// descriptions with their own c=/b=/k=/a= lines. Attribute values are kept as text; the typed readers below
// interpret them on demand and answer nullopt for a value they cannot read, so one odd attribute never makes
// a whole description unusable. Parsing and writing live in parser.hpp and serializer.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace va::sdp {

// "IN IP4" / "IN IP6" (the network type is always IN: the parser rejects others).
enum class AddressType : std::uint8_t { ip4, ip6 };
std::string_view to_string(AddressType type);  // "IP4", "IP6"

// c=IN <IP4|IP6> <address>[/<ttl>][/<count>]  (RFC 4566 §5.7)
struct ConnectionData {
  AddressType address_type = AddressType::ip4;
  std::string address;                         // literal or host name, without the /ttl and /count suffixes
  std::optional<std::uint8_t> ttl;             // IPv4 multicast only
  std::optional<std::uint32_t> address_count;  // multicast address ranges

  // 0.0.0.0 (or ::): RFC 2543-style hold, "do not send to me" (RFC 3264 §8.4).
  bool is_unspecified() const;
  friend bool operator==(const ConnectionData&, const ConnectionData&) = default;
};
// Reads "IN IP4 192.0.2.1" (the value of a c= line, or the tail of a=rtcp). An IPv4 address must be a valid
// dotted quad unless it is a host name; an IPv6 one a valid RFC 4291 literal. On failure, `problem` (when
// given) says what is wrong.
std::optional<ConnectionData> parse_connection(std::string_view value, std::string* problem = nullptr);
std::string format_connection(const ConnectionData& connection);  // "IN IP4 192.0.2.1"

// o=<username> <sess-id> <sess-version> IN <IP4|IP6> <unicast-address>
// The id and version are kept as the digit strings received: RFC 4566 only says 1*DIGIT and some peers send
// NTP timestamps; we compare them, we never do arithmetic on a peer's values.
struct Origin {
  std::string username = "-";
  std::string session_id = "0";
  std::string session_version = "0";
  AddressType address_type = AddressType::ip4;
  std::string address = "0.0.0.0";
  friend bool operator==(const Origin&, const Origin&) = default;
};

// b=<bwtype>:<bandwidth>
struct Bandwidth {
  std::string type;  // "AS", "CT", "TIAS", ...
  std::uint64_t value = 0;
  friend bool operator==(const Bandwidth&, const Bandwidth&) = default;
};

// t=<start> <stop> followed by its r= lines (kept as text: telephony never schedules sessions).
struct Timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string> repeats;
  friend bool operator==(const Timing&, const Timing&) = default;
};

// a=<name> or a=<name>:<value>. A present but empty value ("a=foo:") is kept apart from no value ("a=foo").
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// a=sendrecv / sendonly / recvonly / inactive (RFC 4566 §6, RFC 3264 §5.1). The bits say what the side that
// wrote the description does: send, receive.
enum class Direction : std::uint8_t { inactive = 0, sendonly = 1, recvonly = 2, sendrecv = 3 };
std::string_view to_string(Direction direction);  // the attribute name
std::optional<Direction> direction_from_attribute(std::string_view name);
inline bool sends(Direction d) {
  return (static_cast<unsigned>(d) & 1u) != 0;
}
inline bool receives(Direction d) {
  return (static_cast<unsigned>(d) & 2u) != 0;
}
// The peer's direction seen from our side: a peer that only sends is one we only receive from.
Direction reversed(Direction d);
// Both allow it: send only if both `a` and `b` send, receive only if both receive.
Direction intersect(Direction a, Direction b);

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]  (RFC 4566 §6)
struct RtpMap {
  std::uint8_t payload_type = 0;
  std::string encoding_name;  // compared case-insensitively (RFC 4855 §3)
  std::uint32_t clock_rate = 0;
  std::string encoding_parameters;  // audio: channel count; empty when absent

  // The channel count for audio; 1 when absent, 0 when the parameter is not a number.
  std::uint32_t channels() const;
  friend bool operator==(const RtpMap&, const RtpMap&) = default;
};
std::optional<RtpMap> parse_rtpmap(std::string_view value);
std::string format_rtpmap(const RtpMap& map);  // the attribute value, "101 telephone-event/8000"

// a=rtcp:<port> [IN <IP4|IP6> <address>]  (RFC 3605)
struct RtcpAttribute {
  std::uint16_t port = 0;
  std::optional<ConnectionData> connection;
  friend bool operator==(const RtcpAttribute&, const RtcpAttribute&) = default;
};
std::optional<RtcpAttribute> parse_rtcp_attribute(std::string_view value);

// Attributes of one level (session or media), in order.
struct AttributeList {
  std::vector<Attribute> items;

  // The first attribute with this name (names compare case-sensitively, as RFC 4566 defines them).
  const Attribute* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  std::vector<const Attribute*> all(std::string_view name) const;
  void add(std::string name, std::optional<std::string> value = std::nullopt);
  // Removes every attribute with this name; returns how many.
  std::size_t remove(std::string_view name);

  // The last direction attribute at this level (when a peer writes two, the later one wins, as sofia-sip
  // does); nullopt when there is none.
  std::optional<Direction> direction() const;
  // Replaces any direction attribute by `direction`, appended at the end.
  void set_direction(Direction direction);

  friend bool operator==(const AttributeList&, const AttributeList&) = default;
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ...  and the lines that belong to it.
struct MediaDescription {
  std::string media;  // "audio", "video", "image", ...
  std::uint16_t port = 0;
  std::optional<std::uint32_t> port_count;
  std::string proto;                 // "RTP/AVP", "RTP/SAVP", "udptl", ...
  std::vector<std::string> formats;  // payload type numbers for RTP protocols
  std::optional<std::string> title;  // i=
  std::vector<ConnectionData> connections;
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept for round trips)
  AttributeList attributes;

  // RTP-based transport (RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF, ...): formats are payload types.
  bool is_rtp() const;
  // The format at `index` as an RTP payload type; nullopt if it is not a number 0-127.
  std::optional<std::uint8_t> payload_type(std::size_t index) const;
  // The a=rtpmap for `payload_type` (the last one when a peer repeats it); nullopt without one.
  std::optional<RtpMap> rtpmap(std::uint8_t payload_type) const;
  // What `payload_type` means here: its a=rtpmap, or for a static type without one the RFC 3551 table.
  std::optional<RtpMap> format(std::uint8_t payload_type) const;
  // The a=fmtp parameters for `format` ("101" → "0-15").
  std::optional<std::string> fmtp(std::string_view format) const;
  // a=ptime / a=maxptime in milliseconds; nullopt when absent or not a positive number.
  std::optional<std::uint32_t> ptime() const;
  std::optional<std::uint32_t> maxptime() const;
  std::optional<RtcpAttribute> rtcp() const;
  bool rtcp_mux() const { return attributes.has("rtcp-mux"); }

  friend bool operator==(const MediaDescription&, const MediaDescription&) = default;
};

struct SessionDescription {
  // v= is always 0 (the only version there is); it is not stored.
  Origin origin;
  std::string session_name = "-";  // s=
  std::optional<std::string> information;
  std::optional<std::string> uri;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::optional<ConnectionData> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings;            // at least one in a valid description
  std::optional<std::string> time_zones;  // z=
  std::optional<std::string> key;         // k=
  AttributeList attributes;
  std::vector<MediaDescription> media;

  // The address a media stream is sent to: its own first c=, else the session's (RFC 4566 §5.7).
  const ConnectionData* connection_for(const MediaDescription& m) const;
  // The stream's direction: its own attribute, else the session's, else sendrecv (RFC 3264 §5.1).
  Direction direction_of(const MediaDescription& m) const;

  friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

// Case-insensitive ASCII comparison (encoding names, protocol names).
bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace va::sdp
