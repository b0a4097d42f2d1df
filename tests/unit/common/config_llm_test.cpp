// agent.llm: its defaults, the key as a secret from LLM_API_KEY, the model required with openai, the ranges,
// and the declarations the model acts on (business tools, transfer targets, the failure transfer) checked
// before a call is taken.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config.hpp"
#include "unit/common/config_diagnostics.hpp"

namespace va::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using ::testing::HasSubstr;
using ::testing::Not;

LoadResult load(const std::string& text, std::optional<std::string> key = std::nullopt) {
  return test::load_with_env(text, "LLM_API_KEY", std::move(key));
}

TEST(ConfigLlm, DefaultsAndTheKeyFromTheEnvironmentMasked) {
  auto r =
      load("agent:\n  engines: {llm: openai}\n  llm: {model: gpt-4o-mini}\n", "sk-llm-from-env-0123456789");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& llm = r.config.agent.llm;
  EXPECT_EQ(llm.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(llm.api_key, "sk-llm-from-env-0123456789");
  EXPECT_EQ(llm.concurrency, 16);
  EXPECT_EQ(llm.timeout, Duration(8s));
  EXPECT_EQ(llm.max_tokens, 200);
  EXPECT_EQ(llm.max_turns, 30);
  EXPECT_THAT(r.secrets, ::testing::Contains("sk-llm-from-env-0123456789"));
  EXPECT_THAT(to_yaml(r.config), Not(HasSubstr("sk-llm-from-env")));
}

TEST(ConfigLlm, OpenaiNeedsAModelAndAnHttpBaseUrl) {
  EXPECT_THAT(errors(load("agent:\n  engines: {llm: openai}\n")), HasSubstr("model is required"));
  EXPECT_THAT(errors(load("agent:\n  engines: {llm: openai}\n  llm: {model: m, base_url: \"ftp://x\"}\n")),
              HasSubstr("is not an http(s) URL"));
}

TEST(ConfigLlm, OutOfRangeValuesAreErrorsNamingTheKey) {
  for (const char* bad : {"concurrency: 0", "concurrency: 1000", "temperature: 3", "timeout: 100ms",
                          "max_tokens: 5", "context: 100"}) {
    auto r = load(std::string("agent:\n  llm: {") + bad + "}\n");
    EXPECT_FALSE(r.ok()) << bad;
    const std::string key(bad, std::string_view(bad).find(':'));
    EXPECT_THAT(errors(r), HasSubstr("agent.llm." + key)) << bad;
  }
}

TEST(ConfigLlm, ToolsAndTransferTargetsAreCheckedBeforeACall) {
  auto good = load(R"(agent:
  llm:
    transfer_targets: [{name: operator, target: "sip:100@pbx"}]
    failure_transfer: operator
    tools:
      - name: order_status
        description: Look up an order
        url: https://crm.example.com/orders
        parameters: [{name: number, type: string}]
)");
  ASSERT_TRUE(good.ok()) << errors(good);
  ASSERT_EQ(good.config.agent.llm.tools.size(), 1u);
  EXPECT_EQ(good.config.agent.llm.tools[0].method, "POST");
  EXPECT_EQ(good.config.agent.llm.tools[0].parameters.at(0).name, "number");

  EXPECT_THAT(errors(load("agent:\n  llm:\n    failure_transfer: boss\n")),
              HasSubstr("'boss' is not one of transfer_targets"));
  EXPECT_THAT(
      errors(load("agent:\n  llm:\n    transfer_targets: [{name: a, target: x}, {name: a, target: y}]\n")),
      HasSubstr("listed twice"));
  EXPECT_THAT(errors(load("agent:\n  llm:\n    tools: [{name: t, description: d, url: \"file:///etc\"}]\n")),
              HasSubstr("is not an http(s) URL"));
}

}  // namespace
}  // namespace va::config
