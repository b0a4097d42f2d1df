// The request/response model the HTTP server hands to route handlers. Deliberately small and independent of
// Boost.Beast so handlers (webhooks, admin API, ops endpoints) stay testable and transport-agnostic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace va::http {

enum class Method { get, head, post, put, patch, delete_, options, other };
std::string_view to_string(Method method);

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  Method method = Method::get;
  std::string method_text;  // as received (for logs when Method::other)
  std::string target;       // raw request-target, e.g. "/readyz?verbose=1"
  std::string path;         // decoded path without query
  std::string query;        // raw query without '?'
  std::vector<Header> headers;
  std::string body;
  std::string remote_address;  // client IP as text
  std::uint16_t remote_port = 0;

  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Media type without parameters, lower-cased: "application/json; charset=utf-8" → "application/json".
  std::string media_type() const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;
  std::string body;

  Response& header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  static Response json(unsigned status, std::string body);
  static Response text(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  // {"error":{"status":404,"code":"not_found","message":"..."}}
  static Response error(unsigned status, std::string_view code, std::string_view message);
};

}  // namespace va::http
