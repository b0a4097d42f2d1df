#include "sip/ua/request_bodies.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

using std::chrono::milliseconds;

TEST(DtmfRelay, SignalAndDurationInAnyCaseAndSpacing) {
  auto relay = parse_dtmf_relay("Signal=5\r\nDuration=160\r\n");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->digit, '5');
  EXPECT_EQ(relay->duration, milliseconds(160));

  relay = parse_dtmf_relay("signal = #\nDURATION = 250");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->digit, '#');
  EXPECT_EQ(relay->duration, milliseconds(250));

  relay = parse_dtmf_relay("Signal=b\r\n");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->digit, 'B');
  EXPECT_EQ(relay->duration, milliseconds(100));  // default when absent
}

TEST(DtmfRelay, UnreadableValuesAreIgnoredOrClamped) {
  EXPECT_FALSE(parse_dtmf_relay(""));
  EXPECT_FALSE(parse_dtmf_relay("Duration=100\r\n"));
  EXPECT_FALSE(parse_dtmf_relay("Signal=x\r\n"));
  EXPECT_FALSE(parse_dtmf_relay("Signal\r\n"));
  EXPECT_EQ(parse_dtmf_relay("Signal=1\r\nDuration=-40\r\n")->duration, milliseconds(0));
  EXPECT_EQ(parse_dtmf_relay("Signal=1\r\nDuration=99999999999999999999\r\n")->duration, milliseconds(100));
  EXPECT_EQ(parse_dtmf_relay("Signal=1\r\nDuration=3600000\r\n")->duration, milliseconds(10'000));
  EXPECT_EQ(parse_dtmf_relay("Signal=1\r\nDuration=12ms\r\n")->duration, milliseconds(100));
}

TEST(Sipfrag, StatusLineGivesTheStatus) {
  EXPECT_EQ(sipfrag_status("SIP/2.0 180 Ringing\r\n"), 180);
  EXPECT_EQ(sipfrag_status("SIP/2.0 200 OK"), 200);
  EXPECT_EQ(sipfrag_status("SIP/2.0 603"), 603);
  EXPECT_FALSE(sipfrag_status(""));
  EXPECT_FALSE(sipfrag_status("INVITE sip:a@b SIP/2.0\r\n"));
  EXPECT_FALSE(sipfrag_status("SIP/2.0 99 Odd\r\n"));
  EXPECT_FALSE(sipfrag_status("SIP/2.0 700 Out\r\n"));
  EXPECT_FALSE(sipfrag_status("SIP/2.0 2000 Long\r\n"));
  EXPECT_FALSE(sipfrag_status("SIP/2.0 1a0 Bad\r\n"));
}

}  // namespace
}  // namespace va::sip
