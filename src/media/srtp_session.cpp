#include "media/srtp_session.hpp"

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "media/rtp_packet.hpp"

namespace va::media {

namespace {

constexpr std::string_view kSuite80 = "AES_CM_128_HMAC_SHA1_80";
constexpr std::string_view kSuite32 = "AES_CM_128_HMAC_SHA1_32";
constexpr std::string_view kInlinePrefix = "inline:";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// libsrtp keeps process-wide state (the crypto kernel); srtp_init() must run once before any session and is
// not itself safe to call concurrently. A function-local static gives both. We never call srtp_shutdown():
// sessions may live until exit.
bool ensure_srtp_initialised() {
  static const bool ok = srtp_init() == srtp_err_status_ok;
  return ok;
}

int base64_value(char c) {
  const auto at = kBase64Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Strict RFC 4648 §4 decoding into a fixed buffer: full quanta only, '=' only as final padding.
std::optional<std::size_t> decode_base64(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t written = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int values[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<std::size_t>(j)];
      if (c == '=' && last && j >= 2) {
        values[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      values[j] = base64_value(c);
      if (values[j] < 0) return std::nullopt;
    }
    const std::uint32_t bits =
        (static_cast<std::uint32_t>(values[0]) << 18) | (static_cast<std::uint32_t>(values[1]) << 12) |
        (static_cast<std::uint32_t>(values[2]) << 6) | static_cast<std::uint32_t>(values[3]);
    const std::size_t bytes = 3 - static_cast<std::size_t>(padding);
    if (out.size() - written < bytes) return std::nullopt;
    out[written++] = static_cast<std::uint8_t>(bits >> 16);
    if (bytes > 1) out[written++] = static_cast<std::uint8_t>(bits >> 8);
    if (bytes > 2) out[written++] = static_cast<std::uint8_t>(bits);
  }
  return written;
}

std::string encode_base64(std::span<const std::uint8_t> data) {
  std::string text;
  text.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t left = data.size() - i;
    const std::uint32_t bits = (std::uint32_t{data[i]} << 16) |
                               (left > 1 ? std::uint32_t{data[i + 1]} << 8 : 0) |
                               (left > 2 ? std::uint32_t{data[i + 2]} : 0);
    text += kBase64Alphabet[(bits >> 18) & 0x3f];
    text += kBase64Alphabet[(bits >> 12) & 0x3f];
    text += left > 1 ? kBase64Alphabet[(bits >> 6) & 0x3f] : '=';
    text += left > 2 ? kBase64Alphabet[bits & 0x3f] : '=';
  }
  return text;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<SrtpKeyMaterial> key_error(SrtpKeyError reason, SrtpKeyError* error) {
  if (error != nullptr) *error = reason;
  return std::nullopt;
}

void set_rtp_policy(SrtpSuite suite, srtp_crypto_policy_t* policy) {
  if (suite == SrtpSuite::aes_cm_128_hmac_sha1_32) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(policy);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(policy);
  }
}

SrtpError map_status(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_auth_fail:
      return SrtpError::auth_failed;
    case srtp_err_status_replay_fail:
      return SrtpError::replay;
    case srtp_err_status_replay_old:
      return SrtpError::replay_old;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_no_ctx:
    case srtp_err_status_bad_mki:
      return SrtpError::malformed;
    default:
      return SrtpError::failed;
  }
}

// libsrtp takes the length as int and, when protecting, writes up to `headroom` bytes past it.
std::optional<SrtpError> check_sizes(std::span<std::uint8_t> buffer, std::size_t size, std::size_t headroom) {
  if (size > buffer.size() || buffer.size() - size < headroom || buffer.size() > INT_MAX) {
    return SrtpError::buffer_too_small;
  }
  return std::nullopt;
}

// libsrtp reads the CSRC list and the extension header in the clear before it authenticates; make sure they
// are inside the datagram whatever version of the library is linked.
bool rtp_header_fits(std::span<const std::uint8_t> packet) {
  if (packet.size() < kRtpHeaderSize) return false;
  std::size_t header = kRtpHeaderSize + 4 * std::size_t{packet[0] & 0x0fu};
  if ((packet[0] & 0x10) != 0) {
    if (packet.size() < header + 4) return false;
    header += 4 + 4 * std::size_t{wire::read_u16(packet.data() + header + 2)};
  }
  return packet.size() >= header;
}

}  // namespace

std::string_view to_string(SrtpSuite suite) {
  return suite == SrtpSuite::aes_cm_128_hmac_sha1_32 ? kSuite32 : kSuite80;
}

std::optional<SrtpSuite> parse_srtp_suite(std::string_view name) {
  if (name == kSuite80) return SrtpSuite::aes_cm_128_hmac_sha1_80;
  if (name == kSuite32) return SrtpSuite::aes_cm_128_hmac_sha1_32;
  return std::nullopt;
}

std::string_view to_string(SrtpKeyError error) {
  switch (error) {
    case SrtpKeyError::not_inline:
      return "key method is not inline";
    case SrtpKeyError::bad_base64:
      return "key is not valid base64";
    case SrtpKeyError::wrong_length:
      return "key and salt are not 30 bytes";
    case SrtpKeyError::bad_lifetime:
      return "bad key lifetime";
    case SrtpKeyError::mki_unsupported:
      return "MKI is not supported";
  }
  return "unknown";
}

std::string_view to_string(SrtpError error) {
  switch (error) {
    case SrtpError::buffer_too_small:
      return "buffer too small";
    case SrtpError::auth_failed:
      return "authentication failed";
    case SrtpError::replay:
      return "replayed packet";
    case SrtpError::replay_old:
      return "packet older than the replay window";
    case SrtpError::malformed:
      return "malformed packet";
    case SrtpError::failed:
      return "libsrtp failure";
  }
  return "unknown";
}

std::optional<SrtpKeyMaterial> parse_sdes_inline_key(SrtpSuite suite, std::string_view key_params,
                                                     SrtpKeyError* error) {
  if (!key_params.starts_with(kInlinePrefix)) return key_error(SrtpKeyError::not_inline, error);
  key_params.remove_prefix(kInlinePrefix.size());

  std::string_view rest = key_params;
  auto bar = rest.find('|');
  const std::string_view key_salt = rest.substr(0, bar);
  int options = 0;
  while (bar != std::string_view::npos) {
    rest.remove_prefix(bar + 1);
    bar = rest.find('|');
    const std::string_view option = rest.substr(0, bar);
    if (++options > 2) return key_error(SrtpKeyError::bad_lifetime, error);
    if (option.find(':') != std::string_view::npos) return key_error(SrtpKeyError::mki_unsupported, error);
    const std::string_view digits = option.starts_with("2^") ? option.substr(2) : option;
    if (!all_digits(digits)) return key_error(SrtpKeyError::bad_lifetime, error);
  }

  std::array<std::uint8_t, 48> decoded{};
  if (key_salt.size() > 4 * decoded.size() / 3) return key_error(SrtpKeyError::wrong_length, error);
  const auto size = decode_base64(key_salt, decoded);
  if (!size) return key_error(SrtpKeyError::bad_base64, error);
  if (*size != kSrtpKeySaltSize) return key_error(SrtpKeyError::wrong_length, error);
  SrtpKeyMaterial key;
  key.suite = suite;
  std::copy_n(decoded.begin(), kSrtpKeySaltSize, key.key_salt.begin());
  return key;
}

std::string format_sdes_inline_key(const SrtpKeyMaterial& key) {
  return std::string(kInlinePrefix) + encode_base64(key.key_salt);
}

SrtpKeyMaterial generate_srtp_key(SrtpSuite suite) {
  SrtpKeyMaterial key;
  key.suite = suite;
  if (RAND_bytes(key.key_salt.data(), static_cast<int>(key.key_salt.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed to produce an SRTP master key");
  }
  return key;
}

std::size_t srtp_rtp_headroom() {
  return SRTP_MAX_TRAILER_LEN;
}
std::size_t srtp_rtcp_headroom() {
  return SRTP_MAX_TRAILER_LEN + sizeof(std::uint32_t);
}  // + E|SRTCP index

void SrtpSession::ContextDeleter::operator()(srtp_ctx_t_* context) const {
  srtp_dealloc(context);
}

SrtpSession::SrtpSession(ContextHandle outbound, ContextHandle inbound)
    : outbound_(std::move(outbound)), inbound_(std::move(inbound)) {}

std::optional<SrtpSession> SrtpSession::create(const SrtpKeyMaterial& local, const SrtpKeyMaterial& remote) {
  if (!ensure_srtp_initialised()) return std::nullopt;
  const auto make = [](const SrtpKeyMaterial& material, srtp_ssrc_type_t direction) -> ContextHandle {
    // libsrtp copies the key during srtp_create; the copy here only has to outlive that call.
    auto key = material.key_salt;
    srtp_policy_t policy{};
    set_rtp_policy(material.suite, &policy.rtp);
    // SRTCP keeps the 80-bit tag with the _32 suite too (RFC 3711 §7.5 advises against short RTCP tags;
    // libsrtp and the peers built on it do the same).
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.ssrc.value = 0;
    policy.key = key.data();
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = nullptr;
    srtp_t context = nullptr;
    if (srtp_create(&context, &policy) != srtp_err_status_ok) return nullptr;
    return ContextHandle(context);
  };
  auto outbound = make(local, ssrc_any_outbound);
  auto inbound = make(remote, ssrc_any_inbound);
  if (!outbound || !inbound) return std::nullopt;
  return SrtpSession(std::move(outbound), std::move(inbound));
}

std::optional<SrtpError> SrtpSession::protect_rtp(std::span<std::uint8_t> buffer, std::size_t& size) {
  if (auto error = check_sizes(buffer, size, srtp_rtp_headroom())) return error;
  if (!rtp_header_fits(buffer.first(size))) return SrtpError::malformed;
  int length = static_cast<int>(size);
  const auto status = srtp_protect(outbound_.get(), buffer.data(), &length);
  if (status != srtp_err_status_ok) return map_status(status);
  size = static_cast<std::size_t>(length);
  return std::nullopt;
}

std::optional<SrtpError> SrtpSession::unprotect_rtp(std::span<std::uint8_t> buffer, std::size_t& size) {
  if (auto error = check_sizes(buffer, size, 0)) return error;
  if (!rtp_header_fits(buffer.first(size))) return SrtpError::malformed;
  int length = static_cast<int>(size);
  const auto status = srtp_unprotect(inbound_.get(), buffer.data(), &length);
  if (status != srtp_err_status_ok) return map_status(status);
  size = static_cast<std::size_t>(length);
  return std::nullopt;
}

std::optional<SrtpError> SrtpSession::protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size) {
  if (auto error = check_sizes(buffer, size, srtp_rtcp_headroom())) return error;
  int length = static_cast<int>(size);
  const auto status = srtp_protect_rtcp(outbound_.get(), buffer.data(), &length);
  if (status != srtp_err_status_ok) return map_status(status);
  size = static_cast<std::size_t>(length);
  return std::nullopt;
}

std::optional<SrtpError> SrtpSession::unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size) {
  if (auto error = check_sizes(buffer, size, 0)) return error;
  int length = static_cast<int>(size);
  const auto status = srtp_unprotect_rtcp(inbound_.get(), buffer.data(), &length);
  if (status != srtp_err_status_ok) return map_status(status);
  size = static_cast<std::size_t>(length);
  return std::nullopt;
}

}  // namespace va::media
