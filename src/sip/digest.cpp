#include "sip/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>

#include "sip/identifiers.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace {

const EVP_MD* evp_for(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess:
      return EVP_md5();
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess:
      return EVP_sha256();
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess:
      return EVP_sha512_256();
    case DigestAlgorithm::unknown:
      break;
  }
  return nullptr;
}

bool is_session_variant(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::md5_sess || algorithm == DigestAlgorithm::sha256_sess ||
         algorithm == DigestAlgorithm::sha512_256_sess;
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto p : parts) {
    if (!first) out.push_back(':');
    first = false;
    out += p;
  }
  return out;
}

}  // namespace

std::optional<std::string> digest_hex(DigestAlgorithm algorithm, std::string_view data) {
  const EVP_MD* md = evp_for(algorithm);
  if (md == nullptr) return std::nullopt;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xF]);
  }
  return hex;
}

std::optional<std::string> digest_response(const DigestResponseInput& in) {
  if (!in.qop.empty() && in.qop != "auth" && in.qop != "auth-int") return std::nullopt;
  auto ha1 = digest_hex(in.algorithm, join({in.username, in.realm, in.password}));
  if (!ha1) return std::nullopt;
  if (is_session_variant(in.algorithm)) ha1 = digest_hex(in.algorithm, join({*ha1, in.nonce, in.cnonce}));
  std::optional<std::string> ha2;
  if (in.qop == "auth-int") {
    auto body_hash = digest_hex(in.algorithm, in.body);
    ha2 = digest_hex(in.algorithm, join({in.method, in.uri, *body_hash}));
  } else {
    ha2 = digest_hex(in.algorithm, join({in.method, in.uri}));
  }
  if (in.qop.empty()) return digest_hex(in.algorithm, join({*ha1, in.nonce, *ha2}));
  char nc[9];
  std::snprintf(nc, sizeof nc, "%08x", in.nc);
  return digest_hex(in.algorithm, join({*ha1, in.nonce, nc, in.cnonce, in.qop, *ha2}));
}

std::optional<DigestCredentials> answer_digest_challenge(const DigestChallenge& challenge,
                                                         const DigestAnswer& answer) {
  if (challenge.algorithm == DigestAlgorithm::unknown) return std::nullopt;
  std::string_view qop;
  if (challenge.offers_qop("auth")) {
    qop = "auth";
  } else if (challenge.offers_qop("auth-int")) {
    qop = "auth-int";
  } else if (!challenge.qop.empty()) {
    return std::nullopt;
  }
  DigestCredentials c;
  c.username = std::string(answer.username);
  c.realm = challenge.realm;
  c.nonce = challenge.nonce;
  c.uri = std::string(answer.uri);
  c.algorithm = challenge.algorithm_name;
  c.opaque = challenge.opaque.value_or("");
  if (!qop.empty() || is_session_variant(challenge.algorithm))
    c.cnonce = answer.cnonce.empty() ? random_hex(8) : std::string(answer.cnonce);
  c.qop = std::string(qop);
  c.nc = answer.nc;
  DigestResponseInput in;
  in.algorithm = challenge.algorithm;
  in.username = answer.username;
  in.realm = challenge.realm;
  in.password = answer.password;
  in.nonce = challenge.nonce;
  in.method = answer.method;
  in.uri = answer.uri;
  in.qop = qop;
  in.nc = answer.nc;
  in.cnonce = c.cnonce;
  in.body = answer.body;
  auto response = digest_response(in);
  if (!response) return std::nullopt;
  c.response = std::move(*response);
  return c;
}

bool digest_credentials_valid(const DigestCredentials& credentials, std::string_view password,
                              std::string_view method, std::string_view body) {
  DigestAlgorithm algorithm = credentials.algorithm.empty()
                                  ? DigestAlgorithm::md5
                                  : digest_algorithm_from_name(credentials.algorithm);
  DigestResponseInput in;
  in.algorithm = algorithm;
  in.username = credentials.username;
  in.realm = credentials.realm;
  in.password = password;
  in.nonce = credentials.nonce;
  in.method = method;
  in.uri = credentials.uri;
  in.qop = credentials.qop;
  in.nc = credentials.nc;
  in.cnonce = credentials.cnonce;
  in.body = body;
  auto expected = digest_response(in);
  if (!expected) return false;
  std::string given = to_lower(credentials.response);
  return given.size() == expected->size() && CRYPTO_memcmp(given.data(), expected->data(), given.size()) == 0;
}

}  // namespace va::sip
