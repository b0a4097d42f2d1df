// Readiness rules and the /readyz body of HealthRegistry.
#include "common/health.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace {

using va::ComponentState;
using va::HealthRegistry;

TEST(HealthReadiness, NoComponentsMeansNotReady) {
  const HealthRegistry health;
  EXPECT_FALSE(health.ready());
  const auto body = nlohmann::json::parse(health.to_json());
  EXPECT_EQ(body.at("status"), "not_ready");
  EXPECT_TRUE(body.at("components").is_object());
  EXPECT_TRUE(body.at("components").empty());
}

TEST(HealthReadiness, ReadyAndDegradedComponentsAreReady) {
  HealthRegistry health;
  health.set("http", ComponentState::ready);
  EXPECT_TRUE(health.ready());
  health.set("trunk.exolve", ComponentState::degraded, "OPTIONS probe slow");
  EXPECT_TRUE(health.ready());
}

TEST(HealthReadiness, AnyStartingFailedOrStoppedComponentMakesItNotReady) {
  for (const ComponentState bad :
       {ComponentState::starting, ComponentState::failed, ComponentState::stopped}) {
    HealthRegistry health;
    health.set("http", ComponentState::ready);
    health.set("storage", bad);
    EXPECT_FALSE(health.ready()) << va::to_string(bad);
    health.set("storage", ComponentState::ready);
    EXPECT_TRUE(health.ready()) << va::to_string(bad);
  }
}

TEST(HealthReadiness, RemovingTheFailedComponentRestoresReadiness) {
  HealthRegistry health;
  health.set("http", ComponentState::ready);
  health.set("livekit", ComponentState::failed, "connection refused");
  EXPECT_FALSE(health.ready());
  health.remove("livekit");
  EXPECT_TRUE(health.ready());
  health.remove("not-registered");
  EXPECT_TRUE(health.ready());
}

TEST(HealthReadiness, DrainingIsNeverReady) {
  HealthRegistry health;
  health.set("http", ComponentState::ready);
  health.set_draining(true);
  EXPECT_TRUE(health.draining());
  EXPECT_FALSE(health.ready());
  EXPECT_EQ(nlohmann::json::parse(health.to_json()).at("status"), "draining");
  health.set_draining(false);
  EXPECT_TRUE(health.ready());
}

TEST(HealthReport, JsonBodyListsComponentsWithStateDetailAndSince) {
  HealthRegistry health;
  health.set("sip", ComponentState::degraded, "trunk \"exolve\" unreachable");
  health.set("http", ComponentState::ready);

  const std::string text = health.to_json();
  EXPECT_EQ(text.rfind(R"({"status":"ready","components":{)", 0), 0u) << text;
  const auto body = nlohmann::json::parse(text);
  const auto& sip = body.at("components").at("sip");
  EXPECT_EQ(sip.at("state"), "degraded");
  EXPECT_EQ(sip.at("detail"), "trunk \"exolve\" unreachable");
  EXPECT_TRUE(std::regex_match(sip.at("since").get<std::string>(),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
      << sip.at("since");
  EXPECT_EQ(body.at("components").at("http").at("detail"), "");
}

TEST(HealthReport, InvalidUtf8InDetailStillProducesValidJson) {
  HealthRegistry health;
  health.set("sip", ComponentState::failed, "peer said \xff");
  EXPECT_TRUE(nlohmann::json::accept(health.to_json()));
}

TEST(HealthReport, SinceChangesOnlyWhenTheStateChanges) {
  HealthRegistry health;
  health.set("http", ComponentState::starting);
  const auto started = health.components().at(0).since;
  health.set("http", ComponentState::starting, "binding 0.0.0.0:8080");
  EXPECT_EQ(health.components().at(0).since, started);
  EXPECT_EQ(health.components().at(0).detail, "binding 0.0.0.0:8080");
  health.set("http", ComponentState::ready);
  EXPECT_GE(health.components().at(0).since, started);
  EXPECT_EQ(health.components().at(0).state, ComponentState::ready);
  EXPECT_EQ(health.components().at(0).detail, "");
}

TEST(HealthReport, ComponentsAreListedByName) {
  HealthRegistry health;
  health.set("storage", ComponentState::ready);
  health.set("http", ComponentState::ready);
  health.set("livekit", ComponentState::starting);
  const auto components = health.components();
  ASSERT_EQ(components.size(), 3u);
  EXPECT_EQ(components[0].name, "http");
  EXPECT_EQ(components[1].name, "livekit");
  EXPECT_EQ(components[2].name, "storage");
}

TEST(HealthReport, StateNames) {
  EXPECT_EQ(va::to_string(ComponentState::starting), "starting");
  EXPECT_EQ(va::to_string(ComponentState::ready), "ready");
  EXPECT_EQ(va::to_string(ComponentState::degraded), "degraded");
  EXPECT_EQ(va::to_string(ComponentState::failed), "failed");
  EXPECT_EQ(va::to_string(ComponentState::stopped), "stopped");
}

}  // namespace
