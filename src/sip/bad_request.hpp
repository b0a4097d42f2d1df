// Answering requests we could not parse (RFC 3261 §8.2, §21.4.1): when enough of a malformed request survives
// — the method of its Request-Line, every Via, From, To, Call-ID and CSeq — a 400 whose reason phrase names
// the problem ("Malformed Contact Header", "Missing Call-ID Header") can be routed back to the sender.
// Otherwise nothing can be sent and the message is dropped (and counted by the transport).
#pragma once

#include <optional>
#include <string_view>

#include "sip/message.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

// `raw` is the datagram (or the framed stream message) and `error` what parse_message or
// check_mandatory_headers reported. Returns the response to send, or nullopt when the message is a response,
// an ACK (never answered, §17.2.1) or lacks one of the headers a response needs. The status is 505 for an
// unsupported SIP version, else 400; a To tag is added.
std::optional<Message> make_bad_request_response(std::string_view raw, const ParseError& error);

}  // namespace va::sip
