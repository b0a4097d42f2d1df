#include "sdp/parser.hpp"

#include <exception>
#include <new>
#include <vector>

#include "sdp/text.hpp"

namespace va::sdp {
namespace {

// Thrown inside the parser only, caught in parse(): keeps every check a one-liner.
struct Failure {
  ParseError error;
};

[[noreturn]] void fail(ParseErrorKind kind, std::size_t line, std::string message) {
  throw Failure{ParseError{kind, line, std::move(message)}};
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kShown = 80;
  std::string out = "'";
  out += s.substr(0, kShown);
  if (s.size() > kShown) out += "...";
  out += "'";
  return out;
}

class Parser {
 public:
  explicit Parser(const ParseLimits& limits) : limits_(limits) {}

  SessionDescription run(std::string_view text) {
    if (text.size() > limits_.max_bytes) {
      fail(ParseErrorKind::too_large, 0,
           "description is " + std::to_string(text.size()) + " bytes, more than the limit of " +
               std::to_string(limits_.max_bytes));
    }
    std::size_t pos = 0;
    std::size_t line_number = 0;
    while (pos < text.size()) {
      // Lines end in CRLF, LF or a lone CR.
      std::size_t end = text.find_first_of("\r\n", pos);
      std::string_view raw =
          text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
      if (end == std::string_view::npos) {
        pos = text.size();
      } else if (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
        pos = end + 2;
      } else {
        pos = end + 1;
      }
      ++line_number;
      if (line_number > limits_.max_lines) {
        fail(ParseErrorKind::too_large, line_number,
             "more than " + std::to_string(limits_.max_lines) + " lines");
      }
      if (raw.size() > limits_.max_line_length) {
        fail(ParseErrorKind::too_large, line_number,
             "line is " + std::to_string(raw.size()) + " bytes, more than the limit of " +
                 std::to_string(limits_.max_line_length));
      }
      line(text::trim(raw), line_number);
    }
    finish(line_number + 1);
    return std::move(description_);
  }

 private:
  void line(std::string_view l, std::size_t n) {
    if (l.empty()) return;
    for (char c : l) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
        fail(ParseErrorKind::invalid_character, n,
             "control character " + std::to_string(byte) + " in the line");
      }
    }
    if (l.size() < 2 || l[1] != '=' || !(l[0] >= 'a' && l[0] <= 'z')) {
      fail(ParseErrorKind::bad_line, n, quoted(l) + " is not a '<type>=<value>' line");
    }
    char type = l[0];
    std::string_view value = text::trim(l.substr(2));
    if (!seen_version_) {
      if (type != 'v')
        fail(ParseErrorKind::missing_line, n, "expected v=0 as the first line, found " + quoted(l));
      if (value != "0") fail(ParseErrorKind::bad_version, n, "version " + quoted(value) + " is not 0");
      seen_version_ = true;
      return;
    }
    if (description_.media.empty()) {
      session_line(type, value, n);
    } else {
      media_line(type, value, n);
    }
  }

  void session_line(char type, std::string_view value, std::size_t n) {
    auto& d = description_;
    switch (type) {
      case 'v':
        fail(ParseErrorKind::duplicate_line, n, "second v= line");
      case 'o':
        once(seen_origin_, "o=", n);
        d.origin = origin(value, n);
        return;
      case 's':
        once(seen_session_name_, "s=", n);
        // RFC 4566 wants at least one character ("s=-" when there is nothing to say); an empty s= is common
        // enough (and harmless) to accept.
        d.session_name = std::string(value);
        return;
      case 'i':
        once_optional(d.information, "i=", n);
        d.information = std::string(value);
        return;
      case 'u':
        once_optional(d.uri, "u=", n);
        d.uri = std::string(value);
        return;
      case 'e':
        d.emails.emplace_back(value);
        return;
      case 'p':
        d.phones.emplace_back(value);
        return;
      case 'c':
        once_optional(d.connection, "session-level c=", n);
        d.connection = connection(value, n);
        return;
      case 'b':
        d.bandwidths.push_back(bandwidth(value, n));
        return;
      case 't':
        d.timings.push_back(timing(value, n));
        return;
      case 'r':
        if (d.timings.empty()) fail(ParseErrorKind::misplaced_line, n, "r= before any t= line");
        if (text::split_fields(value).size() < 3) {
          fail(ParseErrorKind::bad_timing, n,
               "r= needs '<interval> <duration> <offset>...', got " + quoted(value));
        }
        d.timings.back().repeats.emplace_back(value);
        return;
      case 'z':
        once_optional(d.time_zones, "z=", n);
        if (value.empty()) fail(ParseErrorKind::bad_timing, n, "empty z= line");
        d.time_zones = std::string(value);
        return;
      case 'k':
        once_optional(d.key, "k=", n);
        d.key = std::string(value);
        return;
      case 'a':
        d.attributes.items.push_back(attribute(value, n));
        return;
      case 'm':
        // Everything the session level must have comes before the first m= (RFC 4566 §5).
        require_session_lines(n, "before the first m= line");
        start_media(value, n);
        return;
      default:
        fail(ParseErrorKind::unknown_type, n, std::string("unknown line type '") + type + "='");
    }
  }

  void media_line(char type, std::string_view value, std::size_t n) {
    auto& m = description_.media.back();
    switch (type) {
      case 'i':
        once_optional(m.title, "media-level i=", n);
        m.title = std::string(value);
        return;
      case 'c':
        m.connections.push_back(connection(value, n));
        return;
      case 'b':
        m.bandwidths.push_back(bandwidth(value, n));
        return;
      case 'k':
        once_optional(m.key, "media-level k=", n);
        m.key = std::string(value);
        return;
      case 'a':
        m.attributes.items.push_back(attribute(value, n));
        return;
      case 'm':
        start_media(value, n);
        return;
      case 'v':
      case 'o':
      case 's':
      case 'u':
      case 'e':
      case 'p':
      case 't':
      case 'r':
      case 'z':
        fail(ParseErrorKind::misplaced_line, n,
             std::string(1, type) + "= is a session-level line and cannot follow an m= line");
      default:
        fail(ParseErrorKind::unknown_type, n, std::string("unknown line type '") + type + "='");
    }
  }

  void finish(std::size_t end_line) {
    if (!seen_version_) fail(ParseErrorKind::missing_line, end_line, "empty description (no v= line)");
    require_session_lines(end_line, "");
    // RFC 4566 §5.7: a c= at the session level or in every media description. A rejected stream (port 0)
    // is exempt: nothing is sent to it, and answers rejecting streams are often written without one.
    for (std::size_t i = 0; i < description_.media.size(); ++i) {
      const auto& m = description_.media[i];
      if (m.port != 0 && !description_.connection_for(m)) {
        fail(ParseErrorKind::missing_connection, media_lines_[i],
             "m=" + m.media + " has no c= line and there is no session-level c=");
      }
    }
  }

  void require_session_lines(std::size_t n, std::string_view where) {
    auto missing = [&](std::string_view what) {
      std::string message = "no ";
      message += what;
      message += " line";
      if (!where.empty()) message += ' ' + std::string(where);
      fail(ParseErrorKind::missing_line, n, message);
    };
    if (!seen_origin_) missing("o=");
    if (!seen_session_name_) missing("s=");
    if (description_.timings.empty()) missing("t=");
  }

  void once(bool& seen, std::string_view what, std::size_t n) {
    if (seen) fail(ParseErrorKind::duplicate_line, n, "second " + std::string(what) + " line");
    seen = true;
  }
  template <class T>
  void once_optional(const std::optional<T>& field, std::string_view what, std::size_t n) {
    if (field) fail(ParseErrorKind::duplicate_line, n, "second " + std::string(what) + " line");
  }

  static Origin origin(std::string_view value, std::size_t n) {
    auto f = text::split_fields(value);
    if (f.size() != 6) {
      fail(ParseErrorKind::bad_origin, n,
           "o= needs '<username> <sess-id> <sess-version> IN <IP4|IP6> <address>', got " + quoted(value));
    }
    if (!text::all_digits(f[1]))
      fail(ParseErrorKind::bad_origin, n, "o= session id " + quoted(f[1]) + " is not a number");
    if (!text::all_digits(f[2])) {
      fail(ParseErrorKind::bad_origin, n, "o= session version " + quoted(f[2]) + " is not a number");
    }
    if (f[3] != "IN") fail(ParseErrorKind::bad_origin, n, "o= network type " + quoted(f[3]) + " is not IN");
    Origin o;
    if (f[4] == "IP4") {
      o.address_type = AddressType::ip4;
    } else if (f[4] == "IP6") {
      o.address_type = AddressType::ip6;
    } else {
      fail(ParseErrorKind::bad_origin, n, "o= address type " + quoted(f[4]) + " is neither IP4 nor IP6");
    }
    // The origin address only identifies the session; peers write anything there (host names, private
    // addresses, "localhost"), so it is kept as written.
    o.username = std::string(f[0]);
    o.session_id = std::string(f[1]);
    o.session_version = std::string(f[2]);
    o.address = std::string(f[5]);
    return o;
  }

  static ConnectionData connection(std::string_view value, std::size_t n) {
    std::string problem;
    auto c = parse_connection(value, &problem);
    if (!c) fail(ParseErrorKind::bad_connection, n, "c= " + quoted(value) + ": " + problem);
    return std::move(*c);
  }

  static Bandwidth bandwidth(std::string_view value, std::size_t n) {
    auto colon = value.find(':');
    if (colon == std::string_view::npos || !text::is_token(value.substr(0, colon))) {
      fail(ParseErrorKind::bad_bandwidth, n, "b= needs '<type>:<kbit/s>', got " + quoted(value));
    }
    auto kbps = text::parse_unsigned<std::uint64_t>(value.substr(colon + 1));
    if (!kbps)
      fail(ParseErrorKind::bad_bandwidth, n,
           "b= value " + quoted(value.substr(colon + 1)) + " is not a number");
    return Bandwidth{std::string(value.substr(0, colon)), *kbps};
  }

  static Timing timing(std::string_view value, std::size_t n) {
    auto f = text::split_fields(value);
    if (f.size() != 2) fail(ParseErrorKind::bad_timing, n, "t= needs '<start> <stop>', got " + quoted(value));
    auto start = text::parse_unsigned<std::uint64_t>(f[0]);
    auto stop = text::parse_unsigned<std::uint64_t>(f[1]);
    if (!start || !stop)
      fail(ParseErrorKind::bad_timing, n, "t= times in " + quoted(value) + " are not numbers");
    return Timing{*start, *stop, {}};
  }

  static Attribute attribute(std::string_view value, std::size_t n) {
    auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    if (!text::is_token(name))
      fail(ParseErrorKind::bad_attribute, n, "attribute name " + quoted(name) + " is not valid");
    Attribute a{std::string(name), std::nullopt};
    if (colon != std::string_view::npos) a.value = std::string(value.substr(colon + 1));
    // rtpmap decides what a payload type is; a broken one is not something to guess around (sofia-sip
    // rejects it too).
    if (a.name == "rtpmap" && !(a.value && parse_rtpmap(*a.value))) {
      fail(ParseErrorKind::bad_attribute, n,
           "a=rtpmap needs '<payload type> <encoding>/<clock rate>[/<parameters>]', got " +
               quoted(a.value.value_or("")));
    }
    return a;
  }

  void start_media(std::string_view value, std::size_t n) {
    if (description_.media.size() >= limits_.max_media) {
      fail(ParseErrorKind::too_large, n, "more than " + std::to_string(limits_.max_media) + " m= lines");
    }
    auto f = text::split_fields(value);
    if (f.size() < 3) {
      fail(ParseErrorKind::bad_media, n,
           "m= needs '<media> <port> <proto> <format>...', got " + quoted(value));
    }
    MediaDescription m;
    if (!text::is_token(f[0]))
      fail(ParseErrorKind::bad_media, n, "m= media type " + quoted(f[0]) + " is not valid");
    m.media = std::string(f[0]);

    std::string_view port = f[1];
    auto slash = port.find('/');
    auto number = text::parse_unsigned<std::uint16_t>(port.substr(0, slash));
    if (!number) {
      fail(ParseErrorKind::bad_port, n,
           "m= port " + quoted(port.substr(0, slash)) + " is not a port number (0-65535)");
    }
    m.port = *number;
    if (slash != std::string_view::npos) {
      auto count = text::parse_unsigned<std::uint32_t>(port.substr(slash + 1));
      if (!count || *count == 0) {
        fail(ParseErrorKind::bad_port, n,
             "m= port count " + quoted(port.substr(slash + 1)) + " is not a positive number");
      }
      m.port_count = *count;
    }

    for (char c : f[2]) {
      if (!text::is_token_char(c) && c != '/')
        fail(ParseErrorKind::bad_media, n, "m= protocol " + quoted(f[2]) + " is not valid");
    }
    m.proto = std::string(f[2]);

    if (f.size() - 3 > limits_.max_formats) {
      fail(ParseErrorKind::too_large, n,
           "more than " + std::to_string(limits_.max_formats) + " formats on one m= line");
    }
    for (std::size_t i = 3; i < f.size(); ++i) m.formats.emplace_back(f[i]);
    // RFC 4566 requires at least one format. A rejected stream (port 0) without one is tolerated: it carries
    // nothing either way.
    if (m.formats.empty() && m.port != 0)
      fail(ParseErrorKind::bad_media, n, "m=" + m.media + " lists no formats");
    if (m.is_rtp()) {
      for (std::size_t i = 0; i < m.formats.size(); ++i) {
        if (!m.payload_type(i)) {
          fail(ParseErrorKind::bad_format, n,
               "payload type " + quoted(m.formats[i]) + " is not a number 0-127");
        }
      }
    }
    description_.media.push_back(std::move(m));
    media_lines_.push_back(n);
  }

  const ParseLimits& limits_;
  SessionDescription description_;
  std::vector<std::size_t> media_lines_;
  bool seen_version_ = false;
  bool seen_origin_ = false;
  bool seen_session_name_ = false;
};

}  // namespace

std::string_view to_string(ParseErrorKind kind) {
  switch (kind) {
    case ParseErrorKind::too_large:
      return "too_large";
    case ParseErrorKind::invalid_character:
      return "invalid_character";
    case ParseErrorKind::bad_line:
      return "bad_line";
    case ParseErrorKind::unknown_type:
      return "unknown_type";
    case ParseErrorKind::misplaced_line:
      return "misplaced_line";
    case ParseErrorKind::duplicate_line:
      return "duplicate_line";
    case ParseErrorKind::missing_line:
      return "missing_line";
    case ParseErrorKind::bad_version:
      return "bad_version";
    case ParseErrorKind::bad_origin:
      return "bad_origin";
    case ParseErrorKind::bad_timing:
      return "bad_timing";
    case ParseErrorKind::bad_connection:
      return "bad_connection";
    case ParseErrorKind::missing_connection:
      return "missing_connection";
    case ParseErrorKind::bad_bandwidth:
      return "bad_bandwidth";
    case ParseErrorKind::bad_media:
      return "bad_media";
    case ParseErrorKind::bad_port:
      return "bad_port";
    case ParseErrorKind::bad_format:
      return "bad_format";
    case ParseErrorKind::bad_attribute:
      return "bad_attribute";
  }
  return "unknown";
}

std::string ParseError::to_string() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

ParseResult parse(std::string_view text, const ParseLimits& limits) {
  ParseResult result;
  try {
    result.description = Parser(limits).run(text);
  } catch (Failure& f) {
    result.error = std::move(f.error);
  } catch (const std::bad_alloc&) {
    result.error = ParseError{ParseErrorKind::too_large, 0, "out of memory while parsing"};
  } catch (const std::exception& e) {
    result.error = ParseError{ParseErrorKind::bad_line, 0, std::string("unexpected: ") + e.what()};
  }
  return result;
}

}  // namespace va::sdp
