#include "app/check_sip.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "media/audio_frame.hpp"
#include "sip/trunk/trunk_prober.hpp"
#include "sip/ua/diagnostic_flows.hpp"
#include "sip/ua/user_agent.hpp"
#include "sip/ua/user_agent_config.hpp"

namespace va::app {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

// An io_context on its own thread for the life of one check; stopped and joined on destruction.
class SipRunner {
 public:
  SipRunner() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~SipRunner() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// An even UDP port whose odd neighbour is free too, on 127.0.0.1 (one RTP/RTCP pair), found by asking the
// kernel for ephemeral ports. Bounded; 0 when none was found.
std::uint16_t free_rtp_pair() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    asio::io_context io;
    boost::system::error_code ec;
    asio::ip::udp::socket probe(io);
    probe.open(asio::ip::udp::v4(), ec);
    if (ec) return 0;
    probe.bind({asio::ip::make_address_v4("127.0.0.1"), 0}, ec);
    if (ec) continue;
    auto port = probe.local_endpoint(ec).port();
    if (ec || port % 2 != 0 || port == 65534) continue;
    asio::ip::udp::socket next(io);
    next.open(asio::ip::udp::v4(), ec);
    next.bind({asio::ip::make_address_v4("127.0.0.1"), static_cast<std::uint16_t>(port + 1)}, ec);
    if (!ec) return port;
  }
  return 0;
}

// The user agent options for an in-process, loopback-only agent: the configured codecs, SRTP and session
// timer, but none of the configured addresses (no public address in Via, Contact or SDP).
sip::UserAgentOptions loopback_options(const config::Config& config, std::uint16_t rtp_port) {
  auto o = sip::user_agent_options(config, 1);
  o.sip.transport.listen = {"udp://127.0.0.1:0"};
  o.sip.transport.advertised_host.clear();
  o.media_bind_address = "127.0.0.1";
  o.media_advertised_address.clear();
  o.rtp_port_min = rtp_port;
  o.rtp_port_max = static_cast<std::uint16_t>(rtp_port + 1);
  o.max_calls = 2;
  o.admission = nullptr;
  o.routing = {};
  return o;
}

std::string ms_text(std::chrono::duration<double> d) {
  return std::to_string(static_cast<long long>(std::llround(d.count() * 1000))) + " ms";
}

// ---- SIP trunk connectivity

struct ProbeOutcome {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<sip::TrunkProbeResult> result;
};

}  // namespace

CheckResult check_sip_trunks(const config::Config& config, std::string* summary,
                             std::chrono::milliseconds timeout) {
  CheckResult r{"SIP trunk connectivity", CheckOutcome::pass, "", ""};
  if (config.sip.trunks.empty()) {
    r.outcome = CheckOutcome::skip;
    r.reason = "no trunks configured (sip.trunks is empty)";
    r.hint = "add the carrier's trunk under sip.trunks (register or static_ip)";
    if (summary) *summary = "trunks: none configured";
    return r;
  }
  SipRunner runner;
  sip::CallHandlerRegistry no_flows;
  sip::UserAgentOptions options;
  // The probes leave from this host like serve's would: on every interface, ephemeral ports.
  options.sip.transport.listen = {"udp://0.0.0.0:0", "tcp://0.0.0.0:0"};
  options.sip.transport.advertised_host = config.sip.public_address;
  options.rtp_port_min = 0;
  options.rtp_port_max = 0;
  options.max_calls = 0;
  sip::UserAgent agent(runner.io(), options, no_flows);
  if (auto error = agent.start()) {
    r.outcome = CheckOutcome::fail;
    r.reason = "cannot start a SIP endpoint for the probes: " + *error;
    r.hint = "the check needs an ephemeral UDP and TCP port on this host";
    return r;
  }

  struct Probe {
    std::string trunk;
    std::string target;
    std::shared_ptr<ProbeOutcome> outcome;
    std::unique_ptr<sip::TrunkProber> prober;
  };
  std::vector<Probe> probes;
  std::vector<std::string> lines;
  std::size_t reachable = 0, unreachable = 0, not_probed = 0;
  for (const auto& trunk : config.sip.trunks) {
    std::string why_not;
    auto target = sip::trunk_probe_target(trunk, &why_not);
    if (!target) {
      ++not_probed;
      lines.push_back(trunk.name + ": " + (why_not.empty() ? std::string("not probed") : why_not));
      continue;
    }
    Probe p;
    p.trunk = trunk.name;
    p.target = std::string(sip::to_string(target->transport)) + ":" + target->host + ":" +
               std::to_string(target->port);
    p.outcome = std::make_shared<ProbeOutcome>();
    p.prober =
        std::make_unique<sip::TrunkProber>(agent.transactions(), trunk.name, *target, std::chrono::hours(1),
                                           [outcome = p.outcome](const sip::TrunkProbeResult& result) {
                                             std::lock_guard lock(outcome->mutex);
                                             if (!outcome->result) outcome->result = result;
                                             outcome->done.notify_all();
                                           });
    p.prober->start();
    probes.push_back(std::move(p));
  }
  // All probes run in parallel; one deadline for all of them.
  auto deadline = Clock::now() + timeout;
  for (auto& p : probes) {
    std::unique_lock lock(p.outcome->mutex);
    p.outcome->done.wait_until(lock, deadline, [&] { return p.outcome->result.has_value(); });
    if (!p.outcome->result) {
      ++unreachable;
      lines.push_back(p.trunk + " (" + p.target + "): no answer to OPTIONS within " + ms_text(timeout));
    } else if (p.outcome->result->reachable) {
      ++reachable;
      lines.push_back(p.trunk + " (" + p.target + "): " + p.outcome->result->reason + " in " +
                      ms_text(p.outcome->result->round_trip));
    } else {
      ++unreachable;
      lines.push_back(p.trunk + " (" + p.target + "): " + p.outcome->result->reason);
    }
  }
  for (auto& p : probes) p.prober->stop();
  agent.stop();

  for (const auto& line : lines) r.reason += (r.reason.empty() ? "" : "; ") + line;
  if (summary) {
    *summary = "trunks: " + std::to_string(reachable) + "/" + std::to_string(probes.size()) + " reachable" +
               (not_probed ? ", " + std::to_string(not_probed) + " not probed" : "");
  }
  if (unreachable > 0) {
    r.outcome = CheckOutcome::fail;
    r.hint =
        "check the trunk's registrar/outbound_proxy or allowed_addresses, its port and transport, and that a "
        "firewall lets SIP out and the answers back in";
  } else if (reachable == 0) {
    r.outcome = CheckOutcome::skip;
    r.hint =
        "list the carrier's signalling address (without a prefix length) in allowed_addresses to probe it";
  }
  return r;
}

namespace {

// ---- call simulation

constexpr double kToneHz = 1000.0;
constexpr int kLeadFrames = 10;  // 200 ms of silence first: the far end's jitter buffer settles on it
constexpr int kToneFrames = 25;  // 500 ms of tone
constexpr int kTailFrames = 10;

// Share of the frame's energy at kToneHz (Goertzel), 0..1 (about 1 for a pure tone).
double tone_share(const media::AudioFrame& frame) {
  const double n = static_cast<double>(media::kFrameSamples);
  const double w = 2.0 * M_PI * kToneHz / media::kPipelineSampleRate;
  const double coeff = 2.0 * std::cos(w);
  double s1 = 0, s2 = 0, energy = 0;
  for (auto sample : frame.samples) {
    double x = sample;
    energy += x * x;
    double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy <= 0) return 0;
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return std::min(1.0, 2.0 * power / (n * energy));
}

bool is_tone(const media::AudioFrame& frame) {
  return !media::is_silence(frame.samples, -45.0) && tone_share(frame) > 0.5;
}

struct EchoProbeState {
  std::mutex mutex;
  std::condition_variable changed;
  asio::any_io_executor executor;
  media::CallLeg* leg = nullptr;
  bool answered = false;
  bool ended = false;
  media::CallEnded end;
  Clock::time_point placed_at;
  Clock::time_point answered_at;
  Clock::time_point tone_sent_at;  // when the first tone frame was due on the wire
  std::optional<Clock::duration> round_trip;
  int frames_heard = 0;
  int tone_frames_heard = 0;
  int frames_after_tone = 0;
  bool hung_up = false;
  media::MediaStats stats;
};

class EchoProbe : public sip::CallHandler {
 public:
  explicit EchoProbe(std::shared_ptr<EchoProbeState> state) : s_(std::move(state)) {}

  void start(media::CallLeg& leg, const sip::CallInfo& info) override {
    std::lock_guard lock(s_->mutex);
    s_->leg = &leg;
    s_->executor = info.executor;
  }
  void on_answered() override {
    media::CallLeg* leg = nullptr;
    {
      std::lock_guard lock(s_->mutex);
      s_->answered = true;
      s_->answered_at = Clock::now();
      s_->tone_sent_at = s_->answered_at + kLeadFrames * media::kFrameDuration;
      leg = s_->leg;
    }
    s_->changed.notify_all();
    if (!leg) return;
    // 45 frames fit the leg's 50-frame queue; it paces them onto the wire in real time.
    media::SampleTime t{0};
    for (int i = 0; i < kLeadFrames + kToneFrames + kTailFrames; ++i) {
      auto frame = media::AudioFrame::silence(t);
      if (i >= kLeadFrames && i < kLeadFrames + kToneFrames) {
        for (std::size_t k = 0; k < media::kFrameSamples; ++k) {
          double phase = 2.0 * M_PI * kToneHz *
                         static_cast<double>(t.count() + static_cast<std::int64_t>(k)) /
                         media::kPipelineSampleRate;
          frame.samples[k] = static_cast<std::int16_t>(8000.0 * std::sin(phase));
        }
      }
      (void)leg->send_audio(frame);
      t = frame.end();
    }
  }
  void on_audio(const media::AudioFrame& frame) override {
    media::CallLeg* leg = nullptr;
    {
      std::lock_guard lock(s_->mutex);
      ++s_->frames_heard;
      if (is_tone(frame)) {
        ++s_->tone_frames_heard;
        s_->frames_after_tone = 0;
        if (!s_->round_trip) s_->round_trip = Clock::now() - s_->tone_sent_at;
      } else if (s_->tone_frames_heard > 0) {
        ++s_->frames_after_tone;
      }
      // The tone is over once 10 quiet frames followed it: hang up with the stats of the whole call.
      if (s_->frames_after_tone >= kTailFrames && !s_->hung_up) {
        s_->hung_up = true;
        s_->stats = s_->leg ? s_->leg->stats() : media::MediaStats{};
        leg = s_->leg;
      }
    }
    if (leg) leg->hangup();
  }
  void on_dtmf(const media::DtmfEvent&) override {}
  void on_hold_changed(bool) override {}
  void on_transfer_progress(int, bool) override {}
  void on_ended(const media::CallEnded& ended) override {
    {
      std::lock_guard lock(s_->mutex);
      if (!s_->hung_up && s_->leg) s_->stats = s_->leg->stats();
      s_->leg = nullptr;
      s_->ended = true;
      s_->end = ended;
    }
    s_->changed.notify_all();
  }

 private:
  std::shared_ptr<EchoProbeState> s_;
};

}  // namespace

CheckResult check_call_simulation(const config::Config& config) {
  CheckResult r{"call simulation", CheckOutcome::pass, "", ""};
  auto echo_rtp = free_rtp_pair();
  auto caller_rtp = free_rtp_pair();
  if (echo_rtp == 0 || caller_rtp == 0 || echo_rtp == caller_rtp) {
    r.outcome = CheckOutcome::fail;
    r.reason = "no free RTP port pair on 127.0.0.1";
    r.hint = "the check needs two pairs of free UDP ports on the loopback interface";
    return r;
  }
  SipRunner runner;
  sip::CallHandlerRegistry flows;
  sip::register_diagnostic_flows(flows);
  auto echo_options = loopback_options(config, echo_rtp);
  echo_options.routing.inbound.push_back({"*", std::string(sip::kEchoFlow), config::Language::ru, "",
                                          config::RouteLiveKitMode::room, "", config::RecordMode::off});
  sip::UserAgent echo(runner.io(), echo_options, flows);
  sip::UserAgent caller(runner.io(), loopback_options(config, caller_rtp), flows);
  for (auto* agent : {&echo, &caller}) {
    if (auto error = agent->start()) {
      r.outcome = CheckOutcome::fail;
      r.reason = "cannot start an in-process SIP endpoint: " + *error;
      r.hint = "the check needs free UDP ports on 127.0.0.1";
      return r;
    }
  }
  auto port = echo.listening_points().front().local.port;
  auto state = std::make_shared<EchoProbeState>();
  state->placed_at = Clock::now();
  sip::OutboundCallRequest request;
  request.target = "sip:echo@127.0.0.1:" + std::to_string(port);
  request.from = "sip:voice-agent-check@127.0.0.1";
  request.flow = "check-echo-probe";
  request.handler = std::make_unique<EchoProbe>(state);
  request.ring_timeout = 3s;
  auto placed = caller.place_call(std::move(request));
  if (!placed.ok()) {
    r.outcome = CheckOutcome::fail;
    r.reason = "the call could not be placed: " + placed.error;
    r.hint = "report this as a voice-agent bug";
    return r;
  }

  // Answer within the ring timeout, then 0.9 s of audio out and its echo back: 6 s is plenty.
  {
    std::unique_lock lock(state->mutex);
    state->changed.wait_for(lock, 6s, [&] { return state->ended; });
    if (!state->ended && state->leg && state->executor) {
      state->hung_up = true;
      state->stats = {};
      asio::post(state->executor, [state] {
        media::CallLeg* leg = nullptr;
        {
          std::lock_guard inner(state->mutex);
          leg = state->leg;
          if (leg) state->stats = leg->stats();
        }
        if (leg) leg->hangup();
      });
      state->changed.wait_for(lock, 3s, [&] { return state->ended; });
    }
  }
  caller.stop();
  echo.stop();

  std::lock_guard lock(state->mutex);
  if (!state->answered) {
    r.outcome = CheckOutcome::fail;
    r.reason = state->ended
                   ? "the echo flow did not answer: " + std::string(media::to_string(state->end.reason)) +
                         (state->end.sip_status ? " " + std::to_string(state->end.sip_status) : "") +
                         (state->end.detail.empty() ? "" : " (" + state->end.detail + ")")
                   : "the echo flow did not answer within 6 s";
    r.hint = "check codecs.preference and security.srtp: both ends of the loopback call use them";
    return r;
  }
  const auto& st = state->stats;
  std::string measured = "answered in " + ms_text(state->answered_at - state->placed_at) + ", " + st.codec +
                         "; tone frames sent " + std::to_string(kToneFrames) + ", returned " +
                         std::to_string(state->tone_frames_heard) +
                         (state->round_trip ? ", round trip " + ms_text(*state->round_trip) : "") +
                         "; RTP sent " + std::to_string(st.packets_sent) + ", received " +
                         std::to_string(st.packets_received) + ", lost " + std::to_string(st.packets_lost) +
                         ", jitter " + std::to_string(static_cast<int>(std::lround(st.jitter_ms))) + " ms";
  // The jitter buffer may still hold the first or last frames when the tone starts or the call ends; a
  // path that works returns nearly all of it.
  if (state->tone_frames_heard < kToneFrames * 4 / 5) {
    r.outcome = CheckOutcome::fail;
    r.reason = "the tone did not come back through the echo flow: " + measured;
    r.hint =
        "the media path (RTP, codec " + st.codec + ", resampling) loses audio; run with logging.level=debug";
    return r;
  }
  r.reason = "loopback call into the echo flow: " + measured;
  return r;
}

namespace {

// One datagram to 127.0.0.1:port and the first line of the answer, or "" after `timeout`.
std::string udp_exchange(std::uint16_t port, const std::string& datagram, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return {};
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string line;
  if (::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
      static_cast<ssize_t>(datagram.size())) {
    char buffer[4096];
    auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      line.assign(buffer, static_cast<std::size_t>(n));
      line = line.substr(0, line.find("\r\n"));
    }
  }
  ::close(fd);
  return line;
}

std::string options_request(std::uint16_t port, const std::string& branch, const std::string& contact) {
  return "OPTIONS sip:check@127.0.0.1:" + std::to_string(port) +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK" +
         branch +
         ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:voice-agent-check@127.0.0.1>;tag=check\r\n"
         "To: <sip:check@127.0.0.1>\r\n"
         "Call-ID: voice-agent-check-" +
         branch +
         "\r\n"
         "CSeq: 1 OPTIONS\r\n" +
         contact + "Content-Length: 0\r\n\r\n";
}

}  // namespace

CheckResult check_sip_error_handling(const config::Config& config) {
  CheckResult r{"error handling", CheckOutcome::pass, "", ""};
  auto rtp = free_rtp_pair();
  SipRunner runner;
  sip::CallHandlerRegistry flows;
  sip::UserAgent agent(runner.io(), loopback_options(config, rtp), flows);
  if (auto error = agent.start()) {
    r.outcome = CheckOutcome::fail;
    r.reason = "cannot start an in-process SIP endpoint: " + *error;
    r.hint = "the check needs a free UDP port on 127.0.0.1";
    return r;
  }
  auto port = agent.listening_points().front().local.port;
  auto malformed = udp_exchange(port, options_request(port, "malformed", "Contact: <sip:broken\r\n"), 2s);
  auto healthy = udp_exchange(port, options_request(port, "healthy", ""), 2s);
  agent.stop();
  r.reason = "malformed SIP request (broken Contact) answered \"" +
             (malformed.empty() ? "nothing" : malformed) + "\", a valid OPTIONS after it \"" +
             (healthy.empty() ? "nothing" : healthy) + "\"";
  if (!malformed.starts_with("SIP/2.0 400") || !healthy.starts_with("SIP/2.0 200")) {
    r.outcome = CheckOutcome::fail;
    r.hint =
        "expected 400 for the malformed request and 200 for the valid one; report this as a voice-agent bug";
  }
  return r;
}

}  // namespace va::app
