// Status codes and their reason phrases (RFC 3261 §21 and the extensions we send or receive).
#pragma once

#include <string_view>

namespace va::sip {

// "OK", "Busy Here", ...; for an unknown code the phrase of its class ("Success", "Client Error", ...).
std::string_view default_reason_phrase(int status);

inline bool is_provisional(int status) {
  return status >= 100 && status < 200;
}
inline bool is_success(int status) {
  return status >= 200 && status < 300;
}
inline bool is_final(int status) {
  return status >= 200;
}

}  // namespace va::sip
