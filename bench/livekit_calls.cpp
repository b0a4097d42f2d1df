// LiveKit calls (issue 11, docs/benchmarks.md "LiveKit"): in one run, inside a network namespace of its own
// (WebRTC never uses loopback), with a real livekit-server + Redis and the release `voice-agent serve` as the
// agent worker running bench/conversation_flow.yaml (every utterance answered with one short phrase):
//
//   1. ring time: sequential calls, each a room created with the agent in room_config.agents and a caller
//      joining as LiveKit's SIP bridge does (tests/python/livekit_caller.py). The agent's own ring_ms (job
//      assignment → first published frame) split by its log lines, and the caller's view: room created →
//      the first sample of the agent's track in the caller's recording, on one clock;
//   2. turn latency, LiveKit against direct SIP: the same WAV (scripts/lib/demo_caller.sh's assembly: 2 s of
//      silence, then utterances each followed by 4 s) played once by baresip over SIP to the same agent, and
//      once by the LiveKit caller. The agent's `turn latency` lines of each call, summarised by
//      bench/conversation_latency.py; for LiveKit also the caller's side: the end of each utterance in the
//      WAV (when playing started + its offset) → the agent's voice in the caller's recording;
//   3. concurrency: N simultaneous LiveKit calls at each level, each playing utterances; the voice-agent
//      process's CPU (utime + stime) and RSS sampled over the steady part, with the other processes of the
//      run (livekit-server, the Python callers) beside it; stops after the level whose p95 turn latency is
//      twice N=1's.
//
//   sudo build/release/bench/livekit_calls [--ring-calls 20] [--turns 20] [--levels "1 2 4"]
//       [--concurrent-turns 6] [--out DIR]
//
// Needs root (the namespace) and what scripts/setup installs (livekit-server, the Python SDK, baresip, sox).
// Every wait is bounded; nothing leaves the namespace. Prints Markdown; the logs stay in --out.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "livekit/room_service.hpp"
#include "livekit/twirp_client.hpp"
#include "support/agent_instance.hpp"
#include "support/audio_files.hpp"
#include "support/external_tool.hpp"
#include "support/livekit_caller.hpp"
#include "support/livekit_server.hpp"
#include "support/network_namespace.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using va::test::AgentInstance;
using va::test::LiveKitCaller;

namespace {

constexpr const char* kAgentName = "voice-agent-bench";
constexpr double kTrailingSilenceMs = 700;

struct Options {
  int ring_calls = 20;
  int turns = 20;
  std::vector<int> levels{1, 2, 4};
  int concurrent_turns = 6;
  fs::path out;
};

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Nearest rank, as bench/conversation_latency.py: every figure is one measured value.
double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(static_cast<double>(values.size()) * fraction));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

std::string fmt(double value) {
  if (std::isnan(value)) return "–";
  char text[32];
  std::snprintf(text, sizeof text, std::fabs(value) < 100 ? "%.1f" : "%.0f", value);
  return text;
}

std::string summary(const std::vector<double>& values) {
  return fmt(percentile(values, 0.5)) + " / " + fmt(percentile(values, 0.95)) + " / " +
         fmt(values.empty() ? NAN : *std::max_element(values.begin(), values.end()));
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// --- the agent's JSON log ------------------------------------------------------------------------------

// Unix seconds of a log line's "ts" ("2026-12-04T22:40:01.123Z", UTC).
std::optional<double> line_time(const json& line) {
  if (!line.contains("ts") || !line["ts"].is_string()) return std::nullopt;
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(line["ts"].get<std::string>().c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + millis / 1000.0;
}

std::vector<json> log_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto parsed = json::parse(line, nullptr, false);
    if (parsed.is_object()) lines.push_back(std::move(parsed));
  }
  return lines;
}

// The first line about `room` with message `msg`.
const json* find_line(const std::vector<json>& lines, const std::string& room, const std::string& msg) {
  for (const auto& line : lines)
    if (line.value("room", "") == room && line.value("msg", "") == msg) return &line;
  return nullptr;
}

// --- CPU and RSS from /proc ----------------------------------------------------------------------------

struct ProcSample {
  double cpu_seconds = 0;  // utime + stime
  double rss_mb = 0;
};

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  ProcSample sample;
};

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 22) return std::nullopt;  // fields[0] is stat's 3rd field (state)
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double page_mb = static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
  ProcStat stat;
  stat.pid = pid;
  stat.ppid = static_cast<pid_t>(std::stol(fields[1]));
  stat.comm = text.substr(open + 1, close - open - 1);
  stat.sample.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
  stat.sample.rss_mb = std::stod(fields[21]) * page_mb;
  return stat;
}

// This program's children by kind: the agent, livekit-server, Redis, the Python callers, the rest.
std::string kind_of(const ProcStat& stat, pid_t agent) {
  if (stat.pid == agent) return "voice-agent";
  // `go install` names the server binary after its package folder: `server`.
  if (stat.comm.starts_with("livekit") || stat.comm == "server") return "livekit-server";
  if (stat.comm.starts_with("redis")) return "redis";
  if (stat.comm.starts_with("python")) return "callers (Python SDK)";
  return "other";
}

std::map<std::string, ProcSample> sample_children(pid_t agent) {
  std::map<std::string, ProcSample> by_kind;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    auto stat = read_stat(static_cast<pid_t>(std::stol(name)));
    if (!stat || (stat->ppid != self && stat->pid != agent)) continue;
    auto& sum = by_kind[kind_of(*stat, agent)];
    sum.cpu_seconds += stat->sample.cpu_seconds;
    sum.rss_mb += stat->sample.rss_mb;
  }
  return by_kind;
}

// CPU (% of one core) and RSS (mean MB) of each kind over [start, end): one sample a second.
struct Usage {
  double cpu_percent = 0;
  double rss_mb = 0;
  double rss_max_mb = 0;
};
std::map<std::string, Usage> measure_usage(pid_t agent, std::chrono::steady_clock::time_point start,
                                           std::chrono::steady_clock::time_point end) {
  std::this_thread::sleep_until(start);
  auto first = sample_children(agent);
  auto first_time = std::chrono::steady_clock::now();
  std::map<std::string, std::vector<double>> rss;
  std::map<std::string, ProcSample> last = first;
  auto last_time = first_time;
  for (int i = 0; i < 3600 && std::chrono::steady_clock::now() + 1s <= end; ++i) {
    std::this_thread::sleep_for(1s);
    last = sample_children(agent);
    last_time = std::chrono::steady_clock::now();
    for (const auto& [kind, sample] : last) rss[kind].push_back(sample.rss_mb);
  }
  std::map<std::string, Usage> usage;
  const double seconds = std::chrono::duration<double>(last_time - first_time).count();
  for (const auto& [kind, sample] : last) {
    Usage u;
    if (seconds > 0 && first.count(kind))
      u.cpu_percent = 100.0 * (sample.cpu_seconds - first[kind].cpu_seconds) / seconds;
    const auto& values = rss[kind];
    if (!values.empty()) {
      for (double v : values) u.rss_mb += v / static_cast<double>(values.size());
      u.rss_max_mb = *std::max_element(values.begin(), values.end());
    }
    usage[kind] = u;
  }
  return usage;
}

// --- the caller's side -----------------------------------------------------------------------------------

struct SpokenTurn {
  double start = 0;  // seconds into the caller's WAV
  double end = 0;    // the end of the speech (-40 dBFS), demo_caller.sh's turns.txt
};

std::vector<SpokenTurn> read_turns(const fs::path& file) {
  std::vector<SpokenTurn> turns;
  std::ifstream in(file);
  std::string kind;
  SpokenTurn turn;
  while (in >> kind >> turn.start >> turn.end)
    if (kind == "say") turns.push_back(turn);
  return turns;
}

double rms(const va::test::WavAudio& audio, std::size_t first, std::size_t count) {
  double sum = 0;
  auto last = std::min(audio.samples.size(), first + count);
  for (auto i = first; i < last; ++i) sum += static_cast<double>(audio.samples[i]) * audio.samples[i];
  return last > first ? std::sqrt(sum / static_cast<double>(last - first)) / 32768.0 : 0.0;
}

// Per turn: the end of the caller's utterance (playing started + its end in the WAV) → the first 20 ms of
// the agent's track louder than -40 dBFS in the caller's recording before the next utterance starts.
std::vector<double> caller_side_latencies(LiveKitCaller& caller, const std::string& agent_identity,
                                          double play_started, const std::vector<SpokenTurn>& turns) {
  std::vector<double> latencies;
  auto heard = caller.recording(agent_identity);
  const auto rate = static_cast<double>(heard.audio.sample_rate);
  const auto window = static_cast<std::size_t>(rate / 50);
  for (std::size_t t = 0; t < turns.size(); ++t) {
    const double said = play_started + turns[t].end;
    const double limit = t + 1 < turns.size() ? play_started + turns[t + 1].start : said + 6.0;
    auto i = static_cast<std::size_t>(std::max(0.0, (said - heard.first_sample_time) * rate));
    for (; i + window <= heard.audio.samples.size(); i += window) {
      const double at = heard.first_sample_time + static_cast<double>(i) / rate;
      if (at >= limit) break;
      if (rms(heard.audio, i, window) > 0.01) {
        latencies.push_back((at - said) * 1000.0);
        break;
      }
    }
  }
  return latencies;
}

// --- the run -----------------------------------------------------------------------------------------------

class Bench {
 public:
  explicit Bench(Options options) : options_(std::move(options)) {}

  void run() {
    fs::create_directories(options_.out);
    std::cout << "machine: nproc " << ::sysconf(_SC_NPROCESSORS_ONLN) << ", load before: " << load_average()
              << "\nbinary: " << VA_BINARY << "\nresults and logs: " << options_.out.string() << "\n";
    server_.emplace(va::test::LiveKitServerOptions{.node_ip = va::test::private_network()->address});
    api_.emplace(va::livekit::ServerEndpoint{server_->url(), server_->api_key(), server_->api_secret()});
    build_wavs();
    start_agent();
    ring_time();
    turn_latency();
    concurrency();
    std::ofstream(options_.out / "agent.log") << agent_->log();
    std::ofstream(options_.out / "livekit-server.log") << server_->log();
    std::cout << "\nload after: " << load_average() << "\n";
    agent_->stop();
  }

 private:
  // demo_caller.sh's speech plan, assembled only (--wav-only): the same WAV baresip plays over SIP.
  std::vector<std::string> speech_plan(int count, int wait) const {
    static const char* phrases[] = {"Часы работы", "Какой у меня баланс", "Где вы находитесь",
                                    "Сколько стоит доставка", "Мне нужна помощь"};
    std::vector<std::string> plan;
    for (int i = 0; i < count; ++i)
      plan.insert(plan.end(), {"--say", phrases[i % 5], "--wait", std::to_string(wait)});
    return plan;
  }
  std::vector<std::string> caller_command(const fs::path& dir, int count, int wait) const {
    std::vector<std::string> argv = {std::string(VA_SOURCE_DIR) + "/scripts/lib/demo_caller.sh",
                                     "--agent-bin",
                                     VA_BINARY,
                                     "--lang",
                                     "ru",
                                     "--codec",
                                     "PCMA",
                                     "--out",
                                     dir.string(),
                                     "--lead",
                                     "2"};
    auto plan = speech_plan(count, wait);
    argv.insert(argv.end(), plan.begin(), plan.end());
    return argv;
  }

  void build_wavs() {
    for (auto [name, count, wait] :
         {std::tuple{"turns-wav", options_.turns, 4}, std::tuple{"load-wav", options_.concurrent_turns, 6}}) {
      auto argv = caller_command(options_.out / name, count, wait);
      argv.push_back("--wav-only");
      va::test::run_tool_or_throw(argv, 300s);
    }
  }

  void start_agent() {
    va::test::AgentInstanceOptions o;
    o.config_yaml = "livekit:\n  url: " + server_->ws_url() + "\n  api_key: " + server_->api_key() +
                    "\n  api_secret: " + server_->api_secret() + "\n  agent:\n    name: " + kAgentName +
                    "\n    max_calls: 16\n    drain_timeout: 5s\n"
                    "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: ru\n"
                    "agent:\n  language: ru\n";
    o.sip_transports = {"udp"};
    o.sets = {"logging.format=json",
              "logging.level=info",
              "logging.mask_phone_numbers=false",
              std::string("agent.flow_file=") + VA_SOURCE_DIR + "/bench/conversation_flow.yaml",
              "agent.conversation.trailing_silence=700ms",
              "sip.max_calls=64"};
    o.http_timeout = 60s;
    agent_ = std::make_unique<AgentInstance>(o);
    if (!agent_->ready()) throw std::runtime_error("voice-agent did not start:\n" + agent_->describe());
    if (!va::test::eventually([&] { return agent_->health_component("livekit_agent").state == "ready"; },
                              30s))
      throw std::runtime_error("the agent worker did not register:\n" + agent_->describe());
  }

  void create_room(const std::string& room) {
    va::livekit::RoomService rooms(*api_);
    va::livekit::CreateRoomRequest request;
    request.name = room;
    request.agents = {{kAgentName, ""}};
    auto created = rooms.create_room(request);
    if (!created.ok()) throw std::runtime_error("CreateRoom " + room + ": " + created.error().to_string());
  }

  std::unique_ptr<LiveKitCaller> join_caller(const std::string& room, int index) {
    va::test::SipCallerIdentity identity{
        .room = room, .phone_number = "+7900123" + std::to_string(1000 + index), .call_id = "SCL_" + room};
    return std::make_unique<LiveKitCaller>(
        va::test::LiveKitCallerOptions{.url = server_->ws_url(),
                                       .token = va::test::sip_caller_token(*server_, identity),
                                       .timeout = 600s,
                                       .publish_on_join = true});
  }

  static std::optional<json> agent_track_started(LiveKitCaller& caller) {
    return caller.wait_for_event("recording_started", 30s);
  }

  // Bounded: the agent logs a call's turns when it ends, a moment after the caller left.
  void wait_for_calls_ended(std::size_t total) {
    va::test::eventually([&] { return agent_->count_log_lines("\"msg\":\"room leg ended\"") >= total; }, 30s);
    std::this_thread::sleep_for(1s);
  }
  std::size_t rooms_ended() const { return agent_->count_log_lines("\"msg\":\"room leg ended\""); }

  fs::path save_log_since(std::size_t offset, const std::string& name) {
    auto path = options_.out / (name + "-agent.log");
    std::ofstream(path) << agent_->log().substr(offset);
    return path;
  }

  // One row of bench/conversation_latency.py for the agent's turn latency lines in `log`; its p95 total.
  std::pair<std::string, double> agent_side(const fs::path& log, const std::string& label) {
    auto run = va::test::run_tool({"python3", std::string(VA_SOURCE_DIR) + "/bench/conversation_latency.py",
                                   "--trailing-silence-ms", "700", "--label", label, log.string()});
    std::string row = run.out;
    while (!row.empty() && row.back() == '\n') row.pop_back();
    double p95 = NAN;
    std::vector<std::string> cells;
    std::stringstream cut(row);
    for (std::string cell; std::getline(cut, cell, '|');) cells.push_back(cell);
    if (cells.size() > 3) {
      auto slash = cells[3].find('/');
      if (slash != std::string::npos) p95 = std::atof(cells[3].c_str() + slash + 1);
    }
    return {row.empty() ? "| " + label + " | no measured turn |" : row, p95};
  }

  void ring_time() {
    std::cout << "\n### Ring time: " << options_.ring_calls << " sequential calls\n\n";
    struct Ring {
      std::string room;
      double created = 0, connected = 0, heard = 0;
    };
    std::vector<Ring> rings;
    const auto ended_before = rooms_ended();
    for (int i = 0; i < options_.ring_calls; ++i) {
      Ring ring{.room = "ring-" + std::to_string(i)};
      ring.created = wall_now();
      create_room(ring.room);
      auto caller = join_caller(ring.room, i);
      ring.connected = va::test::event_time(caller->connected_event());
      if (auto started = agent_track_started(*caller)) ring.heard = started->value("first_sample_time", 0.0);
      caller->leave();
      wait_for_calls_ended(ended_before + static_cast<std::size_t>(i) + 1);
      rings.push_back(ring);
    }
    auto lines = log_lines(agent_->log());
    std::vector<double> ring_ms, dispatch, connect, publish, caller_join, heard;
    std::ofstream per_call(options_.out / "ring.tsv");
    per_call << "room\tcreated→assigned\tassigned→joining\tjoining→joined\tjoined→first frame\tring_ms\t"
                "created→caller connected\tcreated→caller heard\n";
    for (const auto& r : rings) {
      auto at = [&](const char* msg) -> double {
        const json* line = find_line(lines, r.room, msg);
        return line ? line_time(*line).value_or(NAN) : NAN;
      };
      const double assigned = at("job assigned"), joining = at("joining LiveKit room"),
                   joined = at("joined LiveKit room"), first = at("first audio frame published");
      const json* track = find_line(lines, r.room, "livekit agent track published");
      const double ring = track ? track->value("ring_ms", NAN) : NAN;
      auto ms = [](double a, double b) { return (b - a) * 1000.0; };
      auto push = [](std::vector<double>& to, double v) {
        if (!std::isnan(v)) to.push_back(v);
      };
      push(ring_ms, ring);
      push(dispatch, ms(r.created, assigned));
      push(connect, ms(joining, joined));
      push(publish, ms(joined, first));
      push(caller_join, ms(r.created, r.connected));
      if (r.heard > 0) push(heard, ms(r.created, r.heard));
      per_call << r.room << '\t' << ms(r.created, assigned) << '\t' << ms(assigned, joining) << '\t'
               << ms(joining, joined) << '\t' << ms(joined, first) << '\t' << ring << '\t'
               << ms(r.created, r.connected) << '\t' << (r.heard > 0 ? ms(r.created, r.heard) : NAN) << '\n';
    }
    std::cout << "| measure (ms; log times have 1 ms resolution) | calls | p50 / p95 / max |\n|---|---|---|\n"
              << "| agent: ring_ms, job assigned → first published frame | " << ring_ms.size() << " | "
              << summary(ring_ms) << " |\n"
              << "| — of which joining → joined (ConnectRequest → connected) | " << connect.size() << " | "
              << summary(connect) << " |\n"
              << "| — of which joined → first frame published (publish + first capture) | " << publish.size()
              << " | " << summary(publish) << " |\n"
              << "| room created → job assigned (server dispatch) | " << dispatch.size() << " | "
              << summary(dispatch) << " |\n"
              << "| room created → caller connected (Python SDK join) | " << caller_join.size() << " | "
              << summary(caller_join) << " |\n"
              << "| room created → first sample of the agent's track at the caller | " << heard.size()
              << " | " << summary(heard) << " |\n";
  }

  void turn_latency() {
    std::cout << "\n### Turn latency: one call of " << options_.turns
              << " turns over SIP (baresip, PCMA) and one through LiveKit, same WAV, same agent\n\n";
    // SIP: baresip plays the WAV demo_caller.sh assembles again from the same plan.
    auto offset = agent_->log().size();
    auto sip_dir = options_.out / "sip-call";
    auto argv = caller_command(sip_dir, options_.turns, 4);
    argv.insert(argv.end(), {"--to", agent_->sip_uri("+79997654321"), "--timeout", "400"});
    const double sip_load = std::atof(load_average().c_str());
    auto sip = va::test::run_tool(argv, 420s);
    if (!sip.status.exited_with(0)) std::cerr << "the SIP call: " << sip.status.describe() << "\n" << sip.err;
    va::test::eventually([&] { return agent_->log().find("turn latency", offset) != std::string::npos; },
                         20s);
    std::this_thread::sleep_for(1s);
    auto sip_log = save_log_since(offset, "sip");

    // LiveKit: the same WAV (turns-wav holds what the SIP caller played, assembled alike).
    offset = agent_->log().size();
    const auto ended_before = rooms_ended();
    const double lk_load = std::atof(load_average().c_str());
    create_room("turns");
    auto caller = join_caller("turns", 100);
    auto started = agent_track_started(*caller);
    if (!started) throw std::runtime_error("no agent track in room turns:\n" + caller->log());
    const auto agent_identity = started->value("participant", std::string());
    const auto from = caller->event_count();
    caller->play(options_.out / "turns-wav" / "caller.wav");
    auto playing = caller->wait_for_event("play_started", 10s, from);
    const auto wav = va::test::read_wav(options_.out / "turns-wav" / "caller.wav");
    const auto seconds = static_cast<double>(wav.samples.size()) / wav.sample_rate;
    caller->wait_until_played(std::chrono::milliseconds(static_cast<int>(seconds * 1000) + 30'000));
    std::this_thread::sleep_for(1s);
    std::vector<double> heard;
    if (playing)
      heard = caller_side_latencies(*caller, agent_identity, playing->value("time", 0.0),
                                    read_turns(options_.out / "turns-wav" / "turns.txt"));
    caller->leave();
    wait_for_calls_ended(ended_before + 1);
    auto lk_log = save_log_since(offset, "livekit");

    char label[64];
    std::snprintf(label, sizeof label, "SIP, baresip PCMA (load %.2f)", sip_load);
    auto sip_row = agent_side(sip_log, label);
    std::snprintf(label, sizeof label, "LiveKit (load %.2f)", lk_load);
    auto lk_row = agent_side(lk_log, label);
    std::cout << "Agent side (`turn latency` lines, bench/conversation_latency.py), ms:\n\n";
    std::cout << va::test::run_tool(
                     {"python3", std::string(VA_SOURCE_DIR) + "/bench/conversation_latency.py", "--header"})
                     .out
              << sip_row.first << "\n"
              << lk_row.first << "\n\n";
    std::cout << "LiveKit / SIP, p95 total: " << fmt(lk_row.second / sip_row.second) << "\n\n";
    std::cout << "Caller side through LiveKit (end of the utterance in the played WAV → the agent's voice in "
                 "the caller's recording, -40 dBFS, one clock), ms: turns "
              << heard.size() << ", p50 / p95 / max " << summary(heard) << "\n";
  }

  void concurrency() {
    std::cout << "\n### Concurrent LiveKit calls: " << options_.concurrent_turns
              << " turns per call (6 s apart), CPU and RSS over the steady part\n\n";
    // The agent at rest, registered and holding no call: the baseline the per-call figures subtract.
    auto now = std::chrono::steady_clock::now();
    auto idle = measure_usage(agent_->process().pid(), now, now + 6s)["voice-agent"];
    std::cout << "voice-agent idle (worker registered, no call): CPU " << fmt(idle.cpu_percent)
              << " % of one core, RSS " << fmt(idle.rss_mb) << " MB\n\n";
    std::cout << "| N | load before | voice-agent CPU % (one core) | per call | voice-agent RSS MB (max) | "
                 "per call | livekit-server CPU % | callers CPU % | turns | agent total p50 / p95 | "
                 "caller side p50 / p95 / max |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::vector<std::string> agent_rows;
    const auto wav_path = options_.out / "load-wav" / "caller.wav";
    const auto wav = va::test::read_wav(wav_path);
    const auto wav_seconds = static_cast<double>(wav.samples.size()) / wav.sample_rate;
    const auto turns = read_turns(options_.out / "load-wav" / "turns.txt");
    double base_p95 = NAN;
    for (int n : options_.levels) {
      const auto load = load_average();
      auto offset = agent_->log().size();
      const auto ended_before = rooms_ended();
      std::vector<std::unique_ptr<LiveKitCaller>> callers;
      std::vector<std::string> identities;
      for (int i = 0; i < n; ++i) {
        const auto room = "load-" + std::to_string(n) + "-" + std::to_string(i);
        create_room(room);
        callers.push_back(join_caller(room, 200 + i));
      }
      for (auto& caller : callers) {
        auto started = agent_track_started(*caller);
        identities.push_back(started ? started->value("participant", std::string()) : std::string());
      }
      std::vector<std::size_t> from;
      for (auto& caller : callers) from.push_back(caller->event_count());
      for (auto& caller : callers) caller->play(wav_path);
      const auto play_start = std::chrono::steady_clock::now();
      // Steady: every caller is past the 2 s lead; the end leaves a second for the last answer.
      auto usage =
          measure_usage(agent_->process().pid(), play_start + 2s,
                        play_start + std::chrono::milliseconds(static_cast<int>((wav_seconds - 1) * 1000)));
      std::vector<double> heard;
      for (int i = 0; i < n; ++i) {
        auto& caller = *callers[static_cast<std::size_t>(i)];
        caller.wait_until_played(60s);
        auto playing = caller.wait_for_event("play_started", 1s, from[static_cast<std::size_t>(i)]);
        if (!playing || identities[static_cast<std::size_t>(i)].empty()) continue;
        std::this_thread::sleep_for(200ms);
        auto more = caller_side_latencies(caller, identities[static_cast<std::size_t>(i)],
                                          playing->value("time", 0.0), turns);
        heard.insert(heard.end(), more.begin(), more.end());
      }
      for (auto& caller : callers) caller->leave();
      wait_for_calls_ended(ended_before + static_cast<std::size_t>(n));
      auto log = save_log_since(offset, "load-n" + std::to_string(n));
      auto row = agent_side(log, "N=" + std::to_string(n));
      agent_rows.push_back(row.first);
      const auto& agent = usage["voice-agent"];
      std::vector<std::string> cells;
      std::stringstream cut(row.first);
      for (std::string cell; std::getline(cut, cell, '|');) cells.push_back(cell);
      std::cout << "| " << n << " | " << load.substr(0, load.find(' ')) << " | " << fmt(agent.cpu_percent)
                << " | " << fmt((agent.cpu_percent - idle.cpu_percent) / n) << " | " << fmt(agent.rss_mb)
                << " (" << fmt(agent.rss_max_mb) << ") | " << fmt((agent.rss_mb - idle.rss_mb) / n) << " | "
                << fmt(usage["livekit-server"].cpu_percent) << " | "
                << fmt(usage["callers (Python SDK)"].cpu_percent) << " | "
                << (cells.size() > 3 ? cells[2] + " | " + cells[3] : std::string("– | –")) << " | "
                << summary(heard) << " |" << std::endl;
      if (std::isnan(base_p95)) base_p95 = row.second;
      if (!std::isnan(row.second) && row.second >= 2 * base_p95) {
        std::cout << "(p95 at N=" << n << " is at least twice N=1's: stopped here)\n";
        break;
      }
    }
    std::cout << "\nAgent side per level, ms:\n\n"
              << va::test::run_tool(
                     {"python3", std::string(VA_SOURCE_DIR) + "/bench/conversation_latency.py", "--header"})
                     .out;
    for (const auto& row : agent_rows) std::cout << row << "\n";
  }

  Options options_;
  std::optional<va::test::LiveKitServer> server_;
  std::optional<va::livekit::TwirpClient> api_;
  std::unique_ptr<AgentInstance> agent_;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--ring-calls")
      o.ring_calls = std::clamp(std::stoi(value), 1, 200);
    else if (key == "--turns")
      o.turns = std::clamp(std::stoi(value), 1, 100);
    else if (key == "--concurrent-turns")
      o.concurrent_turns = std::clamp(std::stoi(value), 1, 50);
    else if (key == "--out")
      o.out = value;
    else if (key == "--levels") {
      o.levels.clear();
      std::istringstream in(value);
      for (int n; in >> n;) o.levels.push_back(std::clamp(n, 1, 16));
    } else {
      throw std::invalid_argument("unknown argument " + key);
    }
  }
  if (o.out.empty()) o.out = fs::temp_directory_path() / ("va-livekit-bench-" + std::to_string(::getpid()));
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // First, while this is the only thread: every peer started later inherits the namespace.
  if (auto problem = va::test::enter_private_network_namespace(); !problem.empty()) {
    std::fprintf(stderr, "livekit_calls: %s\n", problem.c_str());
    return 1;
  }
  try {
    Bench(parse(argc, argv)).run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "livekit_calls: %s\n", e.what());
    return 1;
  }
  return 0;
}
