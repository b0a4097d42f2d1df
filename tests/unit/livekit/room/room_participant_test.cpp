#include "livekit/room/room_participant.hpp"

#include <gtest/gtest.h>

namespace va::livekit::room {
namespace {

RoomParticipant sip_caller() {
  RoomParticipant caller;
  caller.identity = "sip_+74951234567";
  caller.sip = true;
  caller.attributes = {{"sip.callID", "SCL_abc"},
                       {"sip.phoneNumber", "+74951234567"},
                       {"sip.trunkPhoneNumber", "+74997654321"},
                       {"sip.callStatus", "ringing"}};
  return caller;
}

TEST(RoomParticipant, TheSipParticipantIsTheCaller) {
  EXPECT_TRUE(is_caller(sip_caller(), CallerSelection::sip_participant));
  RoomParticipant browser;
  browser.identity = "web";
  browser.publishes_audio = true;
  EXPECT_FALSE(is_caller(browser, CallerSelection::sip_participant));
}

TEST(RoomParticipant, FallbackTakesAParticipantPublishingAudio) {
  RoomParticipant browser;
  browser.identity = "web";
  EXPECT_FALSE(is_caller(browser, CallerSelection::sip_or_first_audio_publisher));
  browser.publishes_audio = true;
  EXPECT_TRUE(is_caller(browser, CallerSelection::sip_or_first_audio_publisher));
}

TEST(RoomParticipant, CallInfoComesFromTheSipAttributes) {
  auto info = call_info_from(sip_caller());
  EXPECT_EQ(info.call_id, "SCL_abc");
  EXPECT_EQ(info.caller, "+74951234567");
  EXPECT_EQ(info.dialed, "+74997654321");
}

TEST(RoomParticipant, WithoutSipAttributesTheIdentityIsTheCallId) {
  RoomParticipant browser;
  browser.identity = "web-1";
  auto info = call_info_from(browser);
  EXPECT_EQ(info.call_id, "web-1");
  EXPECT_TRUE(info.caller.empty());
}

}  // namespace
}  // namespace va::livekit::room
