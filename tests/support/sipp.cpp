#include "support/sipp.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/external_tool.hpp"

#ifndef VA_SIPP_SCENARIO_DIR
#error "VA_SIPP_SCENARIO_DIR must name the directory of the harness's SIPp scenarios"
#endif

namespace va::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSippMediaDir = "/usr/share/sip-tester";

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, separator)) fields.push_back(field);
  return fields;
}

// The header and the last data row of a SIPp CSV file (';'-separated; SIPp rewrites nothing, it appends a
// row per -fd period and one at the end).
std::map<std::string, std::string> last_csv_row(const std::string& text) {
  std::istringstream in(text);
  std::string header;
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (header.empty()) {
      header = line;
    } else {
      last = line;
    }
  }
  std::map<std::string, std::string> row;
  if (last.empty()) return row;
  const auto names = split(header, ';');
  const auto values = split(last, ';');
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!names[i].empty()) row[names[i]] = values[i];
  }
  return row;
}

long number(const std::map<std::string, std::string>& row, const std::string& name) {
  const auto it = row.find(name);
  if (it == row.end()) return 0;
  try {
    return std::stol(it->second);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string duration_ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + "ms";
}

std::string format_rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", rate);
  return text;
}

std::string host_for_uri(const std::string& ip) {
  return ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
}

bool has_data_row(const std::filesystem::path& csv) {
  const auto text = read_text_file(csv);
  const auto first_end = text.find('\n');
  return first_end != std::string::npos && text.find(';', first_end) != std::string::npos;
}

}  // namespace

bool Sipp::available() {
  return find_program("sipp").has_value();
}

std::filesystem::path sipp_scenario(const std::string& file_name) {
  return std::filesystem::path(VA_SIPP_SCENARIO_DIR) / file_name;
}

SippOptions sipp_callee(SippCallee callee) {
  SippOptions options;
  options.scenario_file = std::move(callee.scenario_file);
  options.keys = std::move(callee.keys);
  options.max_calls = callee.max_calls;
  options.call_duration = callee.pause;
  options.global_timeout = callee.lifetime;
  options.trace_counts = callee.trace_counts;
  return options;
}

std::string SippStatistics::describe() const {
  char text[640];
  std::snprintf(
      text, sizeof text,
      "calls created %ld (in %ld, out %ld), open %ld, successful %ld, failed %ld "
      "(unexpected message %ld, max UDP retrans %ld, recv timeout %ld, rejected %ld, TCP closed %ld, "
      "TCP connect %ld, cannot send %ld), retransmissions %ld, out-of-call messages %ld, "
      "dead-call messages %ld, warnings %ld, fatal errors %ld",
      total_calls, incoming_calls, outgoing_calls, current_calls, successful_calls, failed_calls,
      failed_unexpected_message, failed_max_udp_retrans, failed_timeout_on_recv, failed_call_rejected,
      failed_tcp_closed, failed_tcp_connect, failed_cannot_send, retransmissions, out_of_call_messages,
      dead_call_messages, warnings, fatal_errors);
  return text;
}

long SippResult::count(const std::string& counter) const {
  const auto it = message_counts.find(counter);
  return it == message_counts.end() ? 0 : it->second;
}

std::string SippResult::describe() const {
  std::string text = "SIPp in " + directory.string() + ": " + exit.describe() + "\n";
  text += statistics ? "statistics: " + statistics->describe() + "\n" : "statistics: none written\n";
  if (!error_log.empty()) text += "--- error log ---\n" + tail(error_log, 3000) + "\n";
  if (!screen.empty()) {
    // The scenario screen (messages sent/received, retransmissions, timeouts, unexpected, per scenario
    // step) comes first; the statistics and repartition screens after it repeat what is above.
    const auto statistics_screen = screen.find("- Statistics Screen -");
    const auto end =
        statistics_screen == std::string::npos ? screen.size() : screen.rfind('\n', statistics_screen);
    text += "--- scenario screen ---\n" + screen.substr(0, std::min<std::size_t>(end, 3000)) + "\n";
  }
  if (!output.empty()) text += "--- output ---\n" + tail(output, 1500) + "\n";
  if (!message_trace.empty()) text += "--- message trace ---\n" + tail(message_trace, 4000) + "\n";
  return text;
}

Sipp::Sipp(SippOptions options) : options_(std::move(options)), directory_("sipp") {
  if (options_.builtin_scenario.empty() == options_.scenario_file.empty()) {
    throw std::invalid_argument("Sipp: set exactly one of builtin_scenario and scenario_file");
  }
  const auto protocol = options_.transport == SipTransport::tcp ? PortProtocol::tcp : PortProtocol::udp;
  local_port_ = options_.local_port;
  if (local_port_ == 0) {
    local_reservation_ = reserve_port(protocol);
    local_port_ = local_reservation_.port();
  }
  media_port_ = options_.media_port;
  if (media_port_ == 0) {
    media_reservation_ = reserve_rtp_ports(4);  // audio RTP/RTCP at -mp, "video" at -mp+2
    media_port_ = media_reservation_.first();
  }
  control_reservation_ = reserve_port(PortProtocol::udp);

  std::error_code ignored;
  std::filesystem::create_directory_symlink(kSippMediaDir, directory_ / "pcap", ignored);
  for (const auto& link : options_.links) {
    const auto name = directory_ / link.first;
    std::filesystem::create_directories(name.parent_path());
    std::filesystem::create_symlink(std::filesystem::absolute(link.second), name);
  }

  argv_ = {"sipp"};
  if (!options_.remote.empty()) argv_.push_back(options_.remote);
  if (!options_.builtin_scenario.empty()) {
    argv_.insert(argv_.end(), {"-sn", options_.builtin_scenario});
  } else {
    argv_.insert(argv_.end(), {"-sf", std::filesystem::absolute(options_.scenario_file).string()});
  }
  const std::string media_ip = options_.media_ip.empty() ? options_.local_ip : options_.media_ip;
  argv_.insert(argv_.end(), {"-i",
                             options_.local_ip,
                             "-p",
                             std::to_string(local_port_),
                             "-bind_local",
                             "-t",
                             options_.transport == SipTransport::tcp ? "t1" : "u1",
                             "-mi",
                             media_ip,
                             "-mp",
                             std::to_string(media_port_),
                             "-ci",
                             "127.0.0.1",
                             "-cp",
                             std::to_string(control_reservation_.port()),
                             "-nostdin",
                             "-timeout",
                             std::to_string(options_.global_timeout.count()) + "s",
                             "-trace_stat",
                             "-stf",
                             (directory_ / "stats.csv").string(),
                             "-trace_err",
                             "-error_file",
                             (directory_ / "errors.log").string(),
                             "-trace_screen",
                             "-screen_file",
                             (directory_ / "screen.log").string()});
  if (options_.trace_messages) {
    argv_.insert(argv_.end(), {"-trace_msg", "-message_file", (directory_ / "messages.log").string()});
  }
  if (options_.trace_counts) argv_.push_back("-trace_counts");  // <scenario>_<pid>_counts.csv in the cwd
  if (!options_.service.empty()) argv_.insert(argv_.end(), {"-s", options_.service});
  if (options_.call_rate) argv_.insert(argv_.end(), {"-r", format_rate(*options_.call_rate)});
  if (options_.call_limit) argv_.insert(argv_.end(), {"-l", std::to_string(*options_.call_limit)});
  if (options_.max_calls) argv_.insert(argv_.end(), {"-m", std::to_string(*options_.max_calls)});
  if (options_.call_duration) argv_.insert(argv_.end(), {"-d", duration_ms(*options_.call_duration)});
  if (options_.recv_timeout)
    argv_.insert(argv_.end(), {"-recv_timeout", duration_ms(*options_.recv_timeout)});
  if (options_.rtp_echo) argv_.push_back("-rtp_echo");
  if (!options_.auth_user.empty()) argv_.insert(argv_.end(), {"-au", options_.auth_user});
  if (!options_.auth_password.empty()) argv_.insert(argv_.end(), {"-ap", options_.auth_password});
  for (const auto& [name, value] : options_.keys) argv_.insert(argv_.end(), {"-key", name, value});
  argv_.insert(argv_.end(), options_.extra_args.begin(), options_.extra_args.end());

  process_ = std::make_unique<Process>(ProcessOptions{argv_, {}, {}, directory_.path().string()});

  // The statistics file gets its first row when the traffic thread starts, after every socket is bound.
  const auto deadline = Clock::now() + 10s;
  while (!has_data_row(directory_ / "stats.csv")) {
    if (!process_->running() || Clock::now() >= deadline) {
      const auto status = stop_process(1s);
      result_ = collect(status);
      throw std::runtime_error("Sipp: " + command_line(argv_) + "\ndid not start its scenario\n" +
                               result_->describe());
    }
    std::this_thread::sleep_for(20ms);
  }
}

Sipp::~Sipp() {
  if (!result_ && process_) stop_process(2s);
}

std::string Sipp::address() const {
  return host_for_uri(options_.local_ip) + ":" + std::to_string(local_port_);
}

std::string Sipp::uri(const std::string& user) const {
  return "sip:" + (user.empty() ? std::string() : user + "@") + address();
}

std::string Sipp::message_trace() const {
  return read_text_file(directory_ / "messages.log");
}

bool Sipp::wait_for_message(const std::string& substring, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (message_trace().find(substring) == std::string::npos) {
    if (result_ || Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

SippResult Sipp::run(SippOptions options, std::chrono::milliseconds timeout) {
  Sipp sipp(std::move(options));
  return sipp.wait(timeout);
}

SippResult Sipp::wait(std::chrono::milliseconds timeout) {
  if (result_) return *result_;
  const auto deadline = Clock::now() + timeout;
  while (process_->running() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  if (process_->running()) {
    auto status = stop_process(3s);
    status.timed_out = true;
    result_ = collect(status);
  } else {
    result_ = collect(process_->wait_for_exit(0ms));
  }
  return *result_;
}

SippResult Sipp::stop(std::chrono::milliseconds grace) {
  if (result_) return *result_;
  result_ = collect(stop_process(grace));
  return *result_;
}

ExitStatus Sipp::stop_process(std::chrono::milliseconds grace) {
  if (!process_->running()) return process_->wait_for_exit(0ms);
  process_->send_signal(SIGUSR1);  // no new calls; exit when the open ones are done
  const auto deadline = Clock::now() + grace;
  while (process_->running() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  if (process_->running()) process_->send_signal(SIGUSR1);  // abort the open calls, still dump statistics
  return process_->wait_for_exit(3s);
}

SippResult Sipp::collect(ExitStatus exit) const {
  SippResult result;
  result.exit = exit;
  result.directory = directory_.path();
  const auto row = last_csv_row(read_text_file(directory_ / "stats.csv"));
  if (!row.empty()) {
    SippStatistics s;
    s.total_calls = number(row, "TotalCallCreated");
    s.incoming_calls = number(row, "IncomingCall(C)");
    s.outgoing_calls = number(row, "OutgoingCall(C)");
    s.current_calls = number(row, "CurrentCall");
    s.successful_calls = number(row, "SuccessfulCall(C)");
    s.failed_calls = number(row, "FailedCall(C)");
    s.failed_unexpected_message = number(row, "FailedUnexpectedMessage(C)");
    s.failed_max_udp_retrans = number(row, "FailedMaxUDPRetrans(C)");
    s.failed_timeout_on_recv = number(row, "FailedTimeoutOnRecv(C)");
    s.failed_call_rejected = number(row, "FailedCallRejected(C)");
    s.failed_tcp_closed = number(row, "FailedTcpClosed(C)");
    s.failed_tcp_connect = number(row, "FailedTcpConnect(C)");
    s.failed_cannot_send = number(row, "FailedCannotSendMessage(C)");
    s.out_of_call_messages = number(row, "OutOfCallMsgs(C)");
    s.dead_call_messages = number(row, "DeadCallMsgs(C)");
    s.retransmissions = number(row, "Retransmissions(C)");
    s.auto_answered = number(row, "AutoAnswered(C)");
    s.warnings = number(row, "Warnings(C)");
    s.fatal_errors = number(row, "FatalErrors(C)");
    s.fields = row;
    result.statistics = std::move(s);
  }
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(directory_.path(), ignored)) {
    const auto name = entry.path().filename().string();
    if (name.size() > 11 && name.ends_with("_counts.csv")) {
      for (const auto& [counter, value] : last_csv_row(read_text_file(entry.path()))) {
        if (counter == "CurrentTime" || counter == "ElapsedTime") continue;
        try {
          result.message_counts[counter] = std::stol(value);
        } catch (const std::exception&) {
        }
      }
    }
  }
  result.error_log = read_text_file(directory_ / "errors.log");
  result.message_trace = read_text_file(directory_ / "messages.log");
  result.screen = read_text_file(directory_ / "screen.log");
  // stdout is SIPp's refreshing screen; the tail of it is the last state, stderr has fatal errors.
  result.output = tail(process_->stderr_text(), 1500) + tail(process_->stdout_text(), 1500);
  return result;
}

}  // namespace va::test
