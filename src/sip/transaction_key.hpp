// How messages find their transaction (RFC 3261 §17.1.3, §17.2.3, §8.2.2.2, RFC 6026 §8.9). Keys are
// strings so one unordered_map per table does all matching.
#pragma once

#include <optional>
#include <string>

#include "sip/message.hpp"
#include "sip/via.hpp"

namespace va::sip {

// §17.1.3: a response matches a client transaction by the branch of its top Via and the method of its CSeq
// (so a CANCEL, which shares the INVITE's branch, has a transaction of its own).
std::string client_key(std::string_view branch, std::string_view cseq_method);
std::optional<std::string> client_key_of_response(const Message& response);

// §17.2.3: a request matches a server transaction by the top Via's branch and sent-by and by method, with
// ACK matching the INVITE transaction it acknowledges. Requests without the "z9hG4bK" cookie (RFC 2543
// peers) fall back to Request-URI, From tag, Call-ID, CSeq number and the top Via; the To tag comparison of
// §17.2.3 for such ACKs is left out (their ACK carries the same Request-URI, Call-ID and CSeq number).
// `as_method` overrides the request's method (e.g. "INVITE" to find the transaction a CANCEL cancels).
std::optional<std::string> server_key(const Message& request, std::string_view as_method = {});

// §8.2.2.2: requests without a To tag that share From tag, Call-ID and CSeq with an ongoing server
// transaction but do not match it are merged requests (forked copies arriving over two paths) → 482.
std::optional<std::string> merged_request_key(const Message& request);

// The ACK of a 2xx has a branch of its own (§17.1.1.3), so it matches no transaction; this key (Call-ID,
// CSeq number, From tag, To tag) lets the accepted INVITE server transaction recognise it and stop
// retransmitting its 2xx (§13.3.1.4).
std::optional<std::string> ack_key_of_request(const Message& ack);
std::optional<std::string> ack_key_of_response(const Message& response);

}  // namespace va::sip
