#include "http/cors.hpp"

#include <algorithm>

namespace va::http {
namespace {

// Request-method tokens are case-sensitive (RFC 9110 §9.1), so "get" is not GET.
bool method_from_token(std::string_view token, Method& out) {
  for (Method method : {Method::get, Method::head, Method::post, Method::put, Method::patch, Method::delete_,
                        Method::options}) {
    if (to_string(method) == token) {
      out = method;
      return true;
    }
  }
  return false;
}

}  // namespace

CorsPolicy::CorsPolicy(const CorsOptions& options) : max_age_(std::to_string(options.max_age.count())) {
  for (const auto& origin : options.allowed_origins) {
    if (origin == "*") {
      any_origin_ = true;
    } else {
      origins_.push_back(origin);
    }
  }
  for (const auto& header : options.allowed_headers) {
    if (!allowed_headers_.empty()) allowed_headers_ += ", ";
    allowed_headers_ += header;
  }
}

bool CorsPolicy::is_preflight(const Request& request) {
  return request.method == Method::options && request.has_header("Origin") &&
         request.has_header("Access-Control-Request-Method");
}

std::string_view CorsPolicy::allow_origin_for(std::string_view origin) const {
  if (origin.empty()) return {};
  if (any_origin_) return "*";
  if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) return origin;
  return {};
}

Response CorsPolicy::preflight(const Request& request, const Router& router) const {
  const std::string_view origin = request.header("Origin");
  const std::string_view allow_origin = allow_origin_for(origin);
  if (allow_origin.empty()) {
    Response denied = Response::error(403, "cors_origin_not_allowed", "origin is not allowed");
    if (!any_origin_) denied.header("Vary", "Origin");
    return denied;
  }

  const std::vector<Method> methods = router.methods_for(request.path);
  Method requested = Method::other;
  if (!method_from_token(request.header("Access-Control-Request-Method"), requested) ||
      std::find(methods.begin(), methods.end(), requested) == methods.end()) {
    Response denied = Response::error(403, "cors_method_not_allowed", "method is not allowed for this path");
    if (!any_origin_) denied.header("Vary", "Origin");
    return denied;
  }

  std::string allow_methods;
  for (Method method : methods) {
    if (!allow_methods.empty()) allow_methods += ", ";
    allow_methods += to_string(method);
  }
  Response response;
  response.status = 204;
  response.content_type.clear();
  response.header("Access-Control-Allow-Origin", std::string(allow_origin))
      .header("Access-Control-Allow-Methods", std::move(allow_methods))
      .header("Access-Control-Allow-Headers", allowed_headers_)
      .header("Access-Control-Max-Age", max_age_);
  if (!any_origin_) response.header("Vary", "Origin");
  return response;
}

void CorsPolicy::apply(const Request& request, Response& response) const {
  const std::string_view origin = request.header("Origin");
  if (origin.empty()) return;
  const std::string_view allow_origin = allow_origin_for(origin);
  if (!allow_origin.empty()) response.header("Access-Control-Allow-Origin", std::string(allow_origin));
  if (!any_origin_ && !origins_.empty()) response.header("Vary", "Origin");
}

}  // namespace va::http
