#include "common/env_substitution.hpp"

#include <gtest/gtest.h>

#include <map>

namespace va {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvSubstitution, ReplacesVariablesAndDefaults) {
  auto env = env_of({{"HOST", "lk.example.com"}, {"EMPTY", ""}});
  EXPECT_EQ(substitute_env("wss://${HOST}:443", env).value, "wss://lk.example.com:443");
  EXPECT_EQ(substitute_env("${MISSING:-fallback}", env).value, "fallback");
  EXPECT_EQ(substitute_env("${EMPTY:-fallback}", env).value, "fallback");
  EXPECT_EQ(substitute_env("${HOST:-x}", env).value, "lk.example.com");
  EXPECT_EQ(substitute_env("${MISSING:-}", env).value, "");
  EXPECT_EQ(substitute_env("a${HOST}b${HOST}c", env).value, "alk.example.comblk.example.comc");
}

TEST(EnvSubstitution, KeepsLiteralDollars) {
  auto env = env_of({});
  EXPECT_EQ(substitute_env("pa$$word", env).value, "pa$word");
  EXPECT_EQ(substitute_env("pa$word", env).value, "pa$word");
  EXPECT_EQ(substitute_env("cost: 5$", env).value, "cost: 5$");
  EXPECT_TRUE(substitute_env("$${NOT_A_VAR}", env).errors.empty());
  EXPECT_EQ(substitute_env("$${NOT_A_VAR}", env).value, "${NOT_A_VAR}");
}

TEST(EnvSubstitution, ReportsProblems) {
  auto env = env_of({});
  auto unset = substitute_env("${API_SECRET}", env);
  ASSERT_EQ(unset.errors.size(), 1u);
  EXPECT_NE(unset.errors[0].find("API_SECRET is not set"), std::string::npos);
  EXPECT_EQ(substitute_env("${UNTERMINATED", env).errors.size(), 1u);
  EXPECT_EQ(substitute_env("${1BAD}", env).errors.size(), 1u);
  EXPECT_EQ(substitute_env("${}", env).errors.size(), 1u);
}

TEST(EnvSubstitution, RecordsWhichVariablesWereUsed) {
  auto sub = substitute_env("${A}-${B:-x}", env_of({{"A", "1"}}));
  EXPECT_EQ(sub.used, std::vector<std::string>{"A"});
}

}  // namespace
}  // namespace va
