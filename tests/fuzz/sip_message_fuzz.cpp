// Fuzzes the SIP message layer as the transports drive it: the datagram parser, the stream framer (the input
// cut in two at a point derived from the data, which must not change what comes out), the typed accessors,
// the 400 builder for rejected requests, and the serializer (an accepted message must print, parse again and
// print identically). Any crash, sanitizer report or broken invariant is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/bad_request.hpp"
#include "sip/digest_challenge.hpp"
#include "sip/parser.hpp"
#include "sip/stream_framer.hpp"
#include "sip/ua/request_bodies.hpp"
#include "sip/ua/session_timer.hpp"

namespace {

using namespace va::sip;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Touches every typed accessor so their parsers run on whatever the message carries.
void exercise(const Message& m) {
  (void)check_mandatory_headers(m);
  (void)m.call_id();
  (void)m.cseq();
  (void)m.from();
  (void)m.to();
  (void)m.vias();
  (void)m.top_via();
  (void)m.contacts();
  (void)m.routes();
  (void)m.record_routes();
  (void)m.p_asserted_identities();
  (void)m.refer_to();
  (void)m.max_forwards();
  (void)m.content_length();
  (void)m.content_type();
  (void)m.expires();
  (void)m.tokens(HeaderId::supported);
  (void)digest_challenges(m);
  (void)session_expires_of(m);
  (void)min_se_of(m);
  if (auto relay = parse_dtmf_relay(m.body())) check(relay->duration.count() >= 0);
  if (auto status = sipfrag_status(m.body())) check(*status >= 100 && *status <= 699);
  for (const auto& h : m.headers()) {
    if (h.id == HeaderId::authorization || h.id == HeaderId::proxy_authorization)
      (void)parse_digest_credentials(h.value);
  }
}

// Serialized output may be larger than the input (compact names expanded, escapes, Content-Length added), so
// the reparse gets room beyond the default limits.
ParseLimits roomy() {
  ParseLimits l;
  l.max_header_bytes *= 8;
  l.max_headers *= 2;
  l.max_body_bytes *= 2;
  return l;
}

void round_trip(const Message& m) {
  const std::string once = m.to_string();
  auto again = parse_message(once, Framing::datagram, roomy());
  check(again.ok());
  check(again->to_string() == once);
}

void answer_if_possible(std::string_view raw, const ParseError& error) {
  auto response = make_bad_request_response(raw, error);
  if (!response) return;
  check(response->is_response());
  check(parse_message(response->to_string(), Framing::datagram, roomy()).ok());
}

// Messages and errors the framer produced, as text. Keep-alives are left out: a CRLFCRLF ping cut after its
// first CRLF is reported as two pongs by design (stream_framer.hpp).
std::vector<std::string> frame(std::string_view data, std::size_t cut) {
  StreamFramer framer;
  std::vector<std::string> out;
  auto drain = [&out, &framer]() {
    while (true) {
      StreamEvent e = framer.next();
      if (e.kind == StreamEventKind::need_more) return;
      if (e.kind == StreamEventKind::message) {
        out.push_back("m:" + e.message->to_string());
        exercise(*e.message);
      } else if (e.kind == StreamEventKind::error) {
        out.push_back("e:" + std::string(to_string(e.error->code)) + ":" + e.error->header);
        if (e.fatal) return;
        answer_if_possible(e.raw, *e.error);
      }
    }
  };
  framer.feed(data.substr(0, cut));
  drain();
  if (!framer.failed()) {
    framer.feed(data.substr(cut));
    drain();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);

  auto parsed = parse_message(data);
  if (parsed) {
    exercise(*parsed);
    round_trip(*parsed);
  } else {
    answer_if_possible(data, parsed.error());
  }

  std::size_t cut = size == 0 ? 0 : (static_cast<std::size_t>(bytes[0]) * 131 + size / 3) % (size + 1);
  check(frame(data, cut) == frame(data, size));
  return 0;
}
