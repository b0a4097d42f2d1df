#include "support/wire_audio.hpp"

#include <cmath>
#include <cstdio>

#include "media/g711_codec.hpp"

namespace va::test {

namespace {
constexpr WireSeconds kPacket{0.02};
}  // namespace

std::vector<PacketLevel> alaw_levels(const std::vector<CapturedRtpPacket>& packets) {
  std::vector<PacketLevel> out;
  out.reserve(packets.size());
  for (const auto& packet : packets) {
    double energy = 0.0;
    for (const auto code : packet.payload) {
      const double sample = media::decode_alaw(code);
      energy += sample * sample;
    }
    const double rms =
        packet.payload.empty() ? 0.0 : std::sqrt(energy / static_cast<double>(packet.payload.size()));
    out.push_back({packet.time, rms});
  }
  return out;
}

std::optional<WireSeconds> first_sound(const std::vector<PacketLevel>& stream, WireSeconds from) {
  for (const auto& p : stream)
    if (p.time >= from && p.rms >= kWireSoundRms) return p.time;
  return std::nullopt;
}

std::optional<WireSeconds> silence_start(const std::vector<PacketLevel>& stream, WireSeconds from,
                                         WireSeconds quiet) {
  std::optional<WireSeconds> sound_end;
  for (const auto& p : stream) {
    if (p.time < from) continue;
    if (!sound_end) sound_end = p.time;
    if (p.rms < kWireSoundRms) continue;
    if (p.time - *sound_end >= quiet) return sound_end;
    sound_end = p.time + kPacket;
  }
  return sound_end;
}

WireSeconds sound_duration(const std::vector<PacketLevel>& stream, WireSeconds from, WireSeconds to) {
  WireSeconds total{0};
  for (const auto& p : stream)
    if (p.time >= from && p.time < to && p.rms >= kWireSoundRms) total += kPacket;
  return total;
}

std::string describe_window(const std::vector<PacketLevel>& stream, WireSeconds from, WireSeconds to) {
  std::string text;
  char line[64];
  for (const auto& p : stream) {
    if (p.time < from || p.time > to) continue;
    std::snprintf(line, sizeof line, "  %.3f s  rms %.0f\n", p.time.count(), p.rms);
    text += line;
  }
  return text;
}

}  // namespace va::test
