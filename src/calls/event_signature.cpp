#include "calls/event_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <optional>

namespace va::calls {
namespace {

std::string hmac_hex(std::string_view secret, std::int64_t t, std::string_view body) {
  std::string message = std::to_string(t);
  message.push_back('.');
  message.append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 15]);
  }
  return hex;
}

}  // namespace

std::string sign_event(const std::vector<std::string>& secrets, std::int64_t unix_seconds,
                       std::string_view body) {
  std::string header = "t=" + std::to_string(unix_seconds);
  for (const auto& secret : secrets) header += ",v1=" + hmac_hex(secret, unix_seconds, body);
  return header;
}

std::string verify_event_signature(std::string_view header, std::string_view body, std::string_view secret,
                                   std::int64_t now_unix_seconds, std::chrono::seconds tolerance) {
  std::optional<std::int64_t> t;
  std::vector<std::string_view> macs;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.starts_with("t=")) {
      std::int64_t value = 0;
      auto digits = item.substr(2);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
        return "malformed signature header: t= is not a number";
      t = value;
    } else if (item.starts_with("v1=")) {
      macs.push_back(item.substr(3));
    }  // other schemes are ignored: a newer sender may add them
  }
  if (!t) return "malformed signature header: no t=";
  if (macs.empty()) return "malformed signature header: no v1=";
  auto skew = now_unix_seconds > *t ? now_unix_seconds - *t : *t - now_unix_seconds;
  if (skew > tolerance.count()) return "signature timestamp is " + std::to_string(skew) + " s from now";
  auto expected = hmac_hex(secret, *t, body);
  for (auto mac : macs) {
    if (mac.size() == expected.size() && CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) == 0)
      return {};
  }
  return "signature does not match";
}

}  // namespace va::calls
