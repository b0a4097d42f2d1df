#include "sip/uac_authentication.hpp"

#include "sip/digest.hpp"

namespace va::sip {
namespace {

int strength(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess:
      return 3;
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess:
      return 2;
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess:
      return 1;
    case DigestAlgorithm::unknown:
      return 0;
  }
  return 0;
}

}  // namespace

bool UacAuthentication::answer(const Message& response, Message& retry, std::string& why) {
  bool proxy = response.status() == 407;
  auto challenges = digest_challenges(response);
  if (!challenges) {
    why = "malformed challenge: " + challenges.error().to_string();
    return false;
  }
  const DigestChallenge* best = nullptr;
  for (const auto& c : *challenges) {
    if (strength(c.algorithm) == 0) continue;
    if (!c.qop.empty() && !c.offers_qop("auth") && !c.offers_qop("auth-int")) continue;
    if (!best || strength(c.algorithm) > strength(best->algorithm)) best = &c;
  }
  if (!best) {
    why = "no Digest challenge with an algorithm we support";
    return false;
  }
  auto seen = nonce_counts_.find(best->nonce);
  if (seen != nonce_counts_.end() && !best->stale) {
    why = "credentials refused (nonce already answered)";
    return false;
  }
  std::uint32_t nc = seen == nonce_counts_.end() ? 1 : seen->second + 1;
  auto uri = retry.request_uri().to_string();
  DigestAnswer a;
  a.username = credentials_.username;
  a.password = credentials_.password;
  a.method = retry.method_name();
  a.uri = uri;
  a.nc = nc;
  a.body = retry.body();
  auto credentials = answer_digest_challenge(*best, a);
  if (!credentials) {
    why = "cannot answer the challenge";
    return false;
  }
  nonce_counts_[best->nonce] = nc;
  std::string name = proxy ? "Proxy-Authorization" : "Authorization";
  retry.set_header(name, credentials->to_string());
  return true;
}

}  // namespace va::sip
