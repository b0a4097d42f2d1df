// Building a response to a request (RFC 3261 §8.2.6).
#pragma once

#include <string_view>

#include "sip/message.hpp"

namespace va::sip {

// Copies every Via (in order), From, To, Call-ID and CSeq from the request (§8.2.6.2), and Timestamp into a
// 100 (§8.2.6.1). When `to_tag` is given and the request's To has no tag, ";tag=<to_tag>" is appended to To
// (a UAS must tag every response except 100 Trying; the caller keeps one tag per dialog). An empty reason
// takes the default phrase. Record-Route is not copied: that belongs to the dialog layer (§12.1.1).
Message make_response(const Message& request, int status, std::string_view reason = {},
                      std::string_view to_tag = {});

}  // namespace va::sip
