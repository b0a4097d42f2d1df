// Call recording's configuration: routes' `record`, routing.outbound.record and the `recording` section
// (dir beside the configuration file, retention with days, 0 for forever), and their mistakes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/config.hpp"
#include "unit/common/config_diagnostics.hpp"

namespace va::config {
namespace {

using test::errors;
using test::has_error;

using namespace std::chrono_literals;

LoadResult load(const std::string& text, const std::string& base_directory = "/etc/voice-agent") {
  LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  options.base_directory = base_directory;
  return load_string(text, options);
}

TEST(ConfigRecording, OffByDefaultWithThirtyDaysBesideTheConfiguration) {
  auto r = load("routing:\n  inbound:\n    - {match: \"*\", flow: main}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config.routing.inbound[0].record, RecordMode::off);
  EXPECT_EQ(r.config.routing.outbound.record, RecordMode::off);
  EXPECT_EQ(r.config.recording.dir, "/etc/voice-agent/recordings");
  EXPECT_EQ(r.config.recording.retention, Duration(24h * 30));
}

TEST(ConfigRecording, RoutesChooseStereoOrSplitAndTheSectionItsPlaceAndRetention) {
  auto r = load(R"(routing:
  inbound:
    - {match: "100", flow: main, record: stereo}
    - {match: "200", flow: main, record: split}
    - {match: "*", flow: main, record: off}
  outbound:
    record: stereo
recording:
  dir: /var/lib/voice-agent/recordings
  retention: 90d
)");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config.routing.inbound[0].record, RecordMode::stereo);
  EXPECT_EQ(r.config.routing.inbound[1].record, RecordMode::split);
  EXPECT_EQ(r.config.routing.inbound[2].record, RecordMode::off);
  EXPECT_EQ(r.config.routing.outbound.record, RecordMode::stereo);
  EXPECT_EQ(r.config.recording.dir, "/var/lib/voice-agent/recordings");
  EXPECT_EQ(r.config.recording.retention, Duration(24h * 90));
  EXPECT_NE(to_yaml(r.config).find("record: split"), std::string::npos);

  auto forever = load("recording:\n  dir: rec\n  retention: 0\n");
  ASSERT_TRUE(forever.ok()) << errors(forever);
  EXPECT_EQ(forever.config.recording.retention, Duration(0));
  EXPECT_EQ(forever.config.recording.dir, "/etc/voice-agent/rec");
}

TEST(ConfigRecording, MistakesNameTheirPath) {
  auto r = load(R"(routing:
  inbound:
    - {match: "100", flow: main, record: mono}
  outbound:
    record: yes
recording:
  dir: ""
  retention: 10m
)");
  EXPECT_TRUE(has_error(r, "routing.inbound[0].record", "stereo")) << errors(r);
  EXPECT_TRUE(has_error(r, "routing.outbound.record", "split")) << errors(r);
  EXPECT_TRUE(has_error(r, "recording.dir", "must not be empty")) << errors(r);
  EXPECT_TRUE(has_error(r, "recording.retention", "0 to keep forever, or 1h to 3650d")) << errors(r);
  auto unitless = load("recording:\n  retention: 30\n");
  EXPECT_TRUE(has_error(unitless, "recording.retention", "add a unit")) << errors(unitless);
}

}  // namespace
}  // namespace va::config
