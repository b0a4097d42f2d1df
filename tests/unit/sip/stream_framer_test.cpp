#include "sip/stream_framer.hpp"

#include <gtest/gtest.h>

#include <random>

#include "sip_test_text.hpp"

namespace va::sip {
namespace {
using test::crlf;

std::string request(int cseq, std::string_view body = {}) {
  std::string head = crlf(R"(INFO sip:agent@192.0.2.5:5060;transport=tcp SIP/2.0
Via: SIP/2.0/TCP 192.0.2.9:40123;branch=z9hG4bK-tcp-)") +
                     std::to_string(cseq) + crlf(R"(
From: <sip:caller@example.com>;tag=t1
To: <sip:agent@example.net>;tag=t2
Call-ID: stream-1
CSeq: )") + std::to_string(cseq) +
                     crlf(R"( INFO
Content-Type: application/dtmf-relay
Content-Length: )") + std::to_string(body.size()) +
                     "\r\n\r\n";
  return head + std::string(body);
}

// Every event except need_more, as comparable text.
std::vector<std::string> drain(StreamFramer& framer) {
  std::vector<std::string> out;
  while (true) {
    StreamEvent e = framer.next();
    switch (e.kind) {
      case StreamEventKind::need_more:
        return out;
      case StreamEventKind::message:
        out.push_back("msg:" + e.message->to_string());
        break;
      case StreamEventKind::keepalive_ping:
        out.push_back("ping");
        break;
      case StreamEventKind::keepalive_pong:
        out.push_back("pong");
        break;
      case StreamEventKind::error:
        out.push_back(std::string(e.fatal ? "fatal:" : "error:") + std::string(to_string(e.error->code)));
        if (e.fatal) return out;
        break;
    }
  }
}

std::vector<std::string> feed_in_chunks(std::string_view stream, const std::vector<std::size_t>& cuts) {
  StreamFramer framer;
  std::vector<std::string> events;
  std::size_t pos = 0;
  for (std::size_t cut : cuts) {
    framer.feed(stream.substr(pos, cut - pos));
    for (auto& e : drain(framer)) events.push_back(std::move(e));
    pos = cut;
  }
  framer.feed(stream.substr(pos));
  for (auto& e : drain(framer)) events.push_back(std::move(e));
  EXPECT_EQ(framer.buffered(), 0u);
  return events;
}

const std::string kStream = "\r\n\r\n" + request(1, "Signal=5\r\nDuration=160\r\n") + request(2) +
                            "\r\n\r\n" + request(3, "Signal=#\r\nDuration=100\r\n");

TEST(SipStreamFramer, WholeStreamAtOnce) {
  auto events = feed_in_chunks(kStream, {});
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], "ping");
  EXPECT_NE(events[1].find("CSeq: 1 INFO"), std::string::npos);
  EXPECT_NE(events[1].find("Signal=5\r\nDuration=160\r\n"), std::string::npos);
  EXPECT_NE(events[2].find("CSeq: 2 INFO"), std::string::npos);
  EXPECT_EQ(events[3], "ping");
  EXPECT_NE(events[4].find("Signal=#"), std::string::npos);
}

TEST(SipStreamFramer, ByteByByteGivesTheSameMessages) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  auto whole = feed_in_chunks(kStream, {});
  auto bytes = feed_in_chunks(kStream, cuts);
  // A ping split after its first CRLF arrives as two pongs: the framer cannot wait for bytes that may never
  // come (documented in stream_framer.hpp). Messages are unaffected.
  std::vector<std::string> whole_msgs, byte_msgs;
  for (auto& e : whole)
    if (e.rfind("msg:", 0) == 0) whole_msgs.push_back(e);
  for (auto& e : bytes)
    if (e.rfind("msg:", 0) == 0) byte_msgs.push_back(e);
  EXPECT_EQ(byte_msgs, whole_msgs);
  EXPECT_EQ(byte_msgs.size(), 3u);
}

TEST(SipStreamFramer, RandomChunksGiveIdenticalResults) {
  auto whole = feed_in_chunks(kStream, {});
  // A cut in the middle of a CRLFCRLF ping turns it into two pongs (see ByteByByteGivesTheSameMessages), so
  // those two cut points are avoided to make the comparison exact.
  const std::size_t second_ping = 4 + request(1, "Signal=5\r\nDuration=160\r\n").size() + request(2).size();
  std::mt19937 rng(20240611);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t pos = 0;
    while (true) {
      pos += 1 + rng() % 97;
      if (pos >= kStream.size()) break;
      if (pos != 2 && pos != second_ping + 2) cuts.push_back(pos);
    }
    ASSERT_EQ(feed_in_chunks(kStream, cuts), whole) << "round " << round;
  }
}

TEST(SipStreamFramer, PongAndBareLineFeeds) {
  StreamFramer framer;
  framer.feed("\r\n");
  EXPECT_EQ(framer.next().kind, StreamEventKind::keepalive_pong);
  EXPECT_EQ(framer.next().kind, StreamEventKind::need_more);
  framer.feed("\r\n\r");
  EXPECT_EQ(framer.next().kind, StreamEventKind::need_more);  // may still become a ping
  framer.feed("\n");
  EXPECT_EQ(framer.next().kind, StreamEventKind::keepalive_ping);
  framer.feed("\n\n" + request(9));
  EXPECT_EQ(framer.next().kind, StreamEventKind::message);
}

TEST(SipStreamFramer, MalformedMessageIsReportedAndFramingContinues) {
  std::string bad = request(1);
  bad.replace(bad.find("From: <sip:caller@example.com>"), 30, "From: <sip:caller@example.com");
  StreamFramer framer;
  framer.feed(bad + request(2));
  StreamEvent e = framer.next();
  ASSERT_EQ(e.kind, StreamEventKind::error);
  EXPECT_FALSE(e.fatal);
  EXPECT_EQ(e.error->header, "From");
  EXPECT_EQ(e.raw, bad);
  StreamEvent next = framer.next();
  ASSERT_EQ(next.kind, StreamEventKind::message);
  EXPECT_EQ(next.message->cseq()->number, 2u);
  EXPECT_FALSE(framer.failed());
}

TEST(SipStreamFramer, FramingErrorsAreFatal) {
  {
    StreamFramer framer;
    framer.feed("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n");
    StreamEvent e = framer.next();
    EXPECT_EQ(e.kind, StreamEventKind::error);
    EXPECT_TRUE(e.fatal);
    EXPECT_EQ(e.error->code, ParseErrorCode::missing_content_length);
    EXPECT_TRUE(framer.failed());
    EXPECT_EQ(framer.next().error->code, ParseErrorCode::missing_content_length);
  }
  {
    StreamFramer framer;
    framer.feed("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1x\r\n\r\n");
    EXPECT_EQ(framer.next().error->code, ParseErrorCode::bad_number);
  }
  {
    ParseLimits limits;
    limits.max_body_bytes = 100;
    StreamFramer framer(limits);
    framer.feed("OPTIONS sip:a@b SIP/2.0\r\nl: 101\r\n\r\n");
    EXPECT_EQ(framer.next().error->code, ParseErrorCode::body_too_large);
  }
  {
    ParseLimits limits;
    limits.max_header_bytes = 1000;
    StreamFramer framer(limits);
    framer.feed("OPTIONS sip:a@b SIP/2.0\r\n");
    for (int i = 0; i < 100; ++i) {
      framer.feed("X-Filler: 0123456789\r\n");
      if (framer.next().kind != StreamEventKind::need_more) break;
    }
    EXPECT_TRUE(framer.failed());
    EXPECT_EQ(framer.next().error->code, ParseErrorCode::headers_too_large);
  }
}

TEST(SipStreamFramer, FoldedContentLengthIsFramedLikeTheParserReadsIt) {
  StreamFramer framer;
  std::string msg = request(5, "x");
  msg.replace(msg.find("Content-Length: 1"), 17, "Content-Length:\r\n 1");
  framer.feed(msg + request(6));
  StreamEvent a = framer.next();
  ASSERT_EQ(a.kind, StreamEventKind::message) << (a.error ? a.error->to_string() : "");
  EXPECT_EQ(a.message->body(), "x");
  EXPECT_EQ(framer.next().kind, StreamEventKind::message);
}

TEST(SipStreamFramer, WaitsForTheWholeBody) {
  StreamFramer framer;
  std::string msg = request(7, std::string(5000, 'b'));
  framer.feed(msg.substr(0, msg.size() - 1));
  EXPECT_EQ(framer.next().kind, StreamEventKind::need_more);
  framer.feed(msg.substr(msg.size() - 1));
  StreamEvent e = framer.next();
  ASSERT_EQ(e.kind, StreamEventKind::message);
  EXPECT_EQ(e.message->body().size(), 5000u);
}

}  // namespace
}  // namespace va::sip
