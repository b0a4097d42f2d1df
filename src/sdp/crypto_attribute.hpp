// a=crypto (RFC 4568, SDES): the SRTP suite and master key each side announces in its own SDP.
//
//   a=crypto:<tag> <crypto-suite> <key-params>[;<key-params>...] [<session-param> ...]
//   key-params = "inline:" base64(master key || master salt) ["|" lifetime] ["|" MKI ":" length]
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace va::sdp {

// "|" MKI ":" length (RFC 4568 §6.1): the master key identifier carried in each packet.
struct MasterKeyIdentifier {
  std::uint64_t value = 0;
  std::uint8_t length = 0;  // bytes on the wire, 1-128
  friend bool operator==(const MasterKeyIdentifier&, const MasterKeyIdentifier&) = default;
};

struct SrtpKeyParams {
  std::vector<std::uint8_t> key_salt;     // master key followed by master salt
  std::optional<std::uint64_t> lifetime;  // packets ("2^31" or a decimal number)
  std::optional<MasterKeyIdentifier> mki;
  friend bool operator==(const SrtpKeyParams&, const SrtpKeyParams&) = default;
};

struct CryptoAttribute {
  std::uint32_t tag = 1;                    // 1-999999999, echoed by the answer
  std::string suite;                        // "AES_CM_128_HMAC_SHA1_80"
  std::vector<SrtpKeyParams> keys;          // at least one
  std::vector<std::string> session_params;  // "UNENCRYPTED_SRTCP", "KDR=..." (kept, not interpreted)
  friend bool operator==(const CryptoAttribute&, const CryptoAttribute&) = default;
};

// Reads the value of an a=crypto line; nullopt when malformed (bad tag, no inline key, bad base64, a key of
// the wrong length for a suite we know, a bad lifetime or MKI).
std::optional<CryptoAttribute> parse_crypto(std::string_view value);
// Writes the value of an a=crypto line (base64 with padding, as RFC 4568 §6.1 shows it).
std::string format_crypto(const CryptoAttribute& crypto);

// Bytes of master key plus master salt for a suite of RFC 4568, RFC 6188 or RFC 7714; nullopt for a suite we
// do not know.
std::optional<std::size_t> srtp_key_salt_size(std::string_view suite);

// RFC 4648 base64 (standard alphabet). Decoding accepts missing padding — several SDES peers drop it.
std::string base64_encode(const std::vector<std::uint8_t>& bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace va::sdp
