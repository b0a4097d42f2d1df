// A SIP message (RFC 3261 §7): a request (method, Request-URI) or a response (status, reason), an ordered
// list of headers as received, and a body. Typed accessors parse header values on demand and report a
// ParseError naming the header; to_string() writes the canonical form (long header names, correct
// Content-Length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/address.hpp"
#include "sip/cseq.hpp"
#include "sip/header.hpp"
#include "sip/media_type.hpp"
#include "sip/method.hpp"
#include "sip/parse_error.hpp"
#include "sip/uri.hpp"
#include "sip/via.hpp"

namespace va::sip {

// Contact values: either "*" (REGISTER removing all bindings, RFC 3261 §10.2.2) or addresses.
struct ContactList {
  bool wildcard = false;
  std::vector<Address> addresses;
};

class Message {
 public:
  static Message request(std::string method, Uri request_uri);
  // An empty reason takes the default phrase of the status (default_reason_phrase).
  static Message response(int status, std::string reason = {});

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }

  // Request line (meaningful for requests only).
  Method method() const { return method_; }
  std::string_view method_name() const { return method_name_; }
  const Uri& request_uri() const { return request_uri_; }
  void set_request_uri(Uri uri) { request_uri_ = std::move(uri); }

  // Status line (meaningful for responses only).
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }
  void set_reason(std::string reason) { reason_ = std::move(reason); }

  // Headers in order. Lookups accept any spelling of a name, compact forms included.
  const std::vector<Header>& headers() const { return headers_; }
  std::vector<Header>& mutable_headers() { return headers_; }
  const Header* find(std::string_view name) const;
  const Header* find(HeaderId id) const;
  // Value of the first header of that name.
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> header(HeaderId id) const;
  std::size_t count(HeaderId id) const;
  // Every value of the header, in order: all lines, each split at commas when the header is a list header
  // (RFC 3261 §7.3.1), not inside quoted strings or <...>.
  std::vector<std::string_view> header_values(std::string_view name) const;
  std::vector<std::string_view> header_values(HeaderId id) const;

  void add_header(std::string_view name, std::string value);
  void add_header(Header header) { headers_.push_back(std::move(header)); }
  // Inserts before the first header of the same name (or first of all when there is none): a new top Via.
  void prepend_header(std::string_view name, std::string value);
  // Replaces every header of that name by one with this value, at the position of the first.
  void set_header(std::string_view name, std::string value);
  std::size_t remove_header(std::string_view name);

  const std::string& body() const { return body_; }
  // Sets the body and, when `content_type` is given, the Content-Type header. Content-Length is written by
  // to_string().
  void set_body(std::string body, std::string_view content_type = {});

  // Typed accessors. Absent mandatory headers are ParseErrorCode::missing_header; absent list headers
  // (Contact, Route, Record-Route, P-Asserted-Identity) are empty lists.
  Result<std::string_view> call_id() const;
  Result<CSeq> cseq() const;
  Result<Address> from() const;
  Result<Address> to() const;
  Result<std::vector<Via>> vias() const;  // across all Via headers, topmost first
  Result<Via> top_via() const;
  Result<ContactList> contacts() const;
  Result<std::vector<Address>> routes() const;
  Result<std::vector<Address>> record_routes() const;
  Result<std::vector<Address>> p_asserted_identities() const;
  Result<Address> refer_to() const;
  Result<std::uint32_t> max_forwards() const;
  Result<std::size_t> content_length() const;
  Result<MediaType> content_type() const;
  Result<std::uint32_t> expires() const;
  // Option tags / method names of Supported, Require, Allow, ... (empty when absent).
  std::vector<std::string_view> tokens(HeaderId id) const;
  bool has_token(HeaderId id, std::string_view token) const;  // case-insensitive

  // Canonical serialization: start line, headers in order with canonical names, Content-Length equal to the
  // body size (replacing any received value, appended when absent), empty line, body.
  std::string to_string() const;
  void append_to(std::string& out) const;

 private:
  Message() = default;

  bool is_request_ = true;
  Method method_ = Method::extension;
  std::string method_name_;
  Uri request_uri_;
  int status_ = 0;
  std::string reason_;
  std::vector<Header> headers_;
  std::string body_;
};

}  // namespace va::sip
