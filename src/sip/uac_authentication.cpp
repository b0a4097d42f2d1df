#include "sip/uac_authentication.hpp"

#include "sip/digest.hpp"

namespace va::sip {
namespace {

// Enough to recognise a nonce answered by this request chain; older ones are long expired.
constexpr std::size_t kRememberedNonces = 8;

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

std::string_view header_name(bool proxy) {
  return proxy ? "Proxy-Authorization" : "Authorization";
}

// The nonce count the challenged request carried for `realm`, if it carried credentials for it.
std::optional<std::uint32_t> sent_nonce_count(const Message& request, bool proxy, const std::string& realm) {
  for (const auto& header : request.headers()) {
    if (!header.is(header_name(proxy))) continue;
    auto sent = parse_digest_credentials(header.value);
    if (sent && sent->realm == realm) return sent->nc == 0 ? 1 : sent->nc;  // no qop: no nc, a first use
  }
  return std::nullopt;
}

}  // namespace

bool UacAuthentication::answer(const Message& response, Message& retry, std::string& why) {
  refused_ = false;
  const bool proxy = response.status() == 407;
  auto challenges = digest_challenges(response);
  if (!challenges) {
    why = "malformed challenge: " + challenges.error().to_string();
    return false;
  }
  const DigestChallenge* best = nullptr;
  why = "no Digest challenge";
  for (const auto& c : *challenges) {
    if (!credentials_.realm.empty() && c.realm != credentials_.realm) {
      why = "challenge for realm '" + c.realm + "', the configured realm is '" + credentials_.realm + "'";
      continue;
    }
    if (strength(c.algorithm) == 0) {
      why = "unsupported digest algorithm '" + c.algorithm_name + "'";
      continue;
    }
    if (!c.qop.empty() && !c.offers_qop("auth") && !c.offers_qop("auth-int")) {
      why = "unsupported digest qop";
      continue;
    }
    if (!best || strength(c.algorithm) > strength(best->algorithm)) best = &c;
  }
  if (!best) return false;
  if (!best->stale) {
    if (nonce_count(best->nonce) != nullptr) {
      refused_ = true;
      why = "credentials refused (nonce already answered)";
      return false;
    }
    if (sent_nonce_count(retry, proxy, best->realm) == 1u) {
      refused_ = true;
      why = "credentials refused (a fresh nonce was answered and challenged again)";
      return false;
    }
  }
  auto* seen = nonce_count(best->nonce);
  const std::uint32_t nc = seen ? *seen + 1 : 1;
  if (!add_credentials(*best, proxy, nc, retry)) {
    why = "cannot answer the challenge";
    return false;
  }
  last_ = Remembered{*best, proxy};
  return true;
}

bool UacAuthentication::authorize(Message& request) {
  if (!last_) return false;
  auto* seen = nonce_count(last_->challenge.nonce);
  return add_credentials(last_->challenge, last_->proxy, seen ? *seen + 1 : 1, request);
}

void UacAuthentication::forget() {
  nonce_counts_.clear();
  last_.reset();
  refused_ = false;
}

bool UacAuthentication::add_credentials(const DigestChallenge& challenge, bool proxy, std::uint32_t nc,
                                        Message& request) {
  auto uri = request.request_uri().to_string();
  DigestAnswer a;
  a.username = credentials_.username;
  a.password = credentials_.password;
  a.method = request.method_name();
  a.uri = uri;
  a.nc = nc;
  a.body = request.body();
  auto credentials = answer_digest_challenge(challenge, a);
  if (!credentials) return false;
  if (auto* seen = nonce_count(challenge.nonce)) {
    *seen = nc;
  } else {
    if (nonce_counts_.size() == kRememberedNonces) nonce_counts_.pop_front();
    nonce_counts_.emplace_back(challenge.nonce, nc);
  }
  request.set_header(header_name(proxy), credentials->to_string());
  return true;
}

std::uint32_t* UacAuthentication::nonce_count(const std::string& nonce) {
  for (auto& [known, nc] : nonce_counts_)
    if (known == nonce) return &nc;
  return nullptr;
}

}  // namespace va::sip
