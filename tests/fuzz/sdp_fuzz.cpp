// Fuzzes SDP parsing and offer/answer with bodies as any peer could send them. Any crash, sanitizer report,
// exception escaping or broken invariant is a bug:
// - an accepted description writes back to text that parses to an equal description and writes identically;
// - the typed attribute readers never fail on what the parser accepted, and a=crypto lines round-trip;
// - answering it (as an offer) and applying it (as an answer to our offer) never crash, and an answer we
//   produce is itself valid SDP.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sdp/crypto_attribute.hpp"
#include "sdp/local_session.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/serializer.hpp"

namespace {

using namespace va::sdp;

MediaCapabilities capabilities(va::config::SrtpMode srtp) {
  MediaCapabilities caps;
  caps.codecs = {va::config::Codec::g722, va::config::Codec::pcma, va::config::Codec::pcmu,
                 va::config::Codec::g729};
  caps.ipv4_address = "192.0.2.10";
  caps.ipv6_address = "2001:db8::10";
  caps.port = 20000;
  caps.srtp = srtp;
  caps.srtp_keys = {SrtpKey{"AES_CM_128_HMAC_SHA1_80", std::vector<std::uint8_t>(30, 0x5a)},
                    SrtpKey{"AES_CM_128_HMAC_SHA1_32", std::vector<std::uint8_t>(30, 0xa5)}};
  caps.offer_wideband_telephone_event = true;
  caps.rtcp_mux = true;
  return caps;
}

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void read_attributes(const SessionDescription& d) {
  for (const auto& m : d.media) {
    (void)d.connection_for(m);
    (void)d.direction_of(m);
    for (std::size_t i = 0; i < m.formats.size(); ++i) {
      if (auto pt = m.payload_type(i)) {
        if (auto f = m.format(*pt)) (void)f->channels();
      }
      (void)m.fmtp(m.formats[i]);
    }
    (void)m.ptime();
    (void)m.maxptime();
    (void)m.rtcp();
    for (const auto* a : m.attributes.all("crypto")) {
      if (!a->value) continue;
      if (auto crypto = parse_crypto(*a->value)) check(parse_crypto(format_crypto(*crypto)) == crypto);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = parse(text);
  if (!result.ok()) {
    (void)result.error->to_string();
    return 0;
  }
  const auto& description = result.description;

  auto written = serialize(description);
  auto again = parse(written);
  check(again.ok());
  check(again.description == description);
  check(serialize(again.description) == written);

  read_attributes(description);

  for (auto mode :
       {va::config::SrtpMode::off, va::config::SrtpMode::optional, va::config::SrtpMode::required}) {
    auto caps = capabilities(mode);
    LocalSession session(1);
    auto answer = create_answer(description, caps, session);
    if (answer.ok()) {
      auto reread = parse(serialize(answer.description));
      check(reread.ok());
      check(reread.description == answer.description);
      check(answer.description.media.size() == description.media.size());
    } else {
      (void)answer.rejection->to_string();
    }

    LocalSession ours(2);
    auto offer = create_offer(caps, ours);
    auto processed = process_answer(offer, description, caps);
    if (!processed.ok()) (void)processed.error->to_string();
  }
  return 0;
}
