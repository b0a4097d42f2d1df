#include "sip/trunk/trunk_admission.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"
#include "sip/digest.hpp"
#include "sip/digest_challenge.hpp"

namespace va::sip {
namespace {

constexpr int kRefusalLinesPerSecond = 10;

AdmissionDecision refuse(int status, std::string reason, std::string result, std::string trunk) {
  AdmissionDecision d;
  d.status = status;
  d.reason = std::move(reason);
  d.result = std::move(result);
  d.trunk = std::move(trunk);
  return d;
}

// The nonce is bound to what the retried INVITE repeats: the source address and the Call-ID.
std::string nonce_binding(const IncomingMessage& invite) {
  auto call_id = invite.message.call_id();
  return canonical_address(invite.flow.remote.address).to_string() + "|" +
         std::string(call_id ? *call_id : std::string_view{});
}

std::string call_id_of(const IncomingMessage& invite) {
  auto call_id = invite.message.call_id();
  return std::string(call_id ? *call_id : std::string_view{});
}

}  // namespace

TrunkAdmission::TrunkAdmission(const std::vector<config::Trunk>& trunks, TrunkAdmissionOptions options)
    : options_(std::move(options)), nonces_(options_.nonce_lifetime) {
  for (const auto& t : trunks) {
    TrunkPolicy p;
    p.name = t.name;
    p.static_ip = t.mode == config::TrunkMode::static_ip;
    for (const auto& entry : t.allowed_addresses) {
      if (auto range = AddressRange::parse(entry)) {
        p.allowed.push_back(*range);
      } else {
        // The schema validates these; an entry we cannot read must not widen the trunk.
        log::warn("sip trunk: allowed address ignored", {{"trunk", t.name}, {"entry", entry}});
      }
    }
    if (!p.static_ip) {
      // A registrar or proxy written as an IP literal is known before the first REGISTER.
      for (const auto& host : {t.registrar, t.outbound_proxy}) {
        std::string literal = host;
        if (!literal.empty() && literal.front() == '[')
          literal = literal.substr(1, literal.find(']') - 1);
        else if (std::count(literal.begin(), literal.end(), ':') == 1)
          literal = literal.substr(0, literal.find(':'));
        boost::system::error_code ec;
        auto address = boost::asio::ip::make_address(literal, ec);
        if (!ec) p.learned.push_back(canonical_address(address));
      }
    }
    p.auth_username = t.inbound_auth.username;
    p.auth_password = t.inbound_auth.password;
    trunks_.push_back(std::move(p));
  }
}

void TrunkAdmission::add_registrar_address(std::string_view trunk, const boost::asio::ip::address& address) {
  auto canonical = canonical_address(address);
  std::lock_guard lock(mutex_);
  for (auto& t : trunks_) {
    if (t.name != trunk || t.static_ip) continue;
    if (std::find(t.learned.begin(), t.learned.end(), canonical) == t.learned.end()) {
      if (t.learned.size() >= 64) t.learned.erase(t.learned.begin());  // bounded: DNS may rotate addresses
      t.learned.push_back(canonical);
      log::info("sip trunk: calls accepted from registrar address",
                {{"trunk", t.name}, {"address", canonical.to_string()}});
    }
  }
}

const TrunkAdmission::TrunkPolicy* TrunkAdmission::match(const boost::asio::ip::address& source) const {
  for (const auto& t : trunks_) {
    if (!t.static_ip) continue;
    for (const auto& range : t.allowed) {
      if (range.contains(source)) return &t;
    }
  }
  auto canonical = canonical_address(source);
  std::lock_guard lock(mutex_);
  for (const auto& t : trunks_) {
    if (t.static_ip) continue;
    if (std::find(t.learned.begin(), t.learned.end(), canonical) != t.learned.end()) return &t;
  }
  return nullptr;
}

AdmissionDecision TrunkAdmission::admit(const IncomingMessage& invite) {
  if (trunks_.empty()) return {};
  const auto& source = invite.flow.remote.address;
  const auto* trunk = match(source);
  if (trunk == nullptr) {
    std::int64_t suppressed = 0;
    if (refusal_log_allowed(suppressed)) {
      auto from = invite.message.from();
      log::Fields fields{{"source", invite.flow.remote.to_string()},
                         {"call_id", call_id_of(invite)},
                         {"from", from ? from->uri.to_string() : std::string()},
                         {"dialed", invite.message.request_uri().user}};
      if (suppressed > 0) fields.emplace_back("refusals_not_logged", suppressed);
      log::warn("sip: INVITE refused: source address is not allowed by any trunk", fields);
    }
    return refuse(403, "Forbidden", "forbidden", "");
  }
  if (trunk->auth_username.empty()) {
    AdmissionDecision admitted;
    admitted.trunk = trunk->name;
    return admitted;
  }
  return authenticate(invite, *trunk);
}

bool TrunkAdmission::refusal_log_allowed(std::int64_t& suppressed) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (now - refusal_window_ >= std::chrono::seconds(1)) {
    refusal_window_ = now;
    refusal_lines_ = 0;
  }
  if (refusal_lines_ >= kRefusalLinesPerSecond) {
    ++refusals_suppressed_;
    return false;
  }
  ++refusal_lines_;
  suppressed = std::exchange(refusals_suppressed_, 0);
  return true;
}

AdmissionDecision TrunkAdmission::challenge(const IncomingMessage& invite, std::string_view trunk,
                                            bool stale) const {
  auto d = refuse(401, "Unauthorized", "challenged", std::string(trunk));
  auto nonce = nonces_.issue(nonce_binding(invite), std::chrono::system_clock::now());
  for (auto algorithm : {DigestAlgorithm::md5, DigestAlgorithm::sha256}) {
    DigestChallenge c;
    c.realm = options_.realm;
    c.nonce = nonce;
    c.algorithm = algorithm;
    c.algorithm_name = std::string(digest_algorithm_name(algorithm));
    c.qop = {"auth"};
    c.stale = stale;
    d.headers.emplace_back("WWW-Authenticate", c.to_string());
  }
  return d;
}

AdmissionDecision TrunkAdmission::authenticate(const IncomingMessage& invite,
                                               const TrunkPolicy& trunk) const {
  const auto& m = invite.message;
  std::optional<DigestCredentials> credentials;
  for (auto value : m.header_values("Authorization")) {
    auto parsed = parse_digest_credentials(value);
    if (parsed && parsed->realm == options_.realm) {
      credentials = std::move(*parsed);
      break;
    }
  }
  if (!credentials) return challenge(invite, trunk.name, false);

  auto forbidden = [&](std::string_view why) {
    log::warn("sip: INVITE refused: inbound digest authentication failed",
              {{"trunk", trunk.name},
               {"source", invite.flow.remote.to_string()},
               {"call_id", call_id_of(invite)},
               {"username", credentials->username},
               {"why", why}});
    auto d = refuse(403, "Forbidden", "forbidden", trunk.name);
    return d;
  };

  switch (nonces_.check(credentials->nonce, nonce_binding(invite), std::chrono::system_clock::now())) {
    case NonceCheck::invalid:
      // Not our nonce for this call (an earlier process, another call, a guess): challenge afresh.
      return challenge(invite, trunk.name, false);
    case NonceCheck::stale:
      return challenge(invite, trunk.name, true);
    case NonceCheck::valid:
      break;
  }
  auto algorithm = credentials->algorithm.empty() ? DigestAlgorithm::md5
                                                  : digest_algorithm_from_name(credentials->algorithm);
  if (algorithm != DigestAlgorithm::md5 && algorithm != DigestAlgorithm::sha256)
    return forbidden("algorithm not offered: " + credentials->algorithm);
  if (credentials->qop != "auth") return forbidden("qop must be auth");
  if (credentials->username != trunk.auth_username) return forbidden("unknown username");
  if (!digest_credentials_valid(*credentials, trunk.auth_password, m.method_name(), m.body()))
    return forbidden("wrong response (password)");
  AdmissionDecision admitted;
  admitted.trunk = trunk.name;
  return admitted;
}

}  // namespace va::sip
