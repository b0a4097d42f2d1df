// Who may call us: the user agent asks an InboundAdmission about every new INVITE before it routes it (trunk
// policy — static-IP `allowed_addresses`, the optional inbound digest challenge). The user agent knows
// nothing of trunks; the trunk module implements this and the composition root plugs it in.
//
// Threading: admit() runs on the SIP strand, for every dialog-creating INVITE; it must not block.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sip/transaction_user.hpp"

namespace va::sip {

struct AdmissionDecision {
  // 0: admitted. Otherwise the final response to send (403, 401, 407, ...) with `reason` as its phrase and
  // `headers` added (e.g. WWW-Authenticate).
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  // sip_calls_total{result} for a refusal ("forbidden", "challenged", ...).
  std::string result;
  // The trunk the call came in on, when known (for logs and the call record).
  std::string trunk;

  bool admitted() const { return status == 0; }
};

class InboundAdmission {
 public:
  virtual ~InboundAdmission() = default;
  virtual AdmissionDecision admit(const IncomingMessage& invite) = 0;
};

}  // namespace va::sip
