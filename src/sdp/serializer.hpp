// Writing SDP: the canonical form of a SessionDescription, in RFC 4566 §5 line order with CRLF line ends.
//
// The writer trusts the model: it is meant for descriptions we build or parsed, and does not re-validate
// them (a value containing a line break would produce a broken body). parse(serialize(d)) == d for every d
// that parse() produced.
#pragma once

#include <string>

#include "sdp/session_description.hpp"

namespace va::sdp {

std::string serialize(const SessionDescription& description);

}  // namespace va::sdp
