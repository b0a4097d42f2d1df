// LiveKit webhook verification + parsing throughput on one thread: what voice-agent does per request before
// it answers (WebhookVerifier: JWT signature, nbf/exp, sha256 of the body; then parse_webhook_event and, for
// participant events, the SIP attributes). bench/webhook_receiver.mjs runs the official Node SDK's
// WebhookReceiver.receive() on the same file; bench/webhook_throughput.sh runs both (docs/benchmarks.md).
//
//   webhook_throughput --write events.jsonl [--distinct 2000]   signed events, one {"body","authorization"} a
//   line webhook_throughput --read events.jsonl [--events 200000] [--runs 5]
//
// The events are a realistic mix from the fuzz corpus (tests/fuzz/corpus/webhook_event): SIP
// participant_joined/left with sip.* attributes, tracks, rooms, egress. Each distinct event has its own id
// and token; --read cycles through them until --events were verified and parsed per run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "livekit/access_token.hpp"
#include "livekit/webhook_event.hpp"
#include "livekit/webhook_verifier.hpp"

namespace {

constexpr const char* kKey = "APIbenchKey0001";
constexpr const char* kSecret = "bench-secret-0123456789abcdefghijklmnop";

struct Signed {
  std::string body;
  std::string authorization;
};

std::string load(const std::string& name) {
  std::ifstream in(std::string(VA_SOURCE_DIR) + "/tests/fuzz/corpus/webhook_event/" + name + ".json");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int write_events(const std::string& path, int distinct) {
  // Weights: a telephony deployment sees mostly participant and track events, fewer room and egress ones.
  const std::vector<std::pair<std::string, int>> mix{{"participant_joined_sip", 30},
                                                     {"participant_left", 20},
                                                     {"track_published", 15},
                                                     {"track_unpublished", 10},
                                                     {"room_started", 10},
                                                     {"room_finished", 10},
                                                     {"egress_ended", 5}};
  std::vector<nlohmann::json> templates;
  for (const auto& [name, weight] : mix) {
    auto text = load(name);
    if (text.empty()) {
      std::fprintf(stderr, "missing corpus file %s\n", name.c_str());
      return 1;
    }
    for (int i = 0; i < weight; ++i) templates.push_back(nlohmann::json::parse(text));
  }
  std::ofstream out(path);
  auto start = now_seconds();
  for (int i = 0; i < distinct; ++i) {
    auto event = templates[static_cast<std::size_t>(i) % templates.size()];
    event["id"] = "EV_bench" + std::to_string(i);
    event["createdAt"] = std::to_string(start);
    std::string body = event.dump();
    va::livekit::AccessTokenClaims claims;
    claims.api_key = kKey;
    claims.sha256 = va::livekit::webhook_body_hash(body);
    claims.not_before = start;
    claims.expires_at = start + 6 * 3600;  // long enough for a slow run
    out << nlohmann::json{{"body", body}, {"authorization", va::livekit::mint_access_token(claims, kSecret)}}
               .dump()
        << '\n';
  }
  std::printf("wrote %d signed events to %s (key %s)\n", distinct, path.c_str(), kKey);
  return 0;
}

int read_and_measure(const std::string& path, long events, int runs) {
  std::vector<Signed> input;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) input.push_back({j.value("body", ""), j.value("authorization", "")});
  }
  if (input.empty()) {
    std::fprintf(stderr, "no events in %s\n", path.c_str());
    return 1;
  }
  va::livekit::WebhookVerifier verifier(std::map<std::string, std::string>{{kKey, kSecret}});
  std::vector<double> rates;
  for (int run = 0; run < runs + 1; ++run) {  // run 0 warms up and is not reported
    long failures = 0;
    std::size_t checksum = 0;
    auto now = now_seconds();
    auto started = std::chrono::steady_clock::now();
    for (long i = 0; i < events; ++i) {
      const auto& e = input[static_cast<std::size_t>(i) % input.size()];
      if (verifier.verify(e.authorization, e.body, now)) {
        ++failures;
        continue;
      }
      auto parsed = va::livekit::parse_webhook_event(e.body);
      auto* event = std::get_if<va::livekit::WebhookEvent>(&parsed);
      if (event == nullptr) {
        ++failures;
        continue;
      }
      checksum += event->id.size();
      if (event->participant)
        checksum += va::livekit::sip_participant_attributes(event->participant->attributes).call_id.size();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (failures != 0) {
      std::fprintf(stderr, "%ld events failed verification or parsing\n", failures);
      return 1;
    }
    if (run == 0) continue;
    rates.push_back(static_cast<double>(events) / seconds);
    std::printf("run %d: %ld events in %.3f s = %.0f events/s (checksum %zu)\n", run, events, seconds,
                rates.back(), checksum);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("voice-agent median: %.0f events/s\n", rates[rates.size() / 2]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string write_path, read_path;
  int distinct = 2000, runs = 5;
  long events = 200'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--write")
      write_path = value;
    else if (flag == "--read")
      read_path = value;
    else if (flag == "--distinct")
      distinct = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--events")
      events = std::max(1L, std::atol(value.c_str()));
    else if (flag == "--runs")
      runs = std::max(1, std::atoi(value.c_str()));
  }
  if (!write_path.empty()) return write_events(write_path, distinct);
  if (!read_path.empty()) return read_and_measure(read_path, events, runs);
  std::fprintf(
      stderr,
      "usage: webhook_throughput --write FILE [--distinct N] | --read FILE [--events N] [--runs N]\n");
  return 2;
}
