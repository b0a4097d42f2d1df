#include "media/srtp_session.hpp"

#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <vector>

#include "media/rtp_packet.hpp"

namespace va::media {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Known-answer vectors of libSRTP's own self-test (srtp_validate() in test/srtp_driver.c): master key and
// salt, an RTP packet with SSRC 0xcafebabe and sequence 0x1234, and its SRTP (AES_CM_128_HMAC_SHA1_80) and
// SRTCP protections.
constexpr std::array<std::uint8_t, 30> kVectorKey = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
const Bytes kVectorRtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
                          0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
const Bytes kVectorSrtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
                           0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
                           0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
const Bytes kVectorRtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
                           0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
const Bytes kVectorSrtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
                            0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
                            0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

SrtpKeyMaterial vector_key(SrtpSuite suite = SrtpSuite::aes_cm_128_hmac_sha1_80) {
  return SrtpKeyMaterial{suite, kVectorKey};
}

// A packet in a buffer with room for the SRTP trailer.
struct Packet {
  RtpPacketBuffer buffer;
  explicit Packet(const Bytes& bytes) {
    std::copy(bytes.begin(), bytes.end(), buffer.bytes.begin());
    buffer.size = bytes.size();
  }
  Bytes bytes() const {
    return Bytes(buffer.bytes.begin(), buffer.bytes.begin() + static_cast<long>(buffer.size));
  }
};

Bytes rtp_packet(std::uint16_t sequence, std::uint32_t ssrc = 0x01020304, std::size_t payload_size = 160) {
  Bytes payload(payload_size);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + sequence);
  RtpHeader header;
  header.payload_type = 8;
  header.sequence = sequence;
  header.timestamp = 160u * sequence;
  header.ssrc = ssrc;
  Bytes out(12 + payload_size);
  out.resize(serialize_rtp(header, payload, out));
  return out;
}

TEST(SrtpSession, MatchesLibsrtpKnownAnswerVectors) {
  auto sender = SrtpSession::create(vector_key(), vector_key());
  ASSERT_TRUE(sender);
  Packet rtp(kVectorRtp);
  EXPECT_FALSE(sender->protect_rtp(rtp.buffer.storage(), rtp.buffer.size));
  EXPECT_EQ(rtp.bytes(), kVectorSrtp);
  Packet rtcp(kVectorRtcp);
  EXPECT_FALSE(sender->protect_rtcp(rtcp.buffer.storage(), rtcp.buffer.size));
  EXPECT_EQ(rtcp.bytes(), kVectorSrtcp);

  auto receiver = SrtpSession::create(vector_key(), vector_key());
  ASSERT_TRUE(receiver);
  Packet srtp(kVectorSrtp);
  EXPECT_FALSE(receiver->unprotect_rtp(srtp.buffer.storage(), srtp.buffer.size));
  EXPECT_EQ(srtp.bytes(), kVectorRtp);
  Packet srtcp(kVectorSrtcp);
  EXPECT_FALSE(receiver->unprotect_rtcp(srtcp.buffer.storage(), srtcp.buffer.size));
  EXPECT_EQ(srtcp.bytes(), kVectorRtcp);
}

TEST(SrtpSession, Sha1ThirtyTwoSuiteCarriesTheFirstFourBytesOfTheTag) {
  // HMAC-SHA1 truncated to 32 bits: the same packet with the first 4 of the 10 tag bytes.
  auto session = SrtpSession::create(vector_key(SrtpSuite::aes_cm_128_hmac_sha1_32),
                                     vector_key(SrtpSuite::aes_cm_128_hmac_sha1_32));
  ASSERT_TRUE(session);
  Packet rtp(kVectorRtp);
  EXPECT_FALSE(session->protect_rtp(rtp.buffer.storage(), rtp.buffer.size));
  EXPECT_EQ(rtp.bytes(), Bytes(kVectorSrtp.begin(), kVectorSrtp.begin() + 32));
  // SRTCP keeps the 80-bit tag with this suite (RFC 3711 §7.5).
  Packet rtcp(kVectorRtcp);
  EXPECT_FALSE(session->protect_rtcp(rtcp.buffer.storage(), rtcp.buffer.size));
  EXPECT_EQ(rtcp.bytes(), kVectorSrtcp);
}

// Raw libsrtp, configured the way RFC 4568 peers do it, as the reference for our wrapper.
class RawLibsrtp {
 public:
  RawLibsrtp(const std::array<std::uint8_t, 30>& key, srtp_ssrc_type_t direction) {
    auto copy = key;
    srtp_policy_t policy{};
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = copy.data();
    policy.window_size = 128;
    EXPECT_EQ(srtp_create(&context_, &policy), srtp_err_status_ok);
  }
  ~RawLibsrtp() { srtp_dealloc(context_); }
  RawLibsrtp(const RawLibsrtp&) = delete;
  RawLibsrtp& operator=(const RawLibsrtp&) = delete;

  Bytes protect(const Bytes& plain) {
    Packet packet(plain);
    int length = static_cast<int>(packet.buffer.size);
    EXPECT_EQ(srtp_protect(context_, packet.buffer.bytes.data(), &length), srtp_err_status_ok);
    packet.buffer.size = static_cast<std::size_t>(length);
    return packet.bytes();
  }
  Bytes unprotect(const Bytes& protected_bytes) {
    Packet packet(protected_bytes);
    int length = static_cast<int>(packet.buffer.size);
    EXPECT_EQ(srtp_unprotect(context_, packet.buffer.bytes.data(), &length), srtp_err_status_ok);
    packet.buffer.size = static_cast<std::size_t>(length);
    return packet.bytes();
  }

 private:
  srtp_t context_ = nullptr;
};

TEST(SrtpSession, InteroperatesWithLibsrtpUsedDirectly) {
  const auto ours = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  const auto theirs = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto session = SrtpSession::create(ours, theirs);
  ASSERT_TRUE(session);
  // SrtpSession::create initialised libsrtp; the raw contexts below rely on that.
  RawLibsrtp peer_receiver(ours.key_salt, ssrc_any_inbound);
  RawLibsrtp reference_sender(ours.key_salt, ssrc_any_outbound);
  RawLibsrtp peer_sender(theirs.key_salt, ssrc_any_outbound);

  for (std::uint16_t sequence = 65530; sequence != 10; ++sequence) {  // across the rollover counter
    const Bytes plain = rtp_packet(sequence);
    Packet packet(plain);
    ASSERT_FALSE(session->protect_rtp(packet.buffer.storage(), packet.buffer.size));
    EXPECT_EQ(packet.bytes(), reference_sender.protect(plain)) << sequence;
    EXPECT_EQ(peer_receiver.unprotect(packet.bytes()), plain) << sequence;

    Packet incoming(peer_sender.protect(plain));
    ASSERT_FALSE(session->unprotect_rtp(incoming.buffer.storage(), incoming.buffer.size)) << sequence;
    EXPECT_EQ(incoming.bytes(), plain);
  }
}

TEST(SrtpSession, RoundTripsBetweenTwoCallsEnds) {
  const auto alice_key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_32);
  const auto bob_key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto alice = SrtpSession::create(alice_key, bob_key);
  auto bob = SrtpSession::create(bob_key, alice_key);
  ASSERT_TRUE(alice && bob);
  for (std::uint16_t sequence = 1; sequence < 50; ++sequence) {
    const Bytes plain = rtp_packet(sequence);
    Packet packet(plain);
    ASSERT_FALSE(alice->protect_rtp(packet.buffer.storage(), packet.buffer.size));
    EXPECT_EQ(packet.buffer.size, plain.size() + 4);  // 32-bit tag
    EXPECT_NE(packet.bytes(), Bytes(plain.begin(), plain.end()));
    ASSERT_FALSE(bob->unprotect_rtp(packet.buffer.storage(), packet.buffer.size));
    EXPECT_EQ(packet.bytes(), plain);

    Packet reply(plain);
    ASSERT_FALSE(bob->protect_rtp(reply.buffer.storage(), reply.buffer.size));
    EXPECT_EQ(reply.buffer.size, plain.size() + 10);  // 80-bit tag
    ASSERT_FALSE(alice->unprotect_rtp(reply.buffer.storage(), reply.buffer.size));
    EXPECT_EQ(reply.bytes(), plain);
  }
  Packet rtcp(kVectorRtcp);
  ASSERT_FALSE(alice->protect_rtcp(rtcp.buffer.storage(), rtcp.buffer.size));
  ASSERT_FALSE(bob->unprotect_rtcp(rtcp.buffer.storage(), rtcp.buffer.size));
  EXPECT_EQ(rtcp.bytes(), kVectorRtcp);
}

TEST(SrtpSession, RejectsTamperedPackets) {
  const auto key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto sender = SrtpSession::create(key, key);
  ASSERT_TRUE(sender);
  Packet packet(rtp_packet(100));
  ASSERT_FALSE(sender->protect_rtp(packet.buffer.storage(), packet.buffer.size));
  const Bytes protected_bytes = packet.bytes();

  for (std::size_t position : {std::size_t{1}, std::size_t{3}, std::size_t{20}, protected_bytes.size() - 1}) {
    auto receiver = SrtpSession::create(key, key);
    Packet tampered(protected_bytes);
    tampered.buffer.bytes[position] ^= 0x01;
    EXPECT_EQ(receiver->unprotect_rtp(tampered.buffer.storage(), tampered.buffer.size),
              SrtpError::auth_failed)
        << "byte " << position;
  }
  auto wrong_key = SrtpSession::create(key, generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80));
  Packet copy(protected_bytes);
  EXPECT_EQ(wrong_key->unprotect_rtp(copy.buffer.storage(), copy.buffer.size), SrtpError::auth_failed);
  Packet rtcp(kVectorSrtcp);
  rtcp.buffer.bytes[10] ^= 0x80;
  auto receiver = SrtpSession::create(vector_key(), vector_key());
  EXPECT_EQ(receiver->unprotect_rtcp(rtcp.buffer.storage(), rtcp.buffer.size), SrtpError::auth_failed);
}

TEST(SrtpSession, RejectsReplayedPackets) {
  const auto key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto sender = SrtpSession::create(key, key);
  auto receiver = SrtpSession::create(key, key);
  ASSERT_TRUE(sender && receiver);
  std::vector<Bytes> sent;
  for (std::uint16_t sequence = 1; sequence <= 200; ++sequence) {
    Packet packet(rtp_packet(sequence));
    ASSERT_FALSE(sender->protect_rtp(packet.buffer.storage(), packet.buffer.size));
    sent.push_back(packet.bytes());
  }
  for (std::size_t i = 0; i < 150; ++i) {
    Packet packet(sent[i]);
    ASSERT_FALSE(receiver->unprotect_rtp(packet.buffer.storage(), packet.buffer.size));
  }
  Packet again(sent[149]);
  EXPECT_EQ(receiver->unprotect_rtp(again.buffer.storage(), again.buffer.size), SrtpError::replay);
  Packet late(sent[160]);  // out of order but new: fine
  EXPECT_FALSE(receiver->unprotect_rtp(late.buffer.storage(), late.buffer.size));
  Packet window_edge(sent[155]);
  EXPECT_FALSE(receiver->unprotect_rtp(window_edge.buffer.storage(), window_edge.buffer.size));
  Packet old(sent[0]);  // 160 behind the newest, outside the 128-packet window
  EXPECT_EQ(receiver->unprotect_rtp(old.buffer.storage(), old.buffer.size), SrtpError::replay_old);
}

TEST(SrtpSession, RefusesBuffersWithoutRoomForTheTrailerAndTruncatedPackets) {
  const auto key = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto session = SrtpSession::create(key, key);
  Bytes plain = rtp_packet(1);
  std::size_t size = plain.size();
  EXPECT_EQ(session->protect_rtp(plain, size), SrtpError::buffer_too_small);
  EXPECT_EQ(size, plain.size());
  Bytes rtcp = kVectorRtcp;
  size = rtcp.size();
  EXPECT_EQ(session->protect_rtcp(rtcp, size), SrtpError::buffer_too_small);

  Bytes tiny{0x80, 0x00, 0x00};
  size = tiny.size();
  EXPECT_TRUE(session->unprotect_rtp(tiny, size).has_value());
  Bytes csrc_overrun{0x8f, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  size = csrc_overrun.size();
  EXPECT_EQ(session->unprotect_rtp(csrc_overrun, size), SrtpError::malformed);
  Bytes short_rtcp{0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1};
  size = short_rtcp.size();
  EXPECT_TRUE(session->unprotect_rtcp(short_rtcp, size).has_value());
}

TEST(SdesKey, ParsesTheRfc4568ExampleKey) {
  // RFC 4568 §4's example key-params, without the MKI part.
  const auto key = parse_sdes_inline_key(SrtpSuite::aes_cm_128_hmac_sha1_80,
                                         "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20");
  ASSERT_TRUE(key);
  const std::array<std::uint8_t, 30> expected = {0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a,
                                                 0x75, 0x66, 0x72, 0x39, 0x29, 0x3f, 0x2c, 0x23, 0x35, 0x68,
                                                 0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51};
  EXPECT_EQ(key->key_salt, expected);
  EXPECT_EQ(key->suite, SrtpSuite::aes_cm_128_hmac_sha1_80);
  EXPECT_EQ(format_sdes_inline_key(*key), "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  EXPECT_TRUE(parse_sdes_inline_key(SrtpSuite::aes_cm_128_hmac_sha1_32,
                                    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576"));
}

TEST(SdesKey, RejectsBadKeyParamsWithTheReason) {
  const auto error_of = [](std::string_view params) {
    SrtpKeyError error{};
    EXPECT_FALSE(parse_sdes_inline_key(SrtpSuite::aes_cm_128_hmac_sha1_80, params, &error)) << params;
    return error;
  };
  EXPECT_EQ(error_of("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"), SrtpKeyError::not_inline);
  EXPECT_EQ(error_of("uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"), SrtpKeyError::not_inline);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!"), SrtpKeyError::bad_base64);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB"), SrtpKeyError::bad_base64);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx"), SrtpKeyError::wrong_length);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRaaaa"), SrtpKeyError::wrong_length);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x"), SrtpKeyError::bad_lifetime);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|"), SrtpKeyError::bad_lifetime);
  EXPECT_EQ(error_of("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"),
            SrtpKeyError::mki_unsupported);
}

TEST(SdesKey, GeneratesFreshKeysInTheInlineForm) {
  const auto first = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  const auto second = generate_srtp_key(SrtpSuite::aes_cm_128_hmac_sha1_80);
  EXPECT_NE(first.key_salt, second.key_salt);
  const std::string inline_key = format_sdes_inline_key(first);
  EXPECT_EQ(inline_key.size(), 7u + 40u);
  EXPECT_EQ(parse_sdes_inline_key(first.suite, inline_key), first);
}

TEST(SdesKey, SuiteNamesAreTheSdpTokens) {
  EXPECT_EQ(parse_srtp_suite("AES_CM_128_HMAC_SHA1_80"), SrtpSuite::aes_cm_128_hmac_sha1_80);
  EXPECT_EQ(parse_srtp_suite("AES_CM_128_HMAC_SHA1_32"), SrtpSuite::aes_cm_128_hmac_sha1_32);
  EXPECT_FALSE(parse_srtp_suite("AEAD_AES_128_GCM"));
  EXPECT_EQ(to_string(SrtpSuite::aes_cm_128_hmac_sha1_32), "AES_CM_128_HMAC_SHA1_32");
}

}  // namespace
}  // namespace va::media
