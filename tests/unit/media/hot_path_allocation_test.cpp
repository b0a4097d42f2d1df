// The per-packet paths must not allocate (style.md: hot paths allocation-free). This binary counts
// allocations with support/allocation_window (it replaces the global operator new), then drives every
// per-packet operation of the packet half of the media module through such a window.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "media/dtmf_rfc4733.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_session.hpp"
#include "media/srtp_session.hpp"
#include "support/allocation_window.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

using va::test::AllocationWindow;

TEST(HotPathAllocation, TheCounterSeesAllocations) {
  AllocationWindow window;
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(window.count(), 1u);
}

TEST(HotPathAllocation, PacketPathsDoNotAllocate) {
  RtpSessionConfig config;
  config.formats = {{8, PayloadKind::audio, 8000}, {101, PayloadKind::telephone_event, 8000}};
  config.cname = "a-cname-longer-than-the-small-string-buffer@example.org";
  config.random_seed = 7;
  auto now = std::chrono::steady_clock::time_point(1000s);
  RtpSession alice(config, now);
  config.random_seed = 8;
  RtpSession bob(config, now);
  const UdpEndpoint alice_address(boost::asio::ip::make_address("10.0.0.1"), 4000);
  const UdpEndpoint bob_address(boost::asio::ip::make_address("10.0.0.2"), 4000);
  const auto alice_key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  const auto bob_key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto alice_srtp = SrtpSession::create(alice_key, bob_key);
  auto bob_srtp = SrtpSession::create(bob_key, alice_key);
  ASSERT_TRUE(alice_srtp && bob_srtp);
  Rfc4733Sender sender(8000, 20ms);
  Rfc4733Receiver receiver;
  const std::array<std::uint8_t, 160> audio{};
  std::size_t digits = 0;

  AllocationWindow window;
  for (int i = 0; i < 500; ++i, now += 20ms) {
    RtpPacketBuffer packet;
    if (i % 100 == 10) sender.start('7', 100ms);
    if (auto event = sender.next()) {
      packet.size = alice.write_event(*event, 101, now, packet.storage());
    } else if (i % 50 == 49) {
      alice.skip_audio(160);
      continue;
    } else {
      packet.size = alice.write_audio(audio, 8, 160, now, packet.storage());
    }
    ASSERT_FALSE(alice_srtp->protect_rtp(packet.storage(), packet.size));
    ASSERT_FALSE(bob_srtp->unprotect_rtp(packet.storage(), packet.size));
    const auto received = bob.on_rtp(packet.packet(), alice_address, now);
    ASSERT_TRUE(received.accepted());
    if (received.kind == PayloadKind::telephone_event) {
      for (const auto& n : receiver.on_packet(received.packet.timestamp, received.packet.marker,
                                              received.packet.payload, now)) {
        digits += n.kind == DtmfNotification::Kind::end ? 1 : 0;
      }
    }
    RtpPacketBuffer echo;  // Bob answers with audio, so each side has a source to report on
    echo.size = bob.write_audio(audio, 8, 160, now, echo.storage());
    ASSERT_FALSE(bob_srtp->protect_rtp(echo.storage(), echo.size));
    ASSERT_FALSE(alice_srtp->unprotect_rtp(echo.storage(), echo.size));
    ASSERT_TRUE(alice.on_rtp(echo.packet(), bob_address, now).accepted());
    (void)receiver.poll(now);
    (void)bob.check_media_timeout(now);

    for (RtpSession* session : {&alice, &bob}) {
      if (!session->rtcp_due(now)) continue;
      RtpPacketBuffer rtcp;
      rtcp.size = session->write_rtcp_report(now, rtcp.storage());
      ASSERT_GT(rtcp.size, 0u);
      SrtpSession& protect = session == &alice ? *alice_srtp : *bob_srtp;
      SrtpSession& unprotect = session == &alice ? *bob_srtp : *alice_srtp;
      ASSERT_FALSE(protect.protect_rtcp(rtcp.storage(), rtcp.size));
      ASSERT_FALSE(unprotect.unprotect_rtcp(rtcp.storage(), rtcp.size));
      RtpSession& peer = session == &alice ? bob : alice;
      const auto result = peer.on_rtcp(rtcp.packet(), session == &alice ? alice_address : bob_address, now);
      ASSERT_FALSE(result.dropped);
    }
    (void)alice.stats();
  }
  EXPECT_EQ(window.count(), 0u);
  EXPECT_EQ(digits, 5u);
}

}  // namespace
}  // namespace va::media
