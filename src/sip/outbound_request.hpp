// The common first steps of sending a request (RFC 3261 §8.1.2, §18.1.1): find its destination and write
// our Via (§8.1.1.7: branch with the magic cookie, sent-by of the listener used, ;rport per RFC 3581 §3).
// Shared by client transactions, the ACK of a 2xx and stateless requests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <system_error>

#include "sip/message.hpp"
#include "sip/transaction_user.hpp"
#include "sip/transport.hpp"
#include "sip/via.hpp"

namespace va::sip {

struct RequestDestination {
  Destination destination;
  bool transport_explicit = false;  // the URI named its transport (no UDP→TCP switch then)
};

// options.flow when given (no lookup), else options.next_hop, else the first loose Route, else the
// Request-URI, resolved by the transport. Completes inside the call for IP literals.
void resolve_request_destination(TransportLayer& transport, const Message& request,
                                 const SendOptions& options,
                                 std::function<void(std::error_code, RequestDestination)> done);

// Our Via for a request to `destination`; nullopt when no listener can send there.
std::optional<Via> make_via(TransportLayer& transport, const Destination& destination, std::string branch);

// Adds `via` as the new top Via, and Max-Forwards: 70 when the TU left it out (§8.1.1.6).
void stamp_request(Message& request, const Via& via);

}  // namespace va::sip
