#include "sdp/crypto_attribute.hpp"

#include <array>

#include "sdp/text.hpp"

namespace va::sdp {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct SuiteSize {
  std::string_view suite;
  std::size_t key_salt_size;
};

// Master key + master salt: AES-CM salts are 112 bits (RFC 3711), GCM salts 96 bits (RFC 7714 §12).
constexpr std::array kSuites{
    SuiteSize{"AES_CM_128_HMAC_SHA1_80", 30}, SuiteSize{"AES_CM_128_HMAC_SHA1_32", 30},
    SuiteSize{"F8_128_HMAC_SHA1_80", 30},     SuiteSize{"AES_192_CM_HMAC_SHA1_80", 38},
    SuiteSize{"AES_192_CM_HMAC_SHA1_32", 38}, SuiteSize{"AES_256_CM_HMAC_SHA1_80", 46},
    SuiteSize{"AES_256_CM_HMAC_SHA1_32", 46}, SuiteSize{"AEAD_AES_128_GCM", 28},
    SuiteSize{"AEAD_AES_256_GCM", 44},
};

// "2^31" or "1048576" (RFC 4568 §6.1).
std::optional<std::uint64_t> parse_lifetime(std::string_view s) {
  if (s.starts_with("2^")) {
    auto exponent = text::parse_unsigned<unsigned>(s.substr(2));
    if (!exponent || *exponent > 63) return std::nullopt;
    return std::uint64_t{1} << *exponent;
  }
  auto packets = text::parse_unsigned<std::uint64_t>(s);
  if (!packets || *packets == 0) return std::nullopt;
  return packets;
}

// "1:4": value, then its length in bytes (1-128).
std::optional<MasterKeyIdentifier> parse_mki(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto value = text::parse_unsigned<std::uint64_t>(s.substr(0, colon));
  auto length = text::parse_unsigned<std::uint8_t>(s.substr(colon + 1));
  if (!value || !length || *length == 0 || *length > 128) return std::nullopt;
  if (*length < 8 && *value >= (std::uint64_t{1} << (8 * *length))) return std::nullopt;
  return MasterKeyIdentifier{*value, *length};
}

std::optional<SrtpKeyParams> parse_key_params(std::string_view s, std::optional<std::size_t> expected_size) {
  constexpr std::string_view kInline = "inline:";
  if (!s.starts_with(kInline)) return std::nullopt;
  s.remove_prefix(kInline.size());
  std::array<std::string_view, 3> parts{};
  std::size_t count = 0;
  while (true) {
    if (count == parts.size()) return std::nullopt;
    auto bar = s.find('|');
    parts[count++] = s.substr(0, bar);
    if (bar == std::string_view::npos) break;
    s = s.substr(bar + 1);
  }
  SrtpKeyParams key;
  auto bytes = base64_decode(parts[0]);
  if (!bytes || bytes->empty()) return std::nullopt;
  if (expected_size && bytes->size() != *expected_size) return std::nullopt;
  key.key_salt = std::move(*bytes);
  // The lifetime and the MKI are told apart by the colon only the MKI has (RFC 4568 §6.1: either may be
  // left out).
  for (std::size_t i = 1; i < count; ++i) {
    if (parts[i].find(':') != std::string_view::npos) {
      if (key.mki) return std::nullopt;
      key.mki = parse_mki(parts[i]);
      if (!key.mki) return std::nullopt;
    } else {
      if (key.lifetime || key.mki) return std::nullopt;
      key.lifetime = parse_lifetime(parts[i]);
      if (!key.lifetime) return std::nullopt;
    }
  }
  return key;
}

std::string format_lifetime(std::uint64_t packets) {
  for (unsigned exponent = 0; exponent < 64; ++exponent) {
    if (packets == (std::uint64_t{1} << exponent)) return "2^" + std::to_string(exponent);
  }
  return std::to_string(packets);
}

}  // namespace

std::optional<std::size_t> srtp_key_salt_size(std::string_view suite) {
  for (const auto& s : kSuites) {
    if (s.suite == suite) return s.key_salt_size;
  }
  return std::nullopt;
}

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view s) {
  std::size_t padding = 0;
  while (!s.empty() && s.back() == '=' && padding < 2) {
    s.remove_suffix(1);
    ++padding;
  }
  if (s.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (s.size() + padding) % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(s.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char c : s) {
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    accumulator = ((accumulator << 6) | static_cast<std::uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 0xff));
    }
  }
  // Leftover bits of a final partial group are ignored, as most decoders do (tolerant of sloppy encoders).
  return out;
}

std::optional<CryptoAttribute> parse_crypto(std::string_view value) {
  auto fields = text::split_fields(value);
  if (fields.size() < 3) return std::nullopt;
  auto tag = text::parse_unsigned<std::uint32_t>(fields[0]);
  if (!tag || fields[0].size() > 9) return std::nullopt;
  CryptoAttribute crypto;
  crypto.tag = *tag;
  crypto.suite = std::string(fields[1]);
  if (!text::is_token(crypto.suite)) return std::nullopt;
  auto expected_size = srtp_key_salt_size(crypto.suite);
  std::string_view keys = fields[2];
  while (true) {
    auto semicolon = keys.find(';');
    auto key = parse_key_params(keys.substr(0, semicolon), expected_size);
    if (!key) return std::nullopt;
    crypto.keys.push_back(std::move(*key));
    if (semicolon == std::string_view::npos) break;
    keys = keys.substr(semicolon + 1);
  }
  for (std::size_t i = 3; i < fields.size(); ++i) crypto.session_params.emplace_back(fields[i]);
  return crypto;
}

std::string format_crypto(const CryptoAttribute& crypto) {
  std::string out = std::to_string(crypto.tag) + ' ' + crypto.suite + ' ';
  for (std::size_t i = 0; i < crypto.keys.size(); ++i) {
    const auto& key = crypto.keys[i];
    if (i > 0) out += ';';
    out += "inline:" + base64_encode(key.key_salt);
    if (key.lifetime) out += '|' + format_lifetime(*key.lifetime);
    if (key.mki) out += '|' + std::to_string(key.mki->value) + ':' + std::to_string(key.mki->length);
  }
  for (const auto& p : crypto.session_params) out += ' ' + p;
  return out;
}

}  // namespace va::sdp
