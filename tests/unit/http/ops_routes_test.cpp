// /healthz, /readyz and /metrics served by a real Server on loopback, queried with a real HTTP client:
// readiness follows the component states (503 while any is starting or failed, and while draining).
#include "http/ops_routes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server.hpp"
#include "support/http_client.hpp"

namespace va::http {
namespace {

using ::testing::HasSubstr;

class OpsRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    Router router;
    add_ops_routes(router, health_, metrics_);
    ServerOptions options;
    options.listen = {"127.0.0.1:0"};
    server_ = std::make_unique<Server>(io_, options, std::move(router), metrics_);
    server_->start();
    base_ = "http://" + server_->local_endpoints().at(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    server_->abort_connections();
    io_.stop();
    thread_.join();
  }

  HealthRegistry health_;
  metrics::Registry metrics_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::string base_;
  test::HttpClient client_;
};

TEST_F(OpsRoutes, ReadinessFollowsComponentStates) {
  auto r = client_.get(base_ + "/readyz");
  EXPECT_EQ(r.status, 503) << "no component has reported yet";

  health_.set("http", ComponentState::ready);
  health_.set("sip", ComponentState::starting, "registering");
  r = client_.get(base_ + "/readyz");
  EXPECT_EQ(r.status, 503);
  auto doc = nlohmann::json::parse(r.body);
  EXPECT_EQ(doc["status"], "not_ready");
  EXPECT_EQ(doc["components"]["sip"]["state"], "starting");
  EXPECT_EQ(doc["components"]["sip"]["detail"], "registering");

  health_.set("sip", ComponentState::degraded, "1 of 2 trunks registered");
  r = client_.get(base_ + "/readyz");
  EXPECT_EQ(r.status, 200) << "degraded still serves calls";

  health_.set("sip", ComponentState::failed, "registrar unreachable");
  EXPECT_EQ(client_.get(base_ + "/readyz").status, 503);

  health_.set("sip", ComponentState::ready);
  EXPECT_EQ(client_.get(base_ + "/readyz").status, 200);
  health_.set_draining(true);
  r = client_.get(base_ + "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "draining");
  // Liveness is independent of readiness.
  EXPECT_EQ(client_.get(base_ + "/healthz").status, 200);
}

TEST_F(OpsRoutes, MetricsCountTheRequestsThatWereServed) {
  health_.set("http", ComponentState::ready);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client_.get(base_ + "/healthz").status, 200);
  auto r = client_.get(base_ + "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.header("Content-Type").value_or(""), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(r.body, HasSubstr(R"(http_requests_total{route="/healthz",method="GET",status="200"} 3)"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE http_request_duration_seconds histogram"));
}

}  // namespace
}  // namespace va::http
