// The admin API reads query strings from any HTTP client (GET /v1/calls?...), including ISO 8601 / unix
// times in `from` and `to`; receivers of the call events parse X-Voice-Agent-Signature with our verifier.
// The input is used whole as a query and as a time, and split at the first newline into a signature header
// and a body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "calls/call_json.hpp"
#include "calls/event_signature.hpp"
#include "http/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto query = va::http::parse_query(input);
  for (const auto& [name, value] : query.values) {
    if (auto t = va::calls::parse_time(value)) (void)va::calls::iso8601(*t);
  }
  if (auto t = va::calls::parse_time(input)) (void)va::calls::iso8601(*t);
  auto newline = input.find('\n');
  std::string_view header = newline == std::string_view::npos ? input : input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  (void)va::calls::verify_event_signature(header, body, "fuzz-secret", 1764900000);
  return 0;
}
