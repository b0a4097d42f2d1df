// What a listener on the wire heard, from RTP captured by RtpCapture: the loudness of each 20 ms packet
// over time, and where sound starts and stops. The e2e tests read the agent's timing off the wire with it
// (when its prompt stopped after the caller spoke or pressed a key), not from the agent's own log.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/rtp_capture.hpp"

namespace va::test {

using WireSeconds = std::chrono::duration<double>;

struct PacketLevel {
  WireSeconds time{};  // from the capture's start
  double rms = 0.0;    // of the decoded samples
};

// A 20 ms A-law packet louder than this carries sound; silence that went through A-law decodes to ±8.
inline constexpr double kWireSoundRms = 300.0;

// The RMS of every PCMA (A-law) packet.
std::vector<PacketLevel> alaw_levels(const std::vector<CapturedRtpPacket>& packets);

// The first packet with sound at or after `from`.
std::optional<WireSeconds> first_sound(const std::vector<PacketLevel>& stream, WireSeconds from);

// Where the stream falls silent for at least `quiet` after `from`: the end of the last packet with sound
// before such a stretch (packets without sound, or no packets at all: the agent sends nothing between
// prompts). The end of the capture counts as silence.
std::optional<WireSeconds> silence_start(const std::vector<PacketLevel>& stream, WireSeconds from,
                                         WireSeconds quiet);

// Time with sound (packets with sound × 20 ms) in [from, to).
WireSeconds sound_duration(const std::vector<PacketLevel>& stream, WireSeconds from, WireSeconds to);

// The packets of [from, to] as "  1.234 s  rms 567" lines, for failure messages.
std::string describe_window(const std::vector<PacketLevel>& stream, WireSeconds from, WireSeconds to);

}  // namespace va::test
