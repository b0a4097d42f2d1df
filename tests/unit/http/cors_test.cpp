#include "http/cors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

namespace va::http {
namespace {

using ::testing::HasSubstr;

std::optional<std::string> header_of(const Response& response, std::string_view name) {
  for (const auto& header : response.headers) {
    if (header.name == name) return header.value;
  }
  return std::nullopt;
}

Request preflight_request(std::string origin, std::string method, std::string path = "/calls") {
  Request request;
  request.method = Method::options;
  request.path = std::move(path);
  request.headers = {{"Origin", std::move(origin)}, {"Access-Control-Request-Method", std::move(method)}};
  return request;
}

class CorsPolicyTest : public ::testing::Test {
 protected:
  CorsPolicyTest() {
    router_.add(Method::get, "/calls", [](const Request&) { return Response::json(200, "[]"); });
    router_.add(Method::post, "/calls", [](const Request&) { return Response::json(201, "{}"); });
    options_.allowed_origins = {"https://console.example.com"};
  }
  Router router_;
  CorsOptions options_;
};

TEST_F(CorsPolicyTest, PreflightFromAllowedOriginListsTheRouteMethods) {
  const CorsPolicy cors(options_);
  const auto request = preflight_request("https://console.example.com", "POST");
  ASSERT_TRUE(CorsPolicy::is_preflight(request));
  const auto response = cors.preflight(request, router_);
  EXPECT_EQ(response.status, 204u);
  EXPECT_EQ(header_of(response, "Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(header_of(response, "Access-Control-Allow-Methods"), "GET, HEAD, POST");
  EXPECT_EQ(header_of(response, "Access-Control-Allow-Headers"), "Content-Type, Authorization");
  EXPECT_EQ(header_of(response, "Access-Control-Max-Age"), "600");
  EXPECT_EQ(header_of(response, "Vary"), "Origin");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(CorsPolicyTest, PreflightFromOtherOriginIs403) {
  const CorsPolicy cors(options_);
  // Exact match only: scheme, host and port must all agree.
  for (const char* origin : {"https://evil.example.com", "http://console.example.com",
                             "https://console.example.com:8443", "https://console.example.com.evil.net"}) {
    const auto response = cors.preflight(preflight_request(origin, "GET"), router_);
    EXPECT_EQ(response.status, 403u) << origin;
    EXPECT_FALSE(header_of(response, "Access-Control-Allow-Origin").has_value()) << origin;
    EXPECT_THAT(response.body, HasSubstr("\"status\":403"));
  }
}

TEST_F(CorsPolicyTest, PreflightForUnregisteredMethodOrPathIs403) {
  const CorsPolicy cors(options_);
  EXPECT_EQ(cors.preflight(preflight_request("https://console.example.com", "DELETE"), router_).status, 403u);
  EXPECT_EQ(cors.preflight(preflight_request("https://console.example.com", "post"), router_).status, 403u);
  EXPECT_EQ(cors.preflight(preflight_request("https://console.example.com", "GET", "/nope"), router_).status,
            403u);
}

TEST_F(CorsPolicyTest, OptionsWithoutRequestMethodIsNotAPreflight) {
  Request request;
  request.method = Method::options;
  request.headers = {{"Origin", "https://console.example.com"}};
  EXPECT_FALSE(CorsPolicy::is_preflight(request));
  request.headers = {{"Access-Control-Request-Method", "GET"}};
  EXPECT_FALSE(CorsPolicy::is_preflight(request));
}

TEST_F(CorsPolicyTest, SimpleRequestFromAllowedOriginGetsAllowOriginAndVary) {
  const CorsPolicy cors(options_);
  Request request;
  request.headers = {{"Origin", "https://console.example.com"}};
  auto response = Response::json(200, "[]");
  cors.apply(request, response);
  EXPECT_EQ(header_of(response, "Access-Control-Allow-Origin"), "https://console.example.com");
  EXPECT_EQ(header_of(response, "Vary"), "Origin");
}

TEST_F(CorsPolicyTest, SimpleRequestFromOtherOriginGetsNoAllowOrigin) {
  const CorsPolicy cors(options_);
  Request request;
  request.headers = {{"Origin", "https://evil.example.com"}};
  auto response = Response::json(200, "[]");
  cors.apply(request, response);
  EXPECT_FALSE(header_of(response, "Access-Control-Allow-Origin").has_value());
  EXPECT_EQ(header_of(response, "Vary"), "Origin");  // the answer depended on Origin

  Request same_origin;  // no Origin header: not a CORS request at all
  auto plain = Response::json(200, "[]");
  cors.apply(same_origin, plain);
  EXPECT_TRUE(plain.headers.empty());
}

TEST_F(CorsPolicyTest, WildcardAllowsAnyOrigin) {
  options_.allowed_origins = {"*"};
  const CorsPolicy cors(options_);
  EXPECT_EQ(cors.allow_origin_for("https://anything.example"), "*");
  const auto response = cors.preflight(preflight_request("https://anything.example", "GET"), router_);
  EXPECT_EQ(response.status, 204u);
  EXPECT_EQ(header_of(response, "Access-Control-Allow-Origin"), "*");
}

TEST_F(CorsPolicyTest, NoConfiguredOriginsAllowsNothing) {
  options_.allowed_origins.clear();
  const CorsPolicy cors(options_);
  EXPECT_EQ(cors.allow_origin_for("https://console.example.com"), "");
  EXPECT_EQ(cors.preflight(preflight_request("https://console.example.com", "GET"), router_).status, 403u);
}

}  // namespace
}  // namespace va::http
