// media-type of Content-Type and Accept (RFC 3261 §20.15): "application/sdp", "message/sipfrag;version=2.0".
// Type and subtype compare case-insensitively.
#pragma once

#include <string>
#include <string_view>

#include "sip/params.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

struct MediaType {
  std::string type;
  std::string subtype;
  Params params;

  // Case-insensitive match of type and subtype, e.g. is("application", "sdp").
  bool is(std::string_view t, std::string_view s) const;
  std::string to_string() const;
};

Result<MediaType> parse_media_type(std::string_view text);

}  // namespace va::sip
