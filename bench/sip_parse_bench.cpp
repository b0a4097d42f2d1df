// SIP message parsing: voice-agent's parser against libosip2 (the reference: a mature C parser packaged by
// Debian), on the same real-world-shaped messages from tests/data/sip/, in one process and one run.
//
//   scripts/build release && build/release/bench/sip_parse_bench --benchmark_min_time=1
//
// Each benchmark parses one message per iteration and reads the fields a transaction layer needs (Call-ID,
// CSeq, top Via branch, From/To tags), so a parser cannot win by deferring all work.
#include <benchmark/benchmark.h>
#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>

#include <fstream>
#include <iterator>
#include <string>

#include "sip/parser.hpp"

namespace {

std::string load(const char* name) {
  std::ifstream in(std::string(VA_SOURCE_DIR) + "/tests/data/sip/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void parse_ours(benchmark::State& state, const char* name) {
  const std::string text = load(name);
  if (text.empty()) {
    state.SkipWithError("corpus file missing");
    return;
  }
  for (auto _ : state) {
    auto message = va::sip::parse_message(text);
    if (!message) {
      state.SkipWithError("parse failed");
      return;
    }
    auto call_id = message->call_id();
    auto cseq = message->cseq();
    auto via = message->top_via();
    auto from = message->from();
    auto to = message->to();
    benchmark::DoNotOptimize(call_id);
    benchmark::DoNotOptimize(cseq);
    benchmark::DoNotOptimize(via);
    benchmark::DoNotOptimize(from);
    benchmark::DoNotOptimize(to);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void parse_osip(benchmark::State& state, const char* name) {
  static const int initialised = parser_init();
  (void)initialised;
  const std::string text = load(name);
  if (text.empty()) {
    state.SkipWithError("corpus file missing");
    return;
  }
  for (auto _ : state) {
    osip_message_t* message = nullptr;
    osip_message_init(&message);
    if (osip_message_parse(message, text.data(), text.size()) != 0) {
      osip_message_free(message);
      state.SkipWithError("parse failed");
      return;
    }
    // osip parses Via, From, To, CSeq and Call-ID eagerly; touch them like the other side does.
    osip_via_t* via = nullptr;
    osip_message_get_via(message, 0, &via);
    osip_generic_param_t* branch = nullptr;
    if (via != nullptr) osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch);
    osip_generic_param_t* from_tag = nullptr;
    osip_from_get_tag(message->from, &from_tag);
    benchmark::DoNotOptimize(branch);
    benchmark::DoNotOptimize(from_tag);
    benchmark::DoNotOptimize(message->call_id);
    benchmark::DoNotOptimize(message->cseq);
    osip_message_free(message);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

}  // namespace

BENCHMARK_CAPTURE(parse_ours, kamailio_invite, "kamailio_invite_record_route.sip");
BENCHMARK_CAPTURE(parse_osip, kamailio_invite, "kamailio_invite_record_route.sip");
BENCHMARK_CAPTURE(parse_ours, exolve_invite, "exolve_inbound_invite.sip");
BENCHMARK_CAPTURE(parse_osip, exolve_invite, "exolve_inbound_invite.sip");
BENCHMARK_CAPTURE(parse_ours, livekit_bye, "livekit_bye.sip");
BENCHMARK_CAPTURE(parse_osip, livekit_bye, "livekit_bye.sip");
BENCHMARK_CAPTURE(parse_ours, two_via_200, "kamailio_200_ok_two_vias.sip");
BENCHMARK_CAPTURE(parse_osip, two_via_200, "kamailio_200_ok_two_vias.sip");

BENCHMARK_MAIN();
