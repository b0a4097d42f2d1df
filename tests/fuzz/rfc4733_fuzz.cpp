// Fuzzes the RFC 4733 receiver with arbitrary packet sequences (timestamp, marker, payload, time step) and
// the sender with arbitrary digits and durations. Invariants: every reported digit begins once and ends once,
// in that order, one at a time; the sender produces exactly packets_for() packets. Any crash, sanitizer
// report or trap is a bug.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/dtmf_rfc4733.hpp"

namespace {

struct Balance {
  bool open = false;
  std::uint32_t timestamp = 0;
  std::size_t begins = 0;
  std::size_t ends = 0;

  void take(const va::media::DtmfNotifications& notifications) {
    for (const auto& n : notifications) {
      if (n.kind == va::media::DtmfNotification::Kind::begin) {
        if (open) __builtin_trap();  // a second begin without the end of the first
        open = true;
        timestamp = n.digit.timestamp;
        ++begins;
      } else {
        if (!open || n.digit.timestamp != timestamp) __builtin_trap();
        open = false;
        ++ends;
      }
      if (!va::media::dtmf_event_character(n.digit.event) ||
          *va::media::dtmf_event_character(n.digit.event) != n.digit.digit) {
        __builtin_trap();
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  // Records of 10 bytes: timestamp (4), flags (1: bit 0 marker, bit 1 poll, bits 2-7 step in 10 ms), payload
  // (4), spare (1, used as a payload length cut when < 4).
  va::media::Rfc4733Receiver receiver(8000, milliseconds(500));
  Balance balance;
  steady_clock::time_point now{};
  std::size_t offset = 0;
  for (; size - offset >= 10; offset += 10) {
    const std::uint8_t* r = data + offset;
    const std::uint32_t timestamp =
        (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
    const bool marker = (r[4] & 1) != 0;
    now += milliseconds(10 * (r[4] >> 2));
    const std::size_t payload_size = r[9] < 4 ? r[9] : 4;
    const std::span<const std::uint8_t> payload(r + 5, payload_size);
    if (const auto event = va::media::decode_telephone_event(payload)) {
      auto encoded = va::media::encode_telephone_event(*event);
      if (encoded[0] != r[5] || (encoded[1] & 0xbf) != (r[6] & 0xbf) || encoded[2] != r[7] ||
          encoded[3] != r[8]) {
        __builtin_trap();
      }
    }
    balance.take(receiver.on_packet(timestamp, marker, payload, now));
    if ((r[4] & 2) != 0) balance.take(receiver.poll(now));
    if (receiver.active() != balance.open) __builtin_trap();
  }
  balance.take(receiver.poll(now + hours(1)));
  if (balance.open || balance.begins != balance.ends || receiver.active()) __builtin_trap();

  // The tail drives the sender.
  if (size - offset >= 4) {
    const std::uint8_t* r = data + offset;
    const auto clock_rate = (r[0] & 1) != 0 ? 16000u : 8000u;
    const auto ptime = milliseconds(10 * (1 + (r[0] >> 1) % 6));
    va::media::Rfc4733Sender sender(clock_rate, ptime, r[3]);
    const auto duration = milliseconds((std::uint32_t{r[2]} << 8 | r[3]) % 7000);
    if (sender.start(static_cast<char>(r[1]), duration)) {
      std::size_t packets = 0;
      std::size_t ends = 0;
      while (auto packet = sender.next()) {
        if (++packets > 1000) __builtin_trap();
        if (packet->marker != (packets == 1)) __builtin_trap();
        if (packet->end) ++ends;
      }
      if (packets != sender.packets_for(duration) || ends != 3) __builtin_trap();
    }
  }
  return 0;
}
