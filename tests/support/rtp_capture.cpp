#include "support/rtp_capture.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "support/external_tool.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, separator)) fields.push_back(field);
  if (!line.empty() && line.back() == separator) fields.emplace_back();
  return fields;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> tokens;
  std::istringstream in(line);
  for (std::string token; in >> token;) tokens.push_back(token);
  return tokens;
}

std::string endpoint(const std::string& ip, const std::string& port) {
  return ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;
}

// tshark's rtp.payload: hex with or without ':' between bytes depending on its version; separators never
// split a byte.
void append_hex(const std::string& text, std::vector<std::uint8_t>& bytes) {
  int high = -1;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const int nibble = std::isxdigit(u) != 0 ? (std::isdigit(u) != 0 ? c - '0' : (c | 0x20) - 'a' + 10) : -1;
    if (nibble < 0) {
      high = -1;
      continue;
    }
    if (high < 0) {
      high = nibble;
    } else {
      bytes.push_back(static_cast<std::uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
}

std::uint16_t to_port(const std::string& text) {
  try {
    return static_cast<std::uint16_t>(std::stoul(text));
  } catch (const std::exception&) {
    return 0;
  }
}

// One data row of `tshark -q -z rtp,streams`:
//   start end src_ip src_port dst_ip dst_port ssrc payload... pkts lost (lost%) min_delta mean_delta
//   max_delta min_jitter mean_jitter max_jitter [X]
// The payload name may contain spaces, so the row is read from both ends.
std::optional<RtpStreamStats> parse_stream_row(const std::string& line) {
  auto tokens = words(line);
  if (tokens.size() < 17 || tokens[6].rfind("0x", 0) != 0) return std::nullopt;
  RtpStreamStats stream;
  if (tokens.back() == "X") {
    stream.problems = true;
    tokens.pop_back();
  }
  const std::size_t n = tokens.size();
  if (n < 17 || tokens[n - 7].empty() || tokens[n - 7].front() != '(') return std::nullopt;
  try {
    stream.source = endpoint(tokens[2], tokens[3]);
    stream.source_port = to_port(tokens[3]);
    stream.destination = endpoint(tokens[4], tokens[5]);
    stream.destination_port = to_port(tokens[5]);
    stream.ssrc = static_cast<std::uint32_t>(std::stoul(tokens[6], nullptr, 16));
    for (std::size_t i = 7; i < n - 9; ++i) stream.payload += (i > 7 ? " " : "") + tokens[i];
    stream.packets = std::stoul(tokens[n - 9]);
    stream.lost = std::stol(tokens[n - 8]);
    stream.max_delta_ms = std::stod(tokens[n - 4]);
    stream.mean_jitter_ms = std::stod(tokens[n - 2]);
    stream.max_jitter_ms = std::stod(tokens[n - 1]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return stream;
}

// UDP ports that tshark hands to a dissector by port number before any heuristic runs.
const std::set<std::uint16_t>& ports_with_registered_dissectors() {
  static std::once_flag once;
  static std::set<std::uint16_t> ports;
  std::call_once(once, [] {
    auto run = run_tool({"tshark", "-G", "decodes"}, 60s);
    std::istringstream rows(run.out);
    for (std::string line; std::getline(rows, line);) {
      const auto f = split(line, '\t');
      if (f.size() >= 2 && f[0] == "udp.port") ports.insert(to_port(f[1]));
    }
  });
  return ports;
}

}  // namespace

bool RtpCapture::available() {
  return find_program("tshark").has_value();
}

RtpCapture::RtpCapture(RtpCaptureOptions options) : options_(std::move(options)), directory_("rtp-capture") {
  if (options_.first_port == 0 || options_.last_port < options_.first_port) {
    throw std::invalid_argument("RtpCapture: bad port range");
  }
  file_ = directory_ / "capture.pcapng";
  const std::string filter =
      "udp portrange " + std::to_string(options_.first_port) + "-" + std::to_string(options_.last_port);
  tshark_ = std::make_unique<Process>(std::vector<std::string>{
      "tshark", "-n", "-i", options_.interface, "-f", filter, "-a",
      "duration:" + std::to_string(options_.max_duration.count()), "-w", file_.string()});
  // dumpcap reports "Capture started." once the interface is open and the filter installed; tshark only
  // says "Capturing on ..." a little earlier.
  if (!tshark_->wait_for_output("Capture started", Stream::err, 10s) &&
      !tshark_->wait_for_output("Capturing on", Stream::err, 100ms)) {
    const auto status = stop();
    throw std::runtime_error("RtpCapture: tshark did not start capturing (" + status.describe() + ")\n" +
                             tshark_output());
  }
}

RtpCapture::~RtpCapture() {
  stop();
}

ExitStatus RtpCapture::stop() {
  if (exit_) return *exit_;
  if (!tshark_) return ExitStatus{};
  tshark_->send_signal(SIGINT);
  exit_ = tshark_->wait_for_exit(10s);
  return *exit_;
}

std::string RtpCapture::tshark_output() const {
  return tshark_ ? tail(tshark_->stderr_text() + tshark_->stdout_text(), 3000) : std::string();
}

std::vector<std::string> RtpCapture::read_command() const {
  std::vector<std::string> command{"tshark", "-n", "-r", file_.string(), "--enable-heuristic", "rtp_udp"};
  const auto ports_text = run_tool_or_throw({"tshark", "-n", "-r", file_.string(), "-T", "fields", "-E",
                                             "separator=,", "-e", "udp.srcport", "-e", "udp.dstport"},
                                            60s);
  std::set<std::uint16_t> ports;
  std::istringstream rows(ports_text);
  for (std::string line; std::getline(rows, line);) {
    for (const auto& field : split(line, ',')) ports.insert(to_port(field));
  }
  const auto& claimed = ports_with_registered_dissectors();
  for (auto port : ports) {
    // RTP on even ports, RTCP on the odd one above (RFC 3550 §11), as the harness and the peers allocate.
    if (port != 0 && claimed.contains(port))
      command.insert(command.end(),
                     {"-d", "udp.port==" + std::to_string(port) + (port % 2 == 0 ? ",rtp" : ",rtcp")});
  }
  return command;
}

RtpCaptureSummary RtpCapture::summary() const {
  RtpCaptureSummary summary;
  const std::vector<std::string> flows_command{
      "tshark", "-n",       "-r", file_.string(), "-T", "fields", "-E", "separator=,", "-e", "ip.src",
      "-e",     "ipv6.src", "-e", "udp.srcport",  "-e", "ip.dst", "-e", "ipv6.dst",    "-e", "udp.dstport"};
  std::map<std::tuple<std::string, std::string, std::uint16_t, std::uint16_t>, std::size_t> counts;
  std::istringstream flows(run_tool_or_throw(flows_command, 60s));
  for (std::string line; std::getline(flows, line);) {
    const auto f = split(line, ',');
    if (f.size() < 6 || f[2].empty() || f[5].empty()) continue;
    const auto& src_ip = f[0].empty() ? f[1] : f[0];
    const auto& dst_ip = f[3].empty() ? f[4] : f[3];
    ++counts[{endpoint(src_ip, f[2]), endpoint(dst_ip, f[5]), to_port(f[2]), to_port(f[5])}];
  }
  for (const auto& [key, packets] : counts) {
    const auto& [source, destination, source_port, destination_port] = key;
    summary.flows.push_back(UdpFlow{source, destination, source_port, destination_port, packets});
  }

  auto streams_command = read_command();
  streams_command.insert(streams_command.end(), {"-q", "-z", "rtp,streams"});
  std::istringstream streams(run_tool_or_throw(streams_command, 60s));
  for (std::string line; std::getline(streams, line);) {
    if (auto stream = parse_stream_row(line)) summary.streams.push_back(*stream);
  }
  return summary;
}

std::vector<CapturedRtpPacket> RtpCapture::packets(std::uint16_t source_port,
                                                   std::optional<int> payload_type) const {
  std::string filter = "rtp && udp.srcport == " + std::to_string(source_port);
  if (payload_type) filter += " && rtp.p_type == " + std::to_string(*payload_type);
  auto command = read_command();
  command.insert(command.end(), {"-Y", filter, "-T", "fields", "-E", "separator=;", "-e",
                                 "frame.time_relative", "-e", "rtp.payload"});
  std::vector<CapturedRtpPacket> packets;
  std::istringstream rows(run_tool_or_throw(command, 60s));
  for (std::string line; std::getline(rows, line);) {
    const auto fields = split(line, ';');
    if (fields.size() < 2) continue;
    CapturedRtpPacket packet;
    try {
      packet.time = std::chrono::duration<double>(std::stod(fields[0]));
    } catch (const std::exception&) {
      continue;
    }
    append_hex(fields[1], packet.payload);
    packets.push_back(std::move(packet));
  }
  return packets;
}

std::vector<std::uint8_t> RtpCapture::payload(std::uint16_t source_port,
                                              std::optional<int> payload_type) const {
  std::vector<std::uint8_t> bytes;
  for (const auto& packet : packets(source_port, payload_type))
    bytes.insert(bytes.end(), packet.payload.begin(), packet.payload.end());
  return bytes;
}

std::size_t RtpCapture::write_payload(const std::filesystem::path& file, std::uint16_t source_port,
                                      std::optional<int> payload_type) const {
  const auto bytes = payload(source_port, payload_type);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("RtpCapture: cannot write " + file.string());
  return bytes.size();
}

std::vector<TelephoneEvent> RtpCapture::telephone_events(std::uint16_t source_port, int payload_type) const {
  const std::string filter = "rtp && udp.srcport == " + std::to_string(source_port) +
                             " && rtp.p_type == " + std::to_string(payload_type);
  auto command = read_command();
  command.insert(command.end(), {"-Y", filter, "-T", "fields", "-E", "separator=;", "-e", "rtp.timestamp",
                                 "-e", "rtp.marker", "-e", "rtp.payload"});
  std::vector<TelephoneEvent> events;
  std::istringstream rows(run_tool_or_throw(command, 60s));
  for (std::string line; std::getline(rows, line);) {
    const auto fields = split(line, ';');
    if (fields.size() < 3) continue;
    std::vector<std::uint8_t> payload;
    append_hex(fields[2], payload);
    if (payload.size() < 4) continue;  // §2.3: event, E|R|volume, duration (16 bits)
    std::uint32_t timestamp = 0;
    try {
      timestamp = static_cast<std::uint32_t>(std::stoul(fields[0]));
    } catch (const std::exception&) {
      continue;
    }
    auto event = std::find_if(events.begin(), events.end(),
                              [&](const TelephoneEvent& e) { return e.timestamp == timestamp; });
    if (event == events.end()) {
      static constexpr char kDigits[] = "0123456789*#ABCD";
      TelephoneEvent fresh;
      fresh.code = payload[0];
      fresh.digit = payload[0] < 16 ? kDigits[payload[0]] : '?';
      fresh.timestamp = timestamp;
      events.push_back(fresh);
      event = events.end() - 1;
    }
    ++event->packets;
    event->marker = event->marker || fields[1] == "1" || fields[1] == "True";
    event->ended = event->ended || (payload[1] & 0x80) != 0;
    event->duration =
        std::max<std::uint32_t>(event->duration, static_cast<std::uint32_t>(payload[2] << 8 | payload[3]));
  }
  return events;
}

std::string describe(const std::vector<TelephoneEvent>& events) {
  if (events.empty()) return "(no RFC 4733 events)";
  std::string text;
  for (const auto& e : events) {
    text += (text.empty() ? "" : ", ") + std::string(1, e.digit) + " (ts " + std::to_string(e.timestamp) +
            ", " + std::to_string(e.packets) + " packets" + (e.marker ? ", M" : "") + (e.ended ? ", E" : "") +
            ", duration " + std::to_string(e.duration) + ")";
  }
  return text;
}

std::string digits_of(const std::vector<TelephoneEvent>& events) {
  std::string digits;
  for (const auto& e : events) digits += e.digit;
  return digits;
}

bool RtpStreamStats::carries(const std::string& payload_name) const {
  std::istringstream names(payload);
  for (std::string name; std::getline(names, name, ',');) {
    const auto first = name.find_first_not_of(' ');
    if (first != std::string::npos && name.substr(first) == payload_name) return true;
  }
  return false;
}

std::size_t RtpCaptureSummary::packets_from(std::uint16_t port) const {
  std::size_t total = 0;
  for (const auto& flow : flows) {
    if (flow.source_port == port) total += flow.packets;
  }
  return total;
}

std::size_t RtpCaptureSummary::packets_to(std::uint16_t port) const {
  std::size_t total = 0;
  for (const auto& flow : flows) {
    if (flow.destination_port == port) total += flow.packets;
  }
  return total;
}

std::optional<RtpStreamStats> RtpCaptureSummary::stream_from(std::uint16_t source_port,
                                                             const std::string& payload) const {
  std::optional<RtpStreamStats> best;
  for (const auto& stream : streams) {
    if (stream.source_port != source_port || (!payload.empty() && !stream.carries(payload))) continue;
    if (!best || stream.packets > best->packets) best = stream;
  }
  return best;
}

std::string RtpCaptureSummary::describe() const {
  std::string text = "UDP flows:\n";
  for (const auto& flow : flows) {
    text +=
        "  " + flow.source + " -> " + flow.destination + ": " + std::to_string(flow.packets) + " packets\n";
  }
  text += "RTP streams:\n";
  for (const auto& s : streams) {
    char row[256];
    std::snprintf(row, sizeof row, "  %s -> %s ssrc 0x%08X %s: %zu packets, lost %ld, max jitter %.3f ms%s\n",
                  s.source.c_str(), s.destination.c_str(), s.ssrc, s.payload.c_str(), s.packets, s.lost,
                  s.max_jitter_ms, s.problems ? " (problems)" : "");
    text += row;
  }
  return text;
}

}  // namespace va::test
