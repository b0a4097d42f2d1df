// Test messages are written with "\n" line ends for readability; the wire uses CRLF.
#pragma once

#include <string>
#include <string_view>

namespace va::sip::test {

inline std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace va::sip::test
