#include "sip/identifiers.hpp"

#include <openssl/rand.h>

#include <random>
#include <vector>

#include "sip/via.hpp"

namespace va::sip {

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    // RAND_bytes fails only when the system entropy source is unavailable; random_device reads the same
    // source through another path, which is still better than refusing to place a call.
    std::random_device device;
    for (auto& b : raw) b = static_cast<unsigned char>(device());
  }
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string generate_branch() {
  return std::string(kBranchMagicCookie) + random_hex(12);
}

std::string generate_tag() {
  return random_hex(8);
}

std::string generate_call_id(std::string_view host) {
  std::string id = random_hex(16);
  if (!host.empty()) {
    id.push_back('@');
    id += host;
  }
  return id;
}

}  // namespace va::sip
