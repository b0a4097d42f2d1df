// `voice-agent flow validate` as an operator uses it: the shipped flows pass, a broken flow lists every
// mistake with its path and line and exits 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/binary.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;

TEST(FlowCli, ShippedFlowsValidate) {
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/config/flows")) {
    auto r = run({"flow", "validate", entry.path().string()});
    EXPECT_TRUE(r.status.exited_with(0)) << entry.path() << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("valid"));
    EXPECT_EQ(r.err, "") << "a shipped flow has no warnings either";
  }
}

TEST(FlowCli, BrokenFlowListsEveryMistakeAndExitsTwo) {
  auto r = run({"flow", "validate", source_dir() + "/tests/data/flows/broken.yaml"});
  EXPECT_TRUE(r.status.exited_with(2)) << r.status.describe();
  EXPECT_THAT(r.err,
              HasSubstr("error: states.menu.listen.intents[0].next: unknown state 'opertor' (did you mean "
                        "'operator'?) (line 16)"));
  EXPECT_THAT(r.err, HasSubstr("error: states.greeting.say: no 'en' prompt"));
  EXPECT_THAT(r.err, HasSubstr("error: states.menu.listen.no_input.timeout: unknown key"));
  EXPECT_THAT(r.err, HasSubstr("warning: states.orphan: state 'orphan' is unreachable"));
  EXPECT_THAT(r.err, HasSubstr("8 errors"));
}

TEST(FlowCli, JsonOutput) {
  auto r = run({"flow", "validate", "--json", source_dir() + "/tests/data/flows/broken.yaml"});
  EXPECT_TRUE(r.status.exited_with(2));
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_FALSE(doc["valid"].get<bool>());
  EXPECT_EQ(doc["errors"].size(), 8u);
  EXPECT_EQ(doc["errors"][1]["line"], 16);
}

TEST(FlowCli, MissingFileAndMissingArgument) {
  auto r = run({"flow", "validate", "/nonexistent/flow.yaml"});
  EXPECT_TRUE(r.status.exited_with(2));
  EXPECT_THAT(r.err, HasSubstr("cannot read flow file"));
  EXPECT_TRUE(run({"flow", "validate"}).status.exited_with(2));
  EXPECT_TRUE(run({"flow", "validate", "--help"}).status.exited_with(0));
}

}  // namespace
}  // namespace va::test
