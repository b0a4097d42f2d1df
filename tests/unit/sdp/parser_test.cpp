// Reading and writing SDP: what real peers send is accepted, what is broken is rejected with the line and
// the reason, and every accepted description writes back to an equal one.
#include "sdp/parser.hpp"

#include <gtest/gtest.h>

#include <random>

#include "sdp/serializer.hpp"
#include "sdp_corpus.hpp"

namespace va::sdp {
namespace {

using testing::corpus_file;

// A minimal valid head; tests append media sections to it.
constexpr std::string_view kHead =
    "v=0\r\n"
    "o=- 1 2 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n";

std::string with_head(std::string_view tail) {
  return std::string(kHead) + std::string(tail);
}

TEST(Parser, ReadsAnExolveOffer) {
  auto result = parse(corpus_file("exolve_pcma_dtmf.sdp"));
  ASSERT_TRUE(result.ok()) << result.error->to_string();
  const auto& d = result.description;
  EXPECT_EQ(d.origin.session_id, "3924151726");
  EXPECT_EQ(d.origin.address, "203.0.113.99");
  ASSERT_TRUE(d.connection);
  EXPECT_EQ(d.connection->address, "203.0.113.99");
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 31442);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "101"}));
  EXPECT_EQ(m.format(8)->encoding_name, "PCMA");
  EXPECT_EQ(m.format(101)->encoding_name, "telephone-event");
  EXPECT_EQ(m.fmtp("101"), "0-15");
  EXPECT_EQ(m.ptime(), 20u);
  EXPECT_EQ(d.direction_of(m), Direction::sendrecv);
}

TEST(Parser, ReadsEveryLineTypeOfRfc4566) {
  auto result = parse(corpus_file("rfc4566_example_multicast.sdp"));
  ASSERT_TRUE(result.ok()) << result.error->to_string();
  const auto& d = result.description;
  EXPECT_EQ(d.session_name, "SDP Seminar");
  EXPECT_EQ(d.information, "A Seminar on the session description protocol");
  EXPECT_EQ(d.uri, "http://www.example.com/seminars/sdp.pdf");
  EXPECT_EQ(d.emails, std::vector<std::string>{"j.doe@example.com (Jane Doe)"});
  EXPECT_EQ(d.connection->ttl, 127);
  ASSERT_EQ(d.timings.size(), 1u);
  EXPECT_EQ(d.timings[0].start, 2873397496u);
  EXPECT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.direction_of(d.media[1]), Direction::recvonly);  // session-level a=recvonly
  EXPECT_EQ(d.media[1].format(99)->encoding_name, "h263-1998");

  auto all = parse(with_head(
      "r=7d 1h 0 25h\r\nz=2882844526 -1h 2898848070 0\r\nk=clear:secret\r\nb=CT:128\r\np=+1 617 555-6011\r\n"
      "m=audio 4000/2 RTP/AVP 0\r\ni=first stream\r\nc=IN IP4 192.0.2.2\r\nc=IN IP4 192.0.2.3\r\n"
      "b=AS:64\r\nk=prompt\r\n"));
  ASSERT_TRUE(all.ok()) << all.error->to_string();
  const auto& e = all.description;
  EXPECT_EQ(e.timings[0].repeats, std::vector<std::string>{"7d 1h 0 25h"});
  EXPECT_EQ(e.time_zones, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(e.key, "clear:secret");
  EXPECT_EQ(e.bandwidths, (std::vector<Bandwidth>{{"CT", 128}}));
  EXPECT_EQ(e.media[0].port_count, 2u);
  EXPECT_EQ(e.media[0].title, "first stream");
  EXPECT_EQ(e.media[0].connections.size(), 2u);
  EXPECT_EQ(e.connection_for(e.media[0])->address, "192.0.2.2");
  EXPECT_EQ(e.media[0].key, "prompt");
}

TEST(Parser, AcceptsCrlfLfAndCrLineEnds) {
  std::string crlf = with_head("m=audio 4000 RTP/AVP 0\r\n");
  std::string lf = crlf;
  std::erase(lf, '\r');
  std::string cr = crlf;
  std::erase(cr, '\n');
  auto a = parse(crlf);
  ASSERT_TRUE(a.ok());
  for (const auto& text : {lf, cr, lf.substr(0, lf.size() - 1)}) {
    auto b = parse(text);
    ASSERT_TRUE(b.ok()) << b.error->to_string();
    EXPECT_EQ(a.description, b.description);
  }
}

TEST(Parser, ToleratesWhitespaceBlankLinesAndSessionLineOrder) {
  auto odd = parse(corpus_file("odd_lf_tabs_blank_lines.sdp"));
  ASSERT_TRUE(odd.ok()) << odd.error->to_string();
  EXPECT_EQ(odd.description.session_name, "odd\tbut valid");
  EXPECT_EQ(odd.description.media[0].formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(odd.description.media[0].fmtp("101"), "0-15");

  auto reordered = parse(
      "v=0 \r\n t=0 0\r\ns=-\r\na=tool:x\r\nc=IN IP4 192.0.2.1\r\no=- 1 1 IN IP4 192.0.2.1\r\n"
      "m=audio 4000 RTP/AVP 0\r\n");
  ASSERT_TRUE(reordered.ok()) << reordered.error->to_string();

  auto empty_name = parse(corpus_file("odd_empty_session_name_bandwidth.sdp"));
  ASSERT_TRUE(empty_name.ok());
  EXPECT_EQ(empty_name.description.session_name, "");
}

TEST(Parser, KeepsUnknownAttributesInOrder) {
  auto result =
      parse(with_head("a=x-session:1\r\nm=audio 4000 RTP/AVP 0\r\na=x-b\r\na=rtpmap:0 PCMU/8000\r\n"
                      "a=x-a:\r\na=label:1\r\n"));
  ASSERT_TRUE(result.ok());
  const auto& items = result.description.media[0].attributes.items;
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0], (Attribute{"x-b", std::nullopt}));
  EXPECT_EQ(items[1].name, "rtpmap");
  EXPECT_EQ(items[2], (Attribute{"x-a", ""}));  // "a=x-a:" keeps its empty value
  EXPECT_EQ(items[3], (Attribute{"label", "1"}));
  EXPECT_EQ(result.description.attributes.items[0], (Attribute{"x-session", "1"}));
}

struct BadCase {
  std::string text;
  ParseErrorKind kind;
  std::size_t line;
  std::string message_part;
};

void expect_error(const BadCase& c) {
  auto result = parse(c.text);
  ASSERT_FALSE(result.ok()) << c.text;
  EXPECT_EQ(result.error->kind, c.kind) << c.text << "\n" << result.error->to_string();
  EXPECT_EQ(result.error->line, c.line) << c.text << "\n" << result.error->to_string();
  EXPECT_NE(result.error->to_string().find(c.message_part), std::string::npos)
      << result.error->to_string() << " lacks " << c.message_part;
}

TEST(Parser, RejectsMissingRequiredLinesNamingWhere) {
  for (const auto& c : std::vector<BadCase>{
           {"", ParseErrorKind::missing_line, 1, "no v= line"},
           {"\r\n\r\n", ParseErrorKind::missing_line, 3, "no v= line"},
           {"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", ParseErrorKind::missing_line, 1,
            "expected v=0 as the first line"},
           {"v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", ParseErrorKind::missing_line, 4,
            "line 4: no o= line before the first m= line"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
            ParseErrorKind::missing_line, 5, "no s= line"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
            ParseErrorKind::missing_line, 5, "no t= line"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", ParseErrorKind::missing_line, 4,
            "line 4: no t= line"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
            ParseErrorKind::missing_connection, 5, "has no c= line"},
           {"v=1\r\n", ParseErrorKind::bad_version, 1, "'1' is not 0"},
       }) {
    expect_error(c);
  }
}

TEST(Parser, RejectsBadMediaLines) {
  for (const auto& c : std::vector<BadCase>{
           {with_head("m=audio 70000 RTP/AVP 0\r\n"), ParseErrorKind::bad_port, 6,
            "line 6: m= port '70000' is not a port number (0-65535)"},
           {with_head("m=audio -1 RTP/AVP 0\r\n"), ParseErrorKind::bad_port, 6, "'-1'"},
           {with_head("m=audio 4x00 RTP/AVP 0\r\n"), ParseErrorKind::bad_port, 6, "'4x00'"},
           {with_head("m=audio 4000/0 RTP/AVP 0\r\n"), ParseErrorKind::bad_port, 6, "port count '0'"},
           {with_head("m=audio 4000/ RTP/AVP 0\r\n"), ParseErrorKind::bad_port, 6, "port count ''"},
           {with_head("m=audio 4000 RTP/AVP\r\n"), ParseErrorKind::bad_media, 6, "lists no formats"},
           {with_head("m=audio 4000\r\n"), ParseErrorKind::bad_media, 6, "m= needs"},
           {with_head("m=\r\n"), ParseErrorKind::bad_media, 6, "m= needs"},
           {with_head("m=audio 4000 RTP/AVP 0 128\r\n"), ParseErrorKind::bad_format, 6, "'128'"},
           {with_head("m=audio 4000 RTP/SAVP 0 pcmu\r\n"), ParseErrorKind::bad_format, 6, "'pcmu'"},
           {with_head("m=audio 4000 UDP/TLS/RTP/SAVPF x\r\n"), ParseErrorKind::bad_format, 6, "'x'"},
           {with_head("m=audio 4000 RTP/AVP 0\r\na=rtpmap:96 opus\r\n"), ParseErrorKind::bad_attribute, 7,
            "a=rtpmap needs"},
           {with_head("m=audio 4000 RTP/AVP 0\r\na=\r\n"), ParseErrorKind::bad_attribute, 7,
            "attribute name"},
           {with_head("m=audio 4000 RTP/AVP 0\r\na=:x\r\n"), ParseErrorKind::bad_attribute, 7,
            "attribute name"},
       }) {
    expect_error(c);
  }
  // Port 0 may come without formats, and non-RTP formats are tokens.
  EXPECT_TRUE(parse(with_head("m=video 0 RTP/AVP\r\n")).ok());
  EXPECT_TRUE(parse(with_head("m=image 4000 udptl t38\r\n")).ok());
}

TEST(Parser, RejectsBadSessionLines) {
  for (const auto& c : std::vector<BadCase>{
           {"v=0\r\no=- 1 IN IP4 192.0.2.1\r\n", ParseErrorKind::bad_origin, 2, "o= needs"},
           {"v=0\r\no=- x 1 IN IP4 192.0.2.1\r\n", ParseErrorKind::bad_origin, 2, "session id 'x'"},
           {"v=0\r\no=- 1 1 IN IP9 192.0.2.1\r\n", ParseErrorKind::bad_origin, 2, "'IP9'"},
           {with_head("c=IN IP4 192.0.2.2\r\n"), ParseErrorKind::duplicate_line, 6,
            "second session-level c="},
           {with_head("o=- 1 1 IN IP4 192.0.2.1\r\n"), ParseErrorKind::duplicate_line, 6, "second o="},
           {with_head("v=0\r\n"), ParseErrorKind::duplicate_line, 6, "second v="},
           {with_head("s=again\r\n"), ParseErrorKind::duplicate_line, 6, "second s="},
           {with_head("t=0\r\n"), ParseErrorKind::bad_timing, 6, "t= needs"},
           {with_head("t=now later\r\n"), ParseErrorKind::bad_timing, 6, "not numbers"},
           {"v=0\r\nr=7d 1h 0\r\n", ParseErrorKind::misplaced_line, 2, "r= before any t="},
           {with_head("b=AS\r\n"), ParseErrorKind::bad_bandwidth, 6, "b= needs"},
           {with_head("b=AS:x\r\n"), ParseErrorKind::bad_bandwidth, 6, "'x' is not a number"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 999.0.0.1\r\n",
            ParseErrorKind::bad_connection, 4, "'999.0.0.1' is not an IP4 address"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 ::1\r\n", ParseErrorKind::bad_connection, 4,
            "'::1' is not an IP4 address"},
           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP6 2001:db8:::1\r\n",
            ParseErrorKind::bad_connection, 4, "not an IP6 address"},
           {with_head("x=extension\r\n"), ParseErrorKind::unknown_type, 6, "unknown line type 'x='"},
           {with_head("A=upper\r\n"), ParseErrorKind::bad_line, 6, "is not a '<type>=<value>' line"},
           {with_head("o = spaced\r\n"), ParseErrorKind::bad_line, 6, "is not a '<type>=<value>' line"},
           {with_head("garbage\r\n"), ParseErrorKind::bad_line, 6, "'garbage'"},
       }) {
    expect_error(c);
  }
}

TEST(Parser, RejectsSessionLinesInsideMediaDescriptions) {
  expect_error({with_head("m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n"), ParseErrorKind::misplaced_line, 7,
                "t= is a session-level line"});
  expect_error(
      {with_head("m=audio 4000 RTP/AVP 0\r\nu=http://x\r\n"), ParseErrorKind::misplaced_line, 7, "u="});
  expect_error({with_head("m=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n"), ParseErrorKind::duplicate_line, 8,
                "media-level i="});
}

TEST(Parser, RejectsControlCharacters) {
  std::string text = with_head("m=audio 4000 RTP/AVP 0\r\n");
  text.insert(text.find("s=-") + 2, std::string(1, '\0'));
  expect_error({text, ParseErrorKind::invalid_character, 3, "control character 0"});
  expect_error({with_head("a=x\x01y\r\n"), ParseErrorKind::invalid_character, 6, "control character 1"});
}

TEST(Parser, EnforcesLimits) {
  ParseLimits limits;
  limits.max_bytes = 100;
  auto big = parse(std::string(101, 'x'), limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error->kind, ParseErrorKind::too_large);
  EXPECT_EQ(big.error->to_string(), "description is 101 bytes, more than the limit of 100");

  ParseLimits few_lines;
  few_lines.max_lines = 5;
  auto r = parse(with_head("m=audio 4000 RTP/AVP 0\r\n"), few_lines);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->line, 6u);

  std::string many_media = with_head("");
  for (int i = 0; i < 33; ++i) many_media += "m=audio " + std::to_string(4000 + 2 * i) + " RTP/AVP 0\r\n";
  expect_error({many_media, ParseErrorKind::too_large, 38, "more than 32 m= lines"});

  expect_error(
      {with_head("a=x:" + std::string(5000, 'y') + "\r\n"), ParseErrorKind::too_large, 6, "5004 bytes"});

  std::string formats = "m=audio 4000 RTP/AVP";
  for (int i = 0; i < 129; ++i) formats += " 0";
  expect_error({with_head(formats + "\r\n"), ParseErrorKind::too_large, 6, "more than 128 formats"});
}

TEST(Parser, NeverThrowsOnGarbage) {
  std::mt19937 random(20240611);
  std::string base = corpus_file("livekit_srtp_offer.sdp");
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      auto at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          text.erase(at, 1 + random() % 10);
          break;
        default:
          text.insert(at, 1, static_cast<char>(" =:/\r\n0a"[random() % 8]));
      }
      if (text.empty()) text = "v";
    }
    EXPECT_NO_THROW({
      auto result = parse(text);
      if (result.ok()) (void)serialize(result.description);
    });
  }
}

TEST(Serializer, WritesCanonicalCrlfSdpInRfc4566Order) {
  SessionDescription d;
  d.origin = Origin{"-", "42", "7", AddressType::ip4, "192.0.2.10"};
  d.session_name = "voice-agent";
  d.connection = ConnectionData{AddressType::ip4, "192.0.2.10", std::nullopt, std::nullopt};
  d.timings.push_back(Timing{});
  d.attributes.add("tool", "test");
  MediaDescription m;
  m.media = "audio";
  m.port = 20000;
  m.proto = "RTP/AVP";
  m.formats = {"8", "101"};
  m.bandwidths.push_back({"AS", 80});
  m.attributes.add("rtpmap", "8 PCMA/8000");
  m.attributes.add("rtpmap", "101 telephone-event/8000");
  m.attributes.add("fmtp", "101 0-15");
  m.attributes.add("sendrecv");
  d.media.push_back(m);
  EXPECT_EQ(serialize(d),
            "v=0\r\n"
            "o=- 42 7 IN IP4 192.0.2.10\r\n"
            "s=voice-agent\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "a=tool:test\r\n"
            "m=audio 20000 RTP/AVP 8 101\r\n"
            "b=AS:80\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=sendrecv\r\n");
}

TEST(Serializer, NormalisesOddButValidInput) {
  auto result = parse(corpus_file("odd_lf_tabs_blank_lines.sdp"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(serialize(result.description),
            "v=0\r\n"
            "o=- 7001 7002 IN IP4 192.0.2.70\r\n"
            "s=odd\tbut valid\r\n"
            "c=IN IP4 192.0.2.70\r\n"
            "t=0 0\r\n"
            "m=audio 5004 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n");
}

TEST(Serializer, EveryCorpusBodyRoundTrips) {
  auto files = testing::valid_corpus();
  ASSERT_GE(files.size(), 20u);
  for (const auto& path : files) {
    auto first = parse(testing::read_file(path));
    ASSERT_TRUE(first.ok()) << path.filename() << ": " << first.error->to_string();
    auto text = serialize(first.description);
    auto second = parse(text);
    ASSERT_TRUE(second.ok()) << path.filename() << ": " << second.error->to_string();
    EXPECT_EQ(first.description, second.description) << path.filename();
    EXPECT_EQ(serialize(second.description), text) << path.filename();
  }
}

TEST(Parser, RejectsEveryInvalidCorpusBody) {
  auto files = testing::invalid_corpus();
  ASSERT_GE(files.size(), 10u);
  for (const auto& path : files) {
    auto result = parse(testing::read_file(path));
    EXPECT_FALSE(result.ok()) << path.filename();
    if (!result.ok()) {
      EXPECT_GT(result.error->line, 0u) << path.filename();
    }
  }
}

}  // namespace
}  // namespace va::sdp
