#include "sip/trunk/trunk_digest_nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace va::sip {
namespace {

constexpr std::size_t kTimeDigits = 16;
constexpr std::size_t kMacDigits = 64;
// A nonce dated this far ahead of our clock is still accepted (the wall clock may have been stepped back).
constexpr std::int64_t kFutureToleranceSeconds = 5;

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0x0F];
  }
  return out;
}

}  // namespace

DigestNonceIssuer::DigestNonceIssuer(std::chrono::seconds lifetime, std::string key)
    : lifetime_(lifetime), key_(std::move(key)) {
  if (key_.empty()) {
    key_.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed: cannot create the digest nonce key");
  }
}

std::string DigestNonceIssuer::mac_hex(std::string_view time_hex, std::string_view binding) const {
  std::string message;
  message.reserve(time_hex.size() + 1 + binding.size());
  message.append(time_hex).append(":").append(binding);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_size))
    return {};
  return hex(mac, mac_size);
}

std::string DigestNonceIssuer::issue(std::string_view binding,
                                     std::chrono::system_clock::time_point now) const {
  char time_hex[kTimeDigits + 1];
  std::snprintf(time_hex, sizeof time_hex, "%016llx", static_cast<unsigned long long>(unix_seconds(now)));
  return std::string(time_hex) + mac_hex(time_hex, binding);
}

NonceCheck DigestNonceIssuer::check(std::string_view nonce, std::string_view binding,
                                    std::chrono::system_clock::time_point now) const {
  if (nonce.size() != kTimeDigits + kMacDigits) return NonceCheck::invalid;
  auto time_hex = nonce.substr(0, kTimeDigits);
  std::uint64_t issued = 0;
  auto [end, error] = std::from_chars(time_hex.data(), time_hex.data() + time_hex.size(), issued, 16);
  if (error != std::errc() || end != time_hex.data() + time_hex.size()) return NonceCheck::invalid;
  auto expected = mac_hex(time_hex, binding);
  auto given = nonce.substr(kTimeDigits);
  if (expected.size() != given.size() || CRYPTO_memcmp(expected.data(), given.data(), given.size()) != 0)
    return NonceCheck::invalid;
  auto age = unix_seconds(now) - static_cast<std::int64_t>(issued);
  if (age < -kFutureToleranceSeconds) return NonceCheck::invalid;
  if (age > lifetime_.count()) return NonceCheck::stale;
  return NonceCheck::valid;
}

}  // namespace va::sip
