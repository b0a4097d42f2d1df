// SRTP/SRTCP (RFC 3711) through libsrtp2 with SDES-keyed sessions (RFC 4568): key material from and to the
// a=crypto "inline:" form, fresh keys from OpenSSL's CSPRNG, and in-place protect/unprotect with typed
// errors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct srtp_ctx_t_;  // libsrtp's session context, kept out of this header

namespace va::media {

// The SDES suites every SIP peer offers (RFC 4568 §6.2). SRTCP uses the 80-bit tag with both (RFC 3711 §7.5).
enum class SrtpSuite : std::uint8_t { aes_cm_128_hmac_sha1_80, aes_cm_128_hmac_sha1_32 };
std::string_view to_string(SrtpSuite suite);  // "AES_CM_128_HMAC_SHA1_80", as in a=crypto
std::optional<SrtpSuite> parse_srtp_suite(std::string_view name);

// 128-bit master key followed by the 112-bit master salt, as concatenated in the inline key.
inline constexpr std::size_t kSrtpKeySaltSize = 30;

struct SrtpKeyMaterial {
  SrtpSuite suite = SrtpSuite::aes_cm_128_hmac_sha1_80;
  std::array<std::uint8_t, kSrtpKeySaltSize> key_salt{};
  friend bool operator==(const SrtpKeyMaterial&, const SrtpKeyMaterial&) = default;
};

enum class SrtpKeyError : std::uint8_t {
  not_inline,       // key-params without the "inline:" method
  bad_base64,       // characters or padding outside RFC 4648 base64
  wrong_length,     // not 30 bytes of key and salt
  bad_lifetime,     // "|..." that is neither a number nor 2^number
  mki_unsupported,  // "|id:length": we do not implement MKI (no peer we test with uses it)
};
std::string_view to_string(SrtpKeyError error);

// Parses RFC 4568 §6.1 key-params: "inline:" base64(key||salt) ["|" lifetime] ["|" MKI ":" length].
// The lifetime is validated and then left to libsrtp's own limits.
std::optional<SrtpKeyMaterial> parse_sdes_inline_key(SrtpSuite suite, std::string_view key_params,
                                                     SrtpKeyError* error = nullptr);
// "inline:" followed by the base64 of key||salt (40 characters), for our a=crypto line.
std::string format_sdes_inline_key(const SrtpKeyMaterial& key);
// A fresh master key and salt from OpenSSL RAND_bytes; throws std::runtime_error if the CSPRNG fails.
SrtpKeyMaterial generate_srtp_key(SrtpSuite suite);

enum class SrtpError : std::uint8_t {
  buffer_too_small,  // protect: no room for the trailer; or a size libsrtp cannot take
  auth_failed,       // unprotect: the tag does not verify (tampered, wrong key, or not SRTP at all)
  replay,            // unprotect: this packet index was already accepted
  replay_old,        // unprotect: the index is behind the replay window
  malformed,         // too short or otherwise not a packet libsrtp can process
  failed,            // anything else libsrtp reports
};
std::string_view to_string(SrtpError error);

// Bytes protect_rtp()/protect_rtcp() may append (libsrtp's worst case, MKI included); the buffer must have
// this much room behind the packet. RtpPacketBuffer leaves it for any packet up to 1344 bytes.
std::size_t srtp_rtp_headroom();
std::size_t srtp_rtcp_headroom();

// One call's SRTP state: our outbound stream keyed with `local` (the key we offered or answered) and the
// peer's inbound stream keyed with `remote`. Any SSRC is accepted in both directions (key sharing per
// direction). Move-only; not thread-safe (the call's strand owns it).
class SrtpSession {
 public:
  // nullopt only when libsrtp refuses to set up (resource exhaustion); keys are valid by construction.
  static std::optional<SrtpSession> create(const SrtpKeyMaterial& local, const SrtpKeyMaterial& remote);

  SrtpSession(SrtpSession&&) noexcept = default;
  SrtpSession& operator=(SrtpSession&&) noexcept = default;

  // In place: `size` bytes of `buffer` hold the packet; on success `size` is the new length. nullopt on
  // success, otherwise what went wrong (the buffer content is then unspecified for protect, untouched in
  // meaning for unprotect: drop the packet).
  std::optional<SrtpError> protect_rtp(std::span<std::uint8_t> buffer, std::size_t& size);
  std::optional<SrtpError> unprotect_rtp(std::span<std::uint8_t> buffer, std::size_t& size);
  std::optional<SrtpError> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size);
  std::optional<SrtpError> unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size);

 private:
  struct ContextDeleter {
    void operator()(srtp_ctx_t_* context) const;
  };
  using ContextHandle = std::unique_ptr<srtp_ctx_t_, ContextDeleter>;

  SrtpSession(ContextHandle outbound, ContextHandle inbound);

  ContextHandle outbound_;
  ContextHandle inbound_;
};

}  // namespace va::media
