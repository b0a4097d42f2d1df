// Differential test: our SDP parser against sofia-sip's sdp_parse() (the parser FreeSWITCH uses), as an
// independent oracle. sofia-sip is linked into this test only.
//
// On the committed corpus (tests/data/sdp) both parsers must accept the valid bodies and reject the invalid
// ones, and for accepted bodies agree on the media count, ports, protocols, formats, rtpmaps and fmtps,
// connection addresses and directions. Where we deliberately differ, kDeliberateDifferences below says so and
// why; the test checks both parsers still behave as written there.
//
// Known representation differences that are not disagreements:
// - sofia reports a rejected stream (port 0) as inactive; we keep the stream's written direction (a
//   rejected stream has none that matters), so directions are compared for streams with a port only.
// - sofia fills in the RFC 3551 name of a static payload type without a=rtpmap; so does our
//   MediaDescription::format(). For a dynamic type without a=rtpmap sofia has an empty name; we have none.
// - sofia keeps trailing whitespace in an attribute value ("a=fmtp:101 0-15<TAB>"); we trim every line, so
//   fmtp values are compared trimmed.
#include <gtest/gtest.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <memory>
#include <optional>

#include "sdp/local_session.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/serializer.hpp"
#include "sdp_corpus.hpp"

namespace va::sdp {
namespace {

struct HomeDeleter {
  void operator()(su_home_t* home) const { su_home_unref(home); }
};
struct ParserDeleter {
  void operator()(sdp_parser_t* parser) const { sdp_parser_free(parser); }
};

// One sofia-sip parse, owning its memory home.
class SofiaParse {
 public:
  explicit SofiaParse(const std::string& text, int flags = 0)
      : home_(static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)))),
        parser_(sdp_parse(home_.get(), text.data(), static_cast<issize_t>(text.size()), flags)) {}

  const sdp_session_t* session() const { return parser_ ? sdp_session(parser_.get()) : nullptr; }
  std::string error() const {
    const char* e = parser_ ? sdp_parsing_error(parser_.get()) : "no parser";
    return e ? e : "";
  }

 private:
  std::unique_ptr<su_home_t, HomeDeleter> home_;
  std::unique_ptr<sdp_parser_t, ParserDeleter> parser_;
};

std::string text_or_empty(const char* s) {
  return s ? s : "";
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool sofia_has_rtpmaps(const sdp_media_t* m) {
  return m->m_proto == sdp_proto_rtp || m->m_proto == sdp_proto_srtp;
}

void compare(const std::string& name, const SessionDescription& ours, const sdp_session_t& theirs) {
  SCOPED_TRACE(name);
  std::size_t count = 0;
  for (const auto* m = theirs.sdp_media; m; m = m->m_next) ++count;
  ASSERT_EQ(ours.media.size(), count);

  ASSERT_NE(theirs.sdp_origin, nullptr);
  EXPECT_EQ(ours.origin.session_id, std::to_string(theirs.sdp_origin->o_id));
  EXPECT_EQ(ours.origin.session_version, std::to_string(theirs.sdp_origin->o_version));
  if (theirs.sdp_connection) {
    ASSERT_TRUE(ours.connection);
    EXPECT_EQ(ours.connection->address, text_or_empty(theirs.sdp_connection->c_address));
  } else {
    EXPECT_FALSE(ours.connection);
  }

  std::size_t index = 0;
  for (const auto* m = theirs.sdp_media; m; m = m->m_next, ++index) {
    SCOPED_TRACE("m= line " + std::to_string(index));
    const auto& mine = ours.media[index];
    EXPECT_EQ(mine.media, text_or_empty(m->m_type_name));
    EXPECT_EQ(mine.port, m->m_port);
    EXPECT_EQ(mine.proto, text_or_empty(m->m_proto_name));
    EXPECT_EQ(mine.port_count.value_or(0), m->m_number_of_ports);

    if (sofia_has_rtpmaps(m)) {
      std::vector<std::string> pts;
      for (const auto* rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
        pts.push_back(std::to_string(rm->rm_pt));
        auto format = mine.format(static_cast<std::uint8_t>(rm->rm_pt));
        std::string encoding = text_or_empty(rm->rm_encoding);
        if (!format) {
          EXPECT_TRUE(encoding.empty()) << "pt " << rm->rm_pt << " sofia: " << encoding;
          continue;
        }
        EXPECT_TRUE(equals_ignoring_case(format->encoding_name, encoding))
            << "pt " << rm->rm_pt << ": ours " << format->encoding_name << ", sofia " << encoding;
        EXPECT_EQ(format->clock_rate, rm->rm_rate) << "pt " << rm->rm_pt;
        if (mine.rtpmap(static_cast<std::uint8_t>(rm->rm_pt))) {
          EXPECT_EQ(format->encoding_parameters, text_or_empty(rm->rm_params)) << "pt " << rm->rm_pt;
        }
        auto fmtp = mine.fmtp(std::to_string(rm->rm_pt));
        EXPECT_EQ(fmtp.value_or(""), trimmed(text_or_empty(rm->rm_fmtp))) << "pt " << rm->rm_pt;
      }
      EXPECT_EQ(mine.formats, pts);
    } else {
      std::vector<std::string> formats;
      for (const auto* l = m->m_format; l; l = l->l_next) formats.push_back(text_or_empty(l->l_text));
      EXPECT_EQ(mine.formats, formats);
    }

    const auto* connection = ours.connection_for(mine);
    const auto* their_connection = sdp_media_connections(const_cast<sdp_media_t*>(m));
    if (their_connection) {
      ASSERT_NE(connection, nullptr);
      EXPECT_EQ(connection->address, text_or_empty(their_connection->c_address));
      EXPECT_EQ(connection->address_type == AddressType::ip6, their_connection->c_addrtype == sdp_addr_ip6);
    } else {
      EXPECT_EQ(connection, nullptr);
    }
    if (mine.port != 0) {
      EXPECT_EQ(static_cast<unsigned>(ours.direction_of(mine)), static_cast<unsigned>(m->m_mode));
    } else {
      EXPECT_TRUE(m->m_rejected);
    }
  }
}

TEST(SofiaDifferential, BothAcceptTheValidCorpusAndAgreeOnIt) {
  auto files = testing::valid_corpus();
  ASSERT_GE(files.size(), 20u);
  for (const auto& path : files) {
    auto text = testing::read_file(path);
    auto ours = parse(text);
    SofiaParse theirs(text);
    ASSERT_TRUE(ours.ok()) << path.filename() << ": " << ours.error->to_string();
    ASSERT_NE(theirs.session(), nullptr) << path.filename() << ": sofia: " << theirs.error();
    compare(path.filename().string(), ours.description, *theirs.session());
  }
}

TEST(SofiaDifferential, BothRejectTheInvalidCorpus) {
  auto files = testing::invalid_corpus();
  ASSERT_GE(files.size(), 10u);
  for (const auto& path : files) {
    auto text = testing::read_file(path);
    auto ours = parse(text);
    SofiaParse theirs(text);
    EXPECT_FALSE(ours.ok()) << path.filename();
    EXPECT_EQ(theirs.session(), nullptr) << path.filename();
  }
}

struct Difference {
  const char* what;
  std::string text;
  bool sofia_accepts;
  bool we_accept;
  const char* why;
};

const std::string kHead = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

std::vector<Difference> deliberate_differences() {
  return {
      {"port above 65535", kHead + "m=audio 70000 RTP/AVP 0\r\n", true, false,
       "a port that does not exist cannot be answered; sofia stores it in an unsigned long unchecked"},
      {"negative port", kHead + "m=audio -1 RTP/AVP 0\r\n", true, false, "sofia wraps it to ULONG_MAX"},
      {"no s= line",
       "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", true,
       false, "RFC 4566 requires s=; our brief requires rejecting a description without v=, o=, s= or t="},
      {"no t= line",
       "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n", true,
       false, "as for s="},
      {"t= after m=",
       "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\nt=0 0\r\n",
       true, false,
       "session-level lines after the first m= belong to no stream; RFC 4566 §5 fixes the order"},
      {"u= inside a media description", kHead + "m=audio 4000 RTP/AVP 0\r\nu=http://example.com\r\n", true,
       false, "as for t= after m="},
      {"second session-level c=", kHead + "c=IN IP4 192.0.2.2\r\nm=audio 4000 RTP/AVP 0\r\n", true, false,
       "which address media goes to must not depend on which of two lines a parser keeps"},
      {"invalid IPv4 literal", kHead + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 999.2.3.4\r\n", true, false,
       "sofia does not look at addresses; sending RTP to an address that does not parse fails later and "
       "worse"},
      {"truncated IPv4 literal", kHead + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2\r\n", true, false,
       "as above"},
      {"IPv6 literal as IP4", kHead + "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 ::1\r\n", true, false,
       "the address type decides the socket family"},
      {"invalid IPv6 literal", kHead + "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8:::zz\r\n", true, false,
       "as above"},
      {"m= without formats", kHead + "m=audio 4000 RTP/AVP\r\n", true, false,
       "RFC 4566 requires at least one format; an active stream without one cannot be answered (a rejected "
       "stream, port 0, without formats is accepted by both)"},
      {"payload type not a number on RTP/AVPF", kHead + "m=audio 4000 RTP/AVPF abc\r\n", true, false,
       "sofia checks formats only for RTP/AVP and RTP/SAVP; every RTP profile carries payload types"},
      {"rtpmap with a non-numeric payload type", kHead + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n",
       true, false, "sofia silently mis-reads it as payload type 96"},
      {"NUL byte inside a line",
       kHead.substr(0, kHead.size() - 2) + std::string(1, '\0') + "\r\nm=audio 4000 RTP/AVP 0\r\n", true,
       false, "sofia stops reading at the NUL and accepts what came before, silently dropping the rest"},
      {"trailing space after v=0",
       "v=0 \r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n", false, true,
       "we trim trailing whitespace on every line (sofia does on all but v=)"},
  };
}

TEST(SofiaDifferential, DeliberateDifferencesAreAsDocumented) {
  for (const auto& d : deliberate_differences()) {
    SofiaParse theirs(d.text);
    EXPECT_EQ(theirs.session() != nullptr, d.sofia_accepts) << d.what << ": " << theirs.error();
    auto ours = parse(d.text);
    EXPECT_EQ(ours.ok(), d.we_accept) << d.what << (ours.error ? ": " + ours.error->to_string() : "");
  }
}

TEST(SofiaDifferential, EverythingWeWriteIsStrictlyValidForSofia) {
  MediaCapabilities caps;
  caps.codecs = {config::Codec::g722, config::Codec::pcma, config::Codec::pcmu, config::Codec::g729};
  caps.ipv4_address = "192.0.2.10";
  caps.ipv6_address = "2001:db8::10";
  caps.port = 20000;
  caps.srtp = config::SrtpMode::optional;
  caps.srtp_keys = {SrtpKey{"AES_CM_128_HMAC_SHA1_80", std::vector<std::uint8_t>(30, 7)}};
  caps.offer_wideband_telephone_event = true;

  std::vector<std::pair<std::string, std::string>> written;
  LocalSession offers(1);
  written.emplace_back("our offer", serialize(create_offer(caps, offers)));
  for (const auto& path : testing::valid_corpus()) {
    auto offer = parse(testing::read_file(path));
    ASSERT_TRUE(offer.ok());
    LocalSession session(2);
    auto answer = create_answer(offer.description, caps, session);
    if (answer.ok())
      written.emplace_back("answer to " + path.filename().string(), serialize(answer.description));
  }
  ASSERT_GE(written.size(), 20u);
  for (const auto& [what, text] : written) {
    SofiaParse theirs(text, sdp_f_strict);
    ASSERT_NE(theirs.session(), nullptr) << what << ": " << theirs.error() << "\n" << text;
    auto ours = parse(text);
    ASSERT_TRUE(ours.ok()) << what;
    compare(what, ours.description, *theirs.session());
  }
}

}  // namespace
}  // namespace va::sdp
