#include "http/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/query.hpp"

namespace va::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Request make_request(Method method, std::string path, std::string body = {}, std::string content_type = {}) {
  Request request;
  request.method = method;
  request.path = std::move(path);
  request.target = request.path;
  request.body = std::move(body);
  if (!content_type.empty()) request.headers.push_back({"Content-Type", std::move(content_type)});
  return request;
}

Handler replying(std::string text) {
  return [text](const Request&) { return Response::text(200, text); };
}

TEST(Router, DispatchesByExactPathAndMethod) {
  Router router;
  router.add(Method::get, "/calls", replying("list"));
  router.add(Method::post, "/calls", replying("create"));
  router.add(Method::get, "/calls/active", replying("active"));

  auto match = router.match(make_request(Method::post, "/calls"));
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.status, 0u);
  EXPECT_EQ((*match.handler)(Request{}).body, "create");

  match = router.match(make_request(Method::get, "/calls/active"));
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ((*match.handler)(Request{}).body, "active");

  // No prefix matching: "/calls/" is another path.
  EXPECT_EQ(router.match(make_request(Method::get, "/calls/")).status, 404u);
}

TEST(Router, UnknownPathIs404LabelledUnmatched) {
  Router router;
  router.add(Method::get, "/healthz", replying("ok"));
  const auto match = router.match(make_request(Method::get, "/nope"));
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.status, 404u);
  EXPECT_EQ(match.route_label, "unmatched");
  EXPECT_EQ(match.route_index, Router::no_route);
}

TEST(Router, KnownPathWithOtherMethodIs405WithAllow) {
  Router router;
  router.add(Method::get, "/calls", replying("list"));
  router.add(Method::post, "/calls", replying("create"));
  const auto match = router.match(make_request(Method::delete_, "/calls"));
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.status, 405u);
  EXPECT_EQ(match.allow, "GET, HEAD, POST");
  EXPECT_EQ(match.route_label, "/calls");
}

TEST(Router, HeadIsServedByGetUnlessAnExplicitHeadRouteExists) {
  Router router;
  router.add(Method::get, "/a", replying("get-a"));
  router.add(Method::get, "/b", replying("get-b"));
  router.add(Method::head, "/b", replying("head-b"));

  auto match = router.match(make_request(Method::head, "/a"));
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ((*match.handler)(Request{}).body, "get-a");

  match = router.match(make_request(Method::head, "/b"));
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ((*match.handler)(Request{}).body, "head-b");

  // POST-only paths do not answer HEAD.
  router.add(Method::post, "/c", replying("post-c"));
  EXPECT_EQ(router.match(make_request(Method::head, "/c")).status, 405u);
}

TEST(Router, BodyOfUnacceptedMediaTypeIs415) {
  Router router;
  RouteOptions json_only;
  json_only.accepted_media_types = {"application/json"};
  router.add(Method::post, "/hooks", replying("ok"), json_only);

  EXPECT_EQ(
      router.match(make_request(Method::post, "/hooks", "a=b", "application/x-www-form-urlencoded")).status,
      415u);
  EXPECT_EQ(router.match(make_request(Method::post, "/hooks", "{}", "")).status, 415u);
  // Parameters and case do not matter.
  EXPECT_NE(
      router.match(make_request(Method::post, "/hooks", "{}", "Application/JSON; charset=utf-8")).handler,
      nullptr);
  // No body, nothing to check.
  EXPECT_NE(router.match(make_request(Method::post, "/hooks")).handler, nullptr);
}

TEST(Router, MetricsLabelDefaultsToPath) {
  Router router;
  RouteOptions labelled;
  labelled.metrics_label = "livekit_webhook";
  router.add(Method::get, "/healthz", replying("ok"));
  router.add(Method::post, "/webhooks/livekit", replying("ok"), labelled);
  EXPECT_EQ(router.match(make_request(Method::get, "/healthz")).route_label, "/healthz");
  EXPECT_EQ(router.match(make_request(Method::post, "/webhooks/livekit")).route_label, "livekit_webhook");
  EXPECT_EQ(router.route_count(), 2u);
  EXPECT_EQ(router.route_label(1), "livekit_webhook");
  EXPECT_EQ(router.route_label(2), "unmatched");
}

TEST(Router, MethodsForListsRegisteredMethodsWithImpliedHead) {
  Router router;
  router.add(Method::get, "/calls", replying("list"));
  router.add(Method::post, "/calls", replying("create"));
  EXPECT_THAT(router.methods_for("/calls"), ElementsAre(Method::get, Method::head, Method::post));
  EXPECT_TRUE(router.methods_for("/other").empty());
}

TEST(Message, HeaderLookupIsCaseInsensitive) {
  Request request;
  request.headers = {{"X-Request-Id", "abc"}, {"content-type", "Text/Plain ; charset=utf-8"}};
  EXPECT_EQ(request.header("x-request-id"), "abc");
  EXPECT_TRUE(request.has_header("CONTENT-TYPE"));
  EXPECT_FALSE(request.has_header("Authorization"));
  EXPECT_EQ(request.header("Authorization"), "");
  EXPECT_EQ(request.media_type(), "text/plain");
}

TEST(Message, ErrorIsJsonEnvelopeWithEscaping) {
  const auto response = Response::error(404, "not_found", "no \"route\"\n");
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"error":{"status":404,"code":"not_found","message":"no \"route\"\n"}})");
}

TEST(Message, TextAndJsonFactories) {
  EXPECT_EQ(Response::json(201, "{}").status, 201u);
  const auto text = Response::text(200, "hi");
  EXPECT_THAT(text.content_type, HasSubstr("text/plain"));
  EXPECT_EQ(to_string(Method::delete_), "DELETE");
}

}  // namespace
}  // namespace va::http

namespace va::http {
namespace {

Request get_request(std::string path) {
  Request r;
  r.method = Method::get;
  r.path = std::move(path);
  return r;
}

TEST(RouterPatterns, ABraceSegmentMatchesOneNonEmptySegmentAndExactRoutesRegisteredFirstWin) {
  Router router;
  router.add(Method::get, "/v1/calls/counts", [](const Request&) { return Response::text(200, "counts"); });
  router.add(Method::get, "/v1/calls/{id}", [](const Request&) { return Response::text(200, "one"); });
  router.add(Method::post, "/v1/calls/{id}/hangup",
             [](const Request&) { return Response::text(202, "bye"); });
  auto body = [&](const std::string& path) {
    auto m = router.match(get_request(path));
    return m.handler ? (*m.handler)(get_request(path)).body : "status " + std::to_string(m.status);
  };
  EXPECT_EQ(body("/v1/calls/counts"), "counts");
  EXPECT_EQ(body("/v1/calls/0af3"), "one");
  EXPECT_EQ(body("/v1/calls/"), "status 404");
  EXPECT_EQ(body("/v1/calls"), "status 404");
  EXPECT_EQ(body("/v1/calls/a/b"), "status 404");
  EXPECT_EQ(body("/v2/calls/a"), "status 404");
  EXPECT_EQ(body("/v1/calls/a/hangup"), "status 405") << "POST only";
  EXPECT_EQ(router.match(get_request("/v1/calls/a/hangup")).allow, "POST");
}

TEST(QueryParameters, AreSplitDecodedAndMalformedEscapesRefused) {
  auto q = parse_query("state=ended&number=%2B7916&name=a+b&empty=&flag&state=active");
  EXPECT_TRUE(q.error.empty());
  EXPECT_EQ(q.values["state"], "active") << "the last of a repeated name";
  EXPECT_EQ(q.values["number"], "+7916");
  EXPECT_EQ(q.values["name"], "a b");
  EXPECT_EQ(q.values["empty"], "");
  EXPECT_EQ(q.values.count("flag"), 1u);
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "%g1=x"})
    EXPECT_FALSE(parse_query(bad).error.empty()) << bad;
  EXPECT_TRUE(parse_query("").values.empty());
  EXPECT_EQ(decode_query_component("%D0%B4%D0%B0"), "да");
}

}  // namespace
}  // namespace va::http
