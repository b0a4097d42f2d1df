// A real peer: SIPp (Debian sip-tester) sends OPTIONS over UDP and over TCP to a transaction layer running
// in this process, whose TU answers 200. SIPp must count every call as successful (exit code 0), write its
// statistics, and report no unexpected messages. Loopback only; ports chosen by the kernel; bounded by -m
// and -timeout.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sip/identifiers.hpp"
#include "sip_harness.hpp"
#include "support/process.hpp"

namespace va::sip::test {
namespace {

namespace fs = std::filesystem;

bool sipp_available() {
  return std::system("command -v sipp >/dev/null 2>&1") == 0;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of a column in the last row of SIPp's -trace_stat CSV (semicolon separated, header first).
std::optional<long> stat_value(const std::string& csv, const std::string& column) {
  std::istringstream lines(csv);
  std::string header, row, last;
  std::getline(lines, header);
  while (std::getline(lines, row))
    if (!row.empty()) last = row;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ';')) out.push_back(item);
    return out;
  };
  auto names = split(header);
  auto values = split(last);
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i)
    if (names[i] == column) return std::strtol(values[i].c_str(), nullptr, 10);
  return std::nullopt;
}

struct SippRun {
  va::test::ExitStatus status;
  std::string stats;
  std::string errors;
  std::string output;
};

SippRun run_sipp(const Endpoint& target, const std::string& transport_mode, int calls) {
  fs::path dir = fs::temp_directory_path() / ("va-sipp-" + random_hex(6));
  fs::create_directories(dir);
  fs::path stats = dir / "stats.csv";
  fs::path errors = dir / "errors.log";
  std::string scenario = std::string(VA_SIP_TRANSACTION_TEST_DIR) + "/options_uac.xml";
  va::test::ProcessOptions options;
  options.argv = {"sipp",
                  target.to_string(),
                  "-sf",
                  scenario,
                  "-i",
                  "127.0.0.1",
                  "-t",
                  transport_mode,
                  "-m",
                  std::to_string(calls),
                  "-r",
                  "20",
                  "-l",
                  "5",
                  "-nostdin",
                  "-timeout",
                  "20s",
                  "-timeout_error",
                  "-trace_stat",
                  "-stf",
                  stats.string(),
                  "-fd",
                  "1",
                  "-trace_err",
                  "-error_file",
                  errors.string()};
  options.working_directory = dir.string();
  va::test::Process sipp(options);
  SippRun run;
  run.status = sipp.wait_for_exit(30s);
  run.stats = read_file(stats);
  run.errors = fs::exists(errors) ? read_file(errors) : std::string();
  run.output = sipp.stdout_text() + sipp.stderr_text();
  fs::remove_all(dir);
  return run;
}

struct AnsweringLayer {
  AnsweringLayer() {
    user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage&) { t.respond(200); };
    layer = std::make_unique<TransactionLayer>(
        io.io(), layer_options({"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}), user, &metrics);
    auto error = layer->start();
    EXPECT_FALSE(error) << *error;
  }
  ~AnsweringLayer() { layer->stop(); }
  Endpoint point(TransportKind transport) const {
    for (const auto& p : layer->listening_points())
      if (p.transport == transport) return p.local;
    return {};
  }

  IoRunner io;  // first in, last out: handles the TU keeps hold the io_context's strand
  RecordingUser user;
  metrics::Registry metrics;
  std::unique_ptr<TransactionLayer> layer;
};

void expect_all_successful(const SippRun& run, int calls) {
  EXPECT_TRUE(run.status.exited_with(0)) << run.status.describe() << "\n" << run.output << "\n" << run.errors;
  EXPECT_EQ(stat_value(run.stats, "SuccessfulCall(C)"), calls) << run.stats;
  EXPECT_EQ(stat_value(run.stats, "FailedCall(C)"), 0) << run.stats;
  EXPECT_EQ(run.errors.find("Aborting"), std::string::npos) << run.errors;
  EXPECT_EQ(run.errors.find("unexpected"), std::string::npos) << run.errors;
}

TEST(SipSipp, OptionsOverUdpAreAnswered200) {
  if (!sipp_available()) GTEST_SKIP() << "sipp (Debian sip-tester) is not installed";
  AnsweringLayer sut;
  auto run = run_sipp(sut.point(TransportKind::udp), "u1", 10);
  expect_all_successful(run, 10);
  EXPECT_EQ(sut.user.count(RecordingUser::Kind::request), 10u);
}

TEST(SipSipp, OptionsOverTcpAreAnswered200) {
  if (!sipp_available()) GTEST_SKIP() << "sipp (Debian sip-tester) is not installed";
  AnsweringLayer sut;
  auto run = run_sipp(sut.point(TransportKind::tcp), "t1", 10);
  expect_all_successful(run, 10);
  auto request = sut.user.wait_for(RecordingUser::Kind::request, 10);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->flow.transport, TransportKind::tcp);
  // -t t1: one connection for all calls; the layer answered over it.
  auto first = sut.user.wait_for(RecordingUser::Kind::request, 1);
  EXPECT_EQ(first->flow.connection_id, request->flow.connection_id);
}

}  // namespace
}  // namespace va::sip::test
