// Log line rendering (JSON and console), levels, context fields, masking of rendered lines and line
// atomicity across threads.
#include "common/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using va::log::Format;
using va::log::Level;

const std::regex kIsoTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
const std::regex kConsoleTimestamp(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3})");

class LogOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    va::log::set_output_for_testing([this](std::string_view line) { lines_.emplace_back(line); });
    use(Format::json);
  }
  void TearDown() override {
    va::log::set_output_for_testing(nullptr);
    va::log::init({});
  }

  static void use(Format format, Level level = Level::info, bool mask_phone_numbers = true) {
    va::log::init({.level = level, .format = format, .mask_phone_numbers = mask_phone_numbers});
  }

  nlohmann::json single_json_line() const {
    EXPECT_EQ(lines_.size(), 1u);
    return nlohmann::json::parse(lines_.at(0));
  }

  std::vector<std::string> lines_;
};

TEST_F(LogOutput, JsonLineStartsWithTimestampLevelAndMessageFollowedByTypedFields) {
  va::log::info("call started", {{"call_id", "c-1"}, {"turns", 3}, {"ratio", 0.25}, {"barge_in", true}});

  const nlohmann::json line = single_json_line();
  EXPECT_TRUE(std::regex_match(line.at("ts").get<std::string>(), kIsoTimestamp)) << line.at("ts");
  EXPECT_EQ(line.at("level"), "info");
  EXPECT_EQ(line.at("msg"), "call started");
  EXPECT_EQ(line.at("call_id"), "c-1");
  EXPECT_TRUE(line.at("turns").is_number_integer());
  EXPECT_EQ(line.at("turns"), 3);
  EXPECT_DOUBLE_EQ(line.at("ratio").get<double>(), 0.25);
  EXPECT_EQ(line.at("barge_in"), true);

  const std::string& text = lines_[0];
  EXPECT_EQ(text.rfind(R"({"ts":")", 0), 0u) << text;
  EXPECT_LT(text.find(R"("level":)"), text.find(R"("msg":)"));
  EXPECT_LT(text.find(R"("msg":)"), text.find(R"("call_id":)"));
  EXPECT_LT(text.find(R"("call_id":)"), text.find(R"("turns":)"));
}

TEST_F(LogOutput, SpecialCharactersRoundTripAndTheEventStaysOnOneLine) {
  const std::string message = "quote \" backslash \\ newline \n tab \t ctrl \x01 text: привет";
  va::log::warn(message, {{"detail", "line1\r\nline2"}});

  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  const nlohmann::json line = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(line.at("level"), "warn");
  EXPECT_EQ(line.at("msg"), message);
  EXPECT_EQ(line.at("detail"), "line1\r\nline2");
}

TEST_F(LogOutput, InvalidUtf8IsReplacedInsteadOfBreakingTheLine) {
  va::log::error("peer sent \xff\xfe bytes", {{"raw", "\xc3"}});

  const nlohmann::json line = single_json_line();
  EXPECT_EQ(line.at("msg"), "peer sent \xEF\xBF\xBD\xEF\xBF\xBD bytes");  // U+FFFD twice
  EXPECT_EQ(line.at("level"), "error");
}

TEST_F(LogOutput, NonFiniteNumbersBecomeNull) {
  va::log::info("x", {{"nan", std::numeric_limits<double>::quiet_NaN()}, {"inf", HUGE_VAL}});

  const nlohmann::json line = single_json_line();
  EXPECT_TRUE(line.at("nan").is_null());
  EXPECT_TRUE(line.at("inf").is_null());
}

TEST_F(LogOutput, LinesBelowTheConfiguredLevelAreDropped) {
  EXPECT_FALSE(va::log::enabled(Level::debug));
  EXPECT_TRUE(va::log::enabled(Level::info));
  va::log::debug("hidden");
  va::log::trace("hidden");
  va::log::info("shown");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines_[0]).at("msg"), "shown");

  use(Format::json, Level::debug);
  va::log::debug("now shown");
  EXPECT_EQ(lines_.size(), 2u);

  use(Format::json, Level::off);
  va::log::error("hidden");
  va::log::write(Level::critical, "hidden");
  EXPECT_EQ(lines_.size(), 2u);
  EXPECT_FALSE(va::log::enabled(Level::critical));

  use(Format::json, Level::trace);
  EXPECT_FALSE(va::log::enabled(Level::off));
  va::log::write(Level::off, "never written");
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(LogOutput, ConsoleLineIsTimestampPaddedLevelMessageAndKeyValues) {
  use(Format::console);
  va::log::info("call started", {{"call_id", "c-1"},
                                 {"note", "two words"},
                                 {"n", 42},
                                 {"ok", false},
                                 {"ratio", 0.5},
                                 {"empty", ""},
                                 {"q", "say \"hi\""}});
  va::log::warn("slow");
  va::log::error("failed\nbadly");

  ASSERT_EQ(lines_.size(), 3u);
  const std::string ts = lines_[0].substr(0, 23);
  EXPECT_TRUE(std::regex_match(ts, kConsoleTimestamp)) << lines_[0];
  EXPECT_EQ(
      lines_[0].substr(23),
      R"( INFO  call started call_id=c-1 note="two words" n=42 ok=false ratio=0.5 empty="" q="say \"hi\"")");
  EXPECT_EQ(lines_[1].substr(23), " WARN  slow");
  EXPECT_EQ(lines_[2].substr(23), R"( ERROR failed\nbadly)");
}

TEST_F(LogOutput, SecretsAndPhoneNumbersAreMaskedInMessageAndFieldsButNotInTheTimestamp) {
  va::log::add_secret("livekit-secret-0001");
  va::log::info("using livekit-secret-0001 for +79991234567", {{"password", "hunter2"},
                                                               {"callee", "+14155550100"},
                                                               {"hdr", "Authorization: Bearer abc123"},
                                                               {"port", 5060}});

  const nlohmann::json line = single_json_line();
  EXPECT_TRUE(std::regex_match(line.at("ts").get<std::string>(), kIsoTimestamp));
  EXPECT_EQ(line.at("msg"), "using *** for +79*******67");
  EXPECT_EQ(line.at("password"), "***");
  EXPECT_EQ(line.at("callee"), "+14*******00");
  EXPECT_EQ(line.at("hdr"), "Authorization: ***");
  EXPECT_EQ(line.at("port"), 5060);
}

TEST_F(LogOutput, ConsoleLinesAreMaskedToo) {
  use(Format::console);
  va::log::info("dial", {{"to", "+79991234567"}, {"token", "abc123"}, {"auth", "Bearer xyz-789 extra"}});

  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].substr(23), R"( INFO  dial to=+79*******67 token=*** auth="Bearer *** extra")");
}

TEST_F(LogOutput, PhoneMaskingCanBeTurnedOff) {
  use(Format::json, Level::info, false);
  va::log::info("dial", {{"to", "+79991234567"}, {"password", "hunter2"}});

  const nlohmann::json line = single_json_line();
  EXPECT_EQ(line.at("to"), "+79991234567");
  EXPECT_EQ(line.at("password"), "***");
}

TEST_F(LogOutput, LoggerContextIsOnEveryLineAndALaterValueOfAKeyWins) {
  const va::log::Logger call({{"call_id", "c-1"}, {"leg", "sip"}});
  const va::log::Logger turn = call.with({{"turn", 2}});
  turn.info("speaking", {{"leg", "livekit"}});
  call.debug("hidden at info");
  call.error("hangup");

  ASSERT_EQ(lines_.size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(first.at("call_id"), "c-1");
  EXPECT_EQ(first.at("turn"), 2);
  EXPECT_EQ(first.at("leg"), "livekit");
  EXPECT_EQ(lines_[0].find(R"("leg")"), lines_[0].rfind(R"("leg")")) << "key written twice: " << lines_[0];
  EXPECT_LT(lines_[0].find(R"("leg")"), lines_[0].find(R"("turn")"));

  const nlohmann::json second = nlohmann::json::parse(lines_[1]);
  EXPECT_EQ(second.at("call_id"), "c-1");
  EXPECT_EQ(second.at("leg"), "sip");
  EXPECT_FALSE(second.contains("turn"));
}

TEST_F(LogOutput, FieldsNamedLikeReservedKeysAreRenamed) {
  va::log::info("real", {{"msg", "fake"}, {"level", "x"}, {"ts", "y"}});

  const nlohmann::json line = single_json_line();
  EXPECT_EQ(line.at("msg"), "real");
  EXPECT_EQ(line.at("level"), "info");
  EXPECT_EQ(line.at("_msg"), "fake");
  EXPECT_EQ(line.at("_level"), "x");
  EXPECT_EQ(line.at("_ts"), "y");
}

TEST_F(LogOutput, AutomaticFormatIsConsoleOnATerminalAndJsonOtherwise) {
  use(Format::automatic);
  va::log::info("x");

  ASSERT_EQ(lines_.size(), 1u);
  if (::isatty(STDERR_FILENO) == 1) {
    EXPECT_TRUE(std::regex_match(lines_[0].substr(0, 23), kConsoleTimestamp)) << lines_[0];
  } else {
    EXPECT_TRUE(nlohmann::json::accept(lines_[0])) << lines_[0];
  }
}

TEST_F(LogOutput, ConcurrentWritersProduceOneCompleteLinePerEvent) {
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      const va::log::Logger logger({{"thread", t}});
      for (int i = 0; i < kLinesPerThread; ++i) logger.info("tick", {{"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();

  ASSERT_EQ(lines_.size(), static_cast<std::size_t>(kThreads * kLinesPerThread));
  std::vector<int> next(kThreads, 0);
  for (const std::string& text : lines_) {
    const nlohmann::json line = nlohmann::json::parse(text);
    const int t = line.at("thread");
    EXPECT_EQ(line.at("i"), next[static_cast<std::size_t>(t)]++);
  }
}

// The real output path: stderr redirected to a file, long lines from several threads.
TEST_F(LogOutput, StderrReceivesWholeLinesFromConcurrentThreads) {
  std::FILE* capture = std::tmpfile();
  ASSERT_NE(capture, nullptr);
  const int saved_stderr = ::dup(STDERR_FILENO);
  ASSERT_GE(saved_stderr, 0);
  ASSERT_GE(::dup2(::fileno(capture), STDERR_FILENO), 0);
  va::log::set_output_for_testing(nullptr);

  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 100;
  const std::string payload(6000, 'x');  // longer than PIPE_BUF
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&payload] {
      for (int i = 0; i < kLinesPerThread; ++i) va::log::info("bulk", {{"payload", payload}, {"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();

  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  std::rewind(capture);
  std::string text;
  std::vector<char> buf(1 << 16);
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), capture)) > 0;) text.append(buf.data(), n);
  std::fclose(capture);

  std::size_t count = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin);
    ASSERT_NE(end, std::string::npos) << "last line is not terminated";
    const nlohmann::json line = nlohmann::json::parse(text.substr(begin, end - begin));
    EXPECT_EQ(line.at("payload"), payload);
    ++count;
    begin = end + 1;
  }
  EXPECT_EQ(count, static_cast<std::size_t>(kThreads * kLinesPerThread));
}

TEST(LogLevelNames, ParseAndPrint) {
  Level level = Level::off;
  EXPECT_TRUE(va::log::parse_level("DEBUG", level));
  EXPECT_EQ(level, Level::debug);
  EXPECT_TRUE(va::log::parse_level("Warning", level));
  EXPECT_EQ(level, Level::warn);
  EXPECT_TRUE(va::log::parse_level("critical", level));
  EXPECT_EQ(level, Level::critical);
  EXPECT_TRUE(va::log::parse_level("off", level));
  EXPECT_EQ(level, Level::off);
  EXPECT_FALSE(va::log::parse_level("verbose", level));
  EXPECT_FALSE(va::log::parse_level("", level));
  EXPECT_EQ(level, Level::off);

  for (const Level l :
       {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::critical}) {
    Level parsed = Level::off;
    EXPECT_TRUE(va::log::parse_level(va::log::to_string(l), parsed));
    EXPECT_EQ(parsed, l);
  }
}

TEST(LogFormatNames, Parse) {
  Format format = Format::json;
  EXPECT_TRUE(va::log::parse_format("auto", format));
  EXPECT_EQ(format, Format::automatic);
  EXPECT_TRUE(va::log::parse_format("Console", format));
  EXPECT_EQ(format, Format::console);
  EXPECT_TRUE(va::log::parse_format("json", format));
  EXPECT_EQ(format, Format::json);
  EXPECT_FALSE(va::log::parse_format("xml", format));
  EXPECT_EQ(format, Format::json);
}

}  // namespace
