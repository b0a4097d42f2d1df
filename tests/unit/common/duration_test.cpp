#include "common/duration.hpp"

#include <gtest/gtest.h>

namespace va {
namespace {
using namespace std::chrono_literals;

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("60s"), Duration(60s));
  EXPECT_EQ(parse_duration("1m"), Duration(1min));
  EXPECT_EQ(parse_duration("500ms"), Duration(500ms));
  EXPECT_EQ(parse_duration("2h"), Duration(2h));
  EXPECT_EQ(parse_duration("1m30s"), Duration(90s));
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
  EXPECT_EQ(parse_duration(" 10s "), Duration(10s));
  EXPECT_EQ(parse_duration("0s"), Duration(0ms));
  EXPECT_EQ(parse_duration("30d"), Duration(24h * 30));
  EXPECT_EQ(parse_duration("1d12h"), Duration(36h));
  EXPECT_EQ(parse_duration("0"), Duration(0ms));  // zero needs no unit
}

TEST(Duration, RejectsAmbiguousOrMalformedText) {
  for (const char* bad :
       {"", "60", "s", "10 s", "10sec", "-1s", "1.s", "1e3s", "99999999999999h", "1m 30s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(60s), "1m");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(3h), "3h");
  EXPECT_EQ(format_duration(0ms), "0s");
  for (auto d : {Duration(1), Duration(999), Duration(61'000), Duration(3'601'000)}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

TEST(ByteSize, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_byte_size("1MiB")->bytes, 1048576u);
  EXPECT_EQ(parse_byte_size("512KiB")->bytes, 524288u);
  EXPECT_EQ(parse_byte_size("64KB")->bytes, 64000u);
  EXPECT_EQ(parse_byte_size("65536")->bytes, 65536u);
  EXPECT_EQ(parse_byte_size("1 mib")->bytes, 1048576u);
  EXPECT_EQ(parse_byte_size("1.5KiB")->bytes, 1536u);
  for (const char* bad : {"", "MiB", "1XB", "-1", "0.3B", "1e30GiB"})
    EXPECT_FALSE(parse_byte_size(bad)) << bad;
  EXPECT_EQ(format_byte_size({1048576}), "1MiB");
  EXPECT_EQ(format_byte_size({1000}), "1000");
}

}  // namespace
}  // namespace va
