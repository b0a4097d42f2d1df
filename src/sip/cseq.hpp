// CSeq (RFC 3261 §20.16, §8.1.1.5): a sequence number below 2^31 and the method of the request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/method.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::extension;
  std::string method_name;  // as received (the only method information for extensions)

  std::string to_string() const { return std::to_string(number) + " " + method_name; }
};

Result<CSeq> parse_cseq(std::string_view text);

}  // namespace va::sip
