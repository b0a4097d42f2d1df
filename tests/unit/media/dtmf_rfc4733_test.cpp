#include "media/dtmf_rfc4733.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/rtp_packet.hpp"
#include "media/rtp_session.hpp"
#include "sipp_captures.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// The ten RTP packets of SIPp's dtmf_2833_1.pcap, byte for byte: marker on the first, duration +320 per
// packet, the end packet (E, duration 2240) three times with the same sequence number.
const std::vector<Bytes> kSippDigitOne = {
    {0x80, 0xe5, 0x1f, 0x30, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x00, 0x00},
    {0x80, 0x65, 0x1f, 0x31, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x01, 0x40},
    {0x80, 0x65, 0x1f, 0x32, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x02, 0x80},
    {0x80, 0x65, 0x1f, 0x33, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x03, 0xc0},
    {0x80, 0x65, 0x1f, 0x34, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x05, 0x00},
    {0x80, 0x65, 0x1f, 0x35, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x06, 0x40},
    {0x80, 0x65, 0x1f, 0x36, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x0a, 0x07, 0x80},
    {0x80, 0x65, 0x1f, 0x37, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x8a, 0x08, 0xc0},
    {0x80, 0x65, 0x1f, 0x37, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x8a, 0x08, 0xc0},
    {0x80, 0x65, 0x1f, 0x37, 0x00, 0x00, 0x33, 0xe0, 0x0e, 0x05, 0x38, 0x4e, 0x01, 0x8a, 0x08, 0xc0},
};

// Feeds RTP packets to a receiver and writes what it reports as "begin 1@13280:0", "end 1@13280:2240 E"
// (E: end packet received, ~: end inferred).
class Listener {
 public:
  explicit Listener(Rfc4733Receiver& receiver) : receiver_(receiver) {}

  void packet(const Bytes& bytes, bool clear_marker = false) {
    const auto rtp = parse_rtp(bytes);
    ASSERT_TRUE(rtp);
    now_ += 20ms;
    record(receiver_.on_packet(rtp->timestamp, rtp->marker && !clear_marker, rtp->payload, now_));
  }
  void event(std::uint32_t timestamp, bool marker, TelephoneEvent event) {
    now_ += 20ms;
    const auto payload = encode_telephone_event(event);
    record(receiver_.on_packet(timestamp, marker, payload, now_));
  }
  void wait(std::chrono::milliseconds time) {
    now_ += time;
    record(receiver_.poll(now_));
  }

  std::vector<std::string> reports;

 private:
  void record(const DtmfNotifications& notifications) {
    for (const auto& n : notifications) {
      std::string text = n.kind == DtmfNotification::Kind::begin ? "begin " : "end ";
      text += n.digit.digit;
      text += "@" + std::to_string(n.digit.timestamp) + ":" + std::to_string(n.digit.duration);
      if (n.kind == DtmfNotification::Kind::end) text += n.digit.end_received ? " E" : " ~";
      reports.push_back(text);
    }
  }

  Rfc4733Receiver& receiver_;
  Clock::time_point now_{};
};

TEST(TelephoneEvent, EncodesAndDecodesThePayloadByteExact) {
  EXPECT_EQ(encode_telephone_event({1, false, 10, 0x140}),
            (std::array<std::uint8_t, 4>{0x01, 0x0a, 0x01, 0x40}));
  EXPECT_EQ(encode_telephone_event({11, true, 10, 0x8c0}),
            (std::array<std::uint8_t, 4>{0x0b, 0x8a, 0x08, 0xc0}));
  EXPECT_EQ(encode_telephone_event({16, true, 63, 0xffff}),
            (std::array<std::uint8_t, 4>{0x10, 0xbf, 0xff, 0xff}));
  const Bytes with_reserved_bit{0x05, 0xca, 0x12, 0x34};  // E and R set, volume 10
  const auto event = decode_telephone_event(with_reserved_bit);
  ASSERT_TRUE(event);
  EXPECT_EQ(*event, (TelephoneEvent{5, true, 10, 0x1234}));
  EXPECT_FALSE(decode_telephone_event(Bytes{0x05, 0x0a, 0x00}));
}

TEST(TelephoneEvent, MapsDigitsFlashAndNothingElse) {
  const std::string digits = "0123456789*#ABCD!";
  for (std::uint8_t code = 0; code < digits.size(); ++code) {
    EXPECT_EQ(dtmf_event_character(code), digits[code]);
    EXPECT_EQ(dtmf_event_code(digits[code]), code);
  }
  EXPECT_EQ(dtmf_event_code('b'), 13);
  EXPECT_FALSE(dtmf_event_character(17));
  EXPECT_FALSE(dtmf_event_character(32));  // modem/fax tones: not DTMF
  EXPECT_FALSE(dtmf_event_code('E'));
}

TEST(Rfc4733Receiver, SippDigitIsReportedOnceWithItsFinalDuration) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (const auto& bytes : kSippDigitOne) listener.packet(bytes);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:0", "end 1@13280:2240 E"}));
  EXPECT_FALSE(receiver.active());
  EXPECT_EQ(receiver.ignored_packets(), 2u);  // the two retransmissions
}

TEST(Rfc4733Receiver, EverySippDtmfCaptureYieldsItsDigitExactlyOnce) {
  const std::vector<std::pair<std::string, char>> captures = {
      {"0", '0'}, {"1", '1'}, {"2", '2'}, {"3", '3'}, {"4", '4'},     {"5", '5'},
      {"6", '6'}, {"7", '7'}, {"8", '8'}, {"9", '9'}, {"pound", '#'}, {"star", '*'}};
  for (const auto& [name, digit] : captures) {
    const auto capture = test::read_udp_capture(test::sipp_capture_dir() + "/dtmf_2833_" + name + ".pcap");
    ASSERT_FALSE(capture.empty()) << name;
    for (bool clear_marker : {false, true}) {
      Rfc4733Receiver receiver;
      Listener listener(receiver);
      for (const auto& datagram : capture) listener.packet(datagram.payload, clear_marker);
      ASSERT_EQ(listener.reports.size(), 2u) << name;
      EXPECT_EQ(listener.reports[0].substr(0, 7), std::string("begin ") + digit) << name;
      EXPECT_EQ(listener.reports[1].substr(0, 5), std::string("end ") + digit) << name;
      EXPECT_EQ(listener.reports[1].substr(listener.reports[1].size() - 7), ":2240 E") << name;
    }
  }
}

TEST(Rfc4733Receiver, MissingMarkerBitChangesNothing) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (const auto& bytes : kSippDigitOne) listener.packet(bytes, true);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:0", "end 1@13280:2240 E"}));
}

TEST(Rfc4733Receiver, RetransmittedEndsAfterTheNextDigitBeganAreIgnored) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  listener.event(1000, true, {4, false, 10, 160});
  listener.event(1000, false, {4, true, 10, 800});
  listener.event(2600, true, {7, false, 10, 160});  // the next digit, before the end retransmissions arrive
  listener.event(1000, false, {4, true, 10, 800});
  listener.event(1000, false, {4, true, 10, 800});
  listener.event(2600, false, {7, true, 10, 480});
  listener.event(2600, false, {7, true, 10, 480});
  listener.event(2600, false, {7, true, 10, 480});
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 4@1000:160", "end 4@1000:800 E",
                                                        "begin 7@2600:160", "end 7@2600:480 E"}));
}

TEST(Rfc4733Receiver, DuplicatedPacketsChangeNothing) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (const auto& bytes : kSippDigitOne) {
    listener.packet(bytes);
    listener.packet(bytes);
  }
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:0", "end 1@13280:2240 E"}));
}

TEST(Rfc4733Receiver, ReorderedPacketsNeverShrinkTheDuration) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (std::size_t i : {1, 0, 3, 2, 5, 4, 6}) listener.packet(kSippDigitOne[i]);
  EXPECT_EQ(receiver.active_duration(), 0x780u);
  for (std::size_t i : {7, 6, 8, 9}) listener.packet(kSippDigitOne[i]);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:320", "end 1@13280:2240 E"}));
}

TEST(Rfc4733Receiver, LostStartReportsTheDigitAtTheFirstPacketSeen) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (std::size_t i = 3; i < kSippDigitOne.size(); ++i) listener.packet(kSippDigitOne[i]);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:960", "end 1@13280:2240 E"}));
}

TEST(Rfc4733Receiver, OnlyTheEndPacketsArrived) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (std::size_t i = 7; i < kSippDigitOne.size(); ++i) listener.packet(kSippDigitOne[i]);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:2240", "end 1@13280:2240 E"}));
}

TEST(Rfc4733Receiver, LostEndThenNewDigitEndsThePreviousOne) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  for (std::size_t i = 0; i < 7; ++i) listener.packet(kSippDigitOne[i]);
  // Digit 2 starts 400 ms later; none of digit 1's three end packets arrived, and digit 2 has no marker
  // either.
  listener.event(13280 + 3200, false, {2, false, 10, 160});
  listener.event(13280 + 3200, false, {2, true, 10, 800});
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:0", "end 1@13280:1920 ~",
                                                        "begin 2@16480:160", "end 2@16480:800 E"}));
}

TEST(Rfc4733Receiver, LostEndIsInferredAfterTheTimeout) {
  Rfc4733Receiver receiver(8000, 500ms);
  Listener listener(receiver);
  for (std::size_t i = 0; i < 7; ++i) listener.packet(kSippDigitOne[i]);
  listener.wait(400ms);
  EXPECT_EQ(listener.reports.size(), 1u);
  EXPECT_TRUE(receiver.active());
  listener.wait(100ms);
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 1@13280:0", "end 1@13280:1920 ~"}));
  // The end packets arriving after all are late for an event already reported.
  for (std::size_t i = 7; i < kSippDigitOne.size(); ++i) listener.packet(kSippDigitOne[i]);
  EXPECT_EQ(listener.reports.size(), 2u);
}

TEST(Rfc4733Receiver, LongPressUpdatesTheDurationAndContinuesAcrossSegments) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  // A 10 s press of '5' at 8 kHz: 0xFFFF units do not hold it, so the sender starts a second segment at
  // timestamp + 0xFFFF with no marker bit (RFC 4733 §2.5.1).
  const std::uint32_t start = 50000;
  listener.event(start, true, {5, false, 10, 400});
  for (std::uint32_t d = 800; d < 0xffff; d += 400) {
    listener.event(start, false, {5, false, 10, static_cast<std::uint16_t>(d)});
  }
  listener.event(start, false, {5, false, 10, 0xffff});
  EXPECT_EQ(receiver.active_duration(), 0xffffu);
  const std::uint32_t second = start + 0xffff;
  listener.event(second, false, {5, false, 10, 400});
  EXPECT_EQ(receiver.active_duration(), 0xffffu + 400);
  listener.event(second, false, {5, true, 10, 14465});
  listener.event(second, false, {5, true, 10, 14465});
  listener.event(start, false, {5, false, 10, 0xffff});  // straggler of the first segment
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 5@50000:400", "end 5@50000:80000 E"}));
}

TEST(Rfc4733Receiver, TwoQuickPressesOfOneKeyAreTwoDigits) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  listener.event(8000, true, {9, false, 10, 160});
  listener.event(8000, false, {9, false, 10, 640});              // end lost, 3 times
  listener.event(8000 + 640 + 320, false, {9, false, 10, 160});  // 40 ms gap, marker lost too
  listener.event(8000 + 640 + 320, false, {9, true, 10, 640});
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 9@8000:160", "end 9@8000:640 ~",
                                                        "begin 9@8960:160", "end 9@8960:640 E"}));
}

TEST(Rfc4733Receiver, IgnoresOtherEventsShortPayloadsAndStragglers) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  listener.event(100, true, {32, false, 10, 160});  // modem answer tone
  const std::array<std::uint8_t, 3> short_payload{1, 0x0a, 0};
  EXPECT_TRUE(receiver.on_packet(200, true, short_payload, Clock::time_point{}).empty());
  listener.event(1000, true, {3, true, 10, 800});
  listener.event(5000, true, {6, true, 10, 800});
  listener.event(1000, false, {3, false, 10, 320});  // late update of '3' after '6' ended
  EXPECT_EQ(listener.reports, (std::vector<std::string>{"begin 3@1000:800", "end 3@1000:800 E",
                                                        "begin 6@5000:800", "end 6@5000:800 E"}));
  EXPECT_EQ(receiver.ignored_packets(), 3u);
}

TEST(Rfc4733Receiver, TimestampsThatStartAnewAreNewEvents) {
  Rfc4733Receiver receiver;
  Listener listener(receiver);
  listener.event(4'000'000'000u, true, {1, true, 10, 800});
  listener.event(5000, true, {2, true, 10, 800});  // wrapped past 2^32: newer
  receiver.reset();
  listener.event(1000, true, {3, true, 10, 800});  // a new source after reset
  EXPECT_EQ(listener.reports.size(), 6u);
  EXPECT_EQ(listener.reports[4], "begin 3@1000:800");
}

TEST(Rfc4733Sender, ProducesTheRfc4733PacketSequenceForADigit) {
  Rfc4733Sender sender(8000, 20ms);
  ASSERT_TRUE(sender.start('#', 100ms));
  EXPECT_EQ(sender.packets_for(100ms), 7u);
  std::vector<Rfc4733Packet> packets;
  while (auto packet = sender.next()) packets.push_back(*packet);
  ASSERT_EQ(packets.size(), 7u);
  const std::vector<std::array<std::uint8_t, 4>> expected = {
      {0x0b, 0x0a, 0x00, 0xa0}, {0x0b, 0x0a, 0x01, 0x40}, {0x0b, 0x0a, 0x01, 0xe0}, {0x0b, 0x0a, 0x02, 0x80},
      {0x0b, 0x8a, 0x03, 0x20}, {0x0b, 0x8a, 0x03, 0x20}, {0x0b, 0x8a, 0x03, 0x20}};
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(packets[i].payload, expected[i]) << i;
    EXPECT_EQ(packets[i].marker, i == 0) << i;
    EXPECT_EQ(packets[i].end, i >= 4) << i;
    EXPECT_EQ(packets[i].interval, 160u) << i;
  }
  EXPECT_FALSE(sender.active());
  EXPECT_FALSE(sender.next());
}

TEST(Rfc4733Sender, RoundsTheDurationUpToWholePacketsAndHonoursTheClock) {
  Rfc4733Sender sender(16000, 30ms, 7);
  ASSERT_TRUE(sender.start('a', 70ms));  // 3 packets of 480 units
  std::vector<Rfc4733Packet> packets;
  while (auto packet = sender.next()) packets.push_back(*packet);
  ASSERT_EQ(packets.size(), 5u);
  EXPECT_EQ(decode_telephone_event(packets[0].payload), (TelephoneEvent{12, false, 7, 480}));
  EXPECT_EQ(decode_telephone_event(packets[2].payload), (TelephoneEvent{12, true, 7, 1440}));
  EXPECT_EQ(decode_telephone_event(packets[4].payload), (TelephoneEvent{12, true, 7, 1440}));
}

TEST(Rfc4733Sender, RefusesWhatItCannotSend) {
  Rfc4733Sender sender(8000, 20ms);
  EXPECT_FALSE(sender.start('x'));
  EXPECT_FALSE(sender.start('1', 0ms));
  EXPECT_FALSE(sender.start('1', 6000ms));
  ASSERT_TRUE(sender.start('1', 5000ms));
  EXPECT_FALSE(sender.start('2'));  // busy
  Rfc4733Sender wideband(16000, 20ms);
  EXPECT_FALSE(wideband.start('1', 5000ms));  // 80000 units do not fit 16 bits; we do not segment
  EXPECT_TRUE(wideband.start('1', 4000ms));
}

TEST(Rfc4733Sender, DigitsSentThroughAnRtpSessionAreReceivedOnce) {
  RtpSessionConfig config;
  config.formats = {{0, PayloadKind::audio, 8000}, {101, PayloadKind::telephone_event, 8000}};
  config.ssrc = 0x1234;
  config.initial_sequence = 65530;
  config.initial_timestamp = 0xfffffe00;
  Clock::time_point now{};
  RtpSession session(config, now);
  Rfc4733Sender sender(8000, 20ms);
  Rfc4733Receiver receiver;
  std::string received;
  const std::array<std::uint8_t, 160> silence{};
  for (char digit : std::string("159#")) {
    ASSERT_TRUE(sender.start(digit, 120ms));
    while (auto packet = sender.next()) {
      RtpPacketBuffer buffer;
      buffer.size = session.write_event(*packet, 101, now, buffer.storage());
      const auto rtp = parse_rtp(buffer.packet());
      ASSERT_TRUE(rtp);
      for (const auto& n : receiver.on_packet(rtp->timestamp, rtp->marker, rtp->payload, now)) {
        if (n.kind == DtmfNotification::Kind::begin) received += n.digit.digit;
      }
      now += 20ms;
    }
    for (int i = 0; i < 3; ++i) {  // a little audio between digits
      RtpPacketBuffer buffer;
      buffer.size = session.write_audio(silence, 0, 160, now, buffer.storage());
      now += 20ms;
    }
  }
  EXPECT_EQ(received, "159#");
}

}  // namespace
}  // namespace va::media
