#include "common/config_overrides.hpp"

#include <gtest/gtest.h>

namespace va::config {
namespace {

YAML::Node apply(const std::string& yaml, const std::string& spec, std::string* error = nullptr) {
  YAML::Node root = YAML::Load(yaml);
  std::string e;
  auto target = parse_override(spec, e);
  if (target) e = apply_override(root, *target);
  if (error) *error = e;
  return root;
}

TEST(ConfigOverrides, SetsNestedScalarsCreatingMappings) {
  auto root = apply("http: {listen: 1.2.3.4:80}\n", "http.listen=127.0.0.1:18080");
  EXPECT_EQ(root["http"]["listen"].as<std::string>(), "127.0.0.1:18080");
  root = apply("{}\n", "security.rate_limit.burst=5");
  EXPECT_EQ(root["security"]["rate_limit"]["burst"].as<std::string>(), "5");
}

TEST(ConfigOverrides, AddressesAndAppendsListItems) {
  auto root = apply("sip: {listen: [udp://0.0.0.0:5060]}\n", "sip.listen[0]=udp://127.0.0.1:5070");
  EXPECT_EQ(root["sip"]["listen"][0].as<std::string>(), "udp://127.0.0.1:5070");
  root = apply("sip: {listen: [udp://0.0.0.0:5060]}\n", "sip.listen[1]=tcp://127.0.0.1:5070");
  ASSERT_EQ(root["sip"]["listen"].size(), 2u);
  root = apply("sip: {trunks: [{name: a}]}\n", "sip.trunks[0].port=5080");
  EXPECT_EQ(root["sip"]["trunks"][0]["port"].as<std::string>(), "5080");
  EXPECT_EQ(root["sip"]["trunks"][0]["name"].as<std::string>(), "a");
}

TEST(ConfigOverrides, KeepsValuesLiteralExceptFlowCollections) {
  auto root = apply("{}\n", "http.listen=[::1]:8080");
  EXPECT_EQ(root["http"]["listen"].as<std::string>(), "[::1]:8080");
  root = apply("{}\n", "agent.greeting=Hello: world");
  EXPECT_EQ(root["agent"]["greeting"].as<std::string>(), "Hello: world");
  root = apply("{}\n", "security.cors.allowed_origins=[https://a.example, https://b.example]");
  EXPECT_EQ(root["security"]["cors"]["allowed_origins"].size(), 2u);
  root = apply("{}\n", "agent.voice=");
  EXPECT_EQ(root["agent"]["voice"].as<std::string>(), "");
}

TEST(ConfigOverrides, RejectsBadSpecsAndImpossiblePaths) {
  std::string error;
  apply("{}\n", "no-equals-sign", &error);
  EXPECT_NE(error.find("key.path=value"), std::string::npos);
  apply("{}\n", "a..b=1", &error);
  EXPECT_FALSE(error.empty());
  apply("{}\n", "a[x]=1", &error);
  EXPECT_NE(error.find("index must be a number"), std::string::npos);
  apply("sip: {listen: [a]}\n", "sip.listen[3]=b", &error);
  EXPECT_NE(error.find("would leave a gap"), std::string::npos);
  apply("http: {listen: x}\n", "http.listen.port=1", &error);
  EXPECT_NE(error.find("not a mapping"), std::string::npos);
  apply("sip: {listen: x}\n", "sip.listen[0]=1", &error);
  EXPECT_NE(error.find("not a list"), std::string::npos);
}

}  // namespace
}  // namespace va::config
