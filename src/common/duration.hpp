// Human-written durations ("60s", "1m30s", "500ms", "2h") and byte sizes ("1MiB", "512KiB", "64KB", "1024").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace va {

using Duration = std::chrono::milliseconds;

// Accepts one or more <number><unit> parts, units ms, s, m, h, d (e.g. "1m30s", "1.5s", "250ms", "30d").
// A bare number other than 0 is rejected (the unit is not guessable); returns nullopt on any syntax error or
// overflow.
std::optional<Duration> parse_duration(std::string_view text);
// Renders the shortest exact form: 60000 ms → "1m", 1500 ms → "1500ms", 90 s → "1m30s".
std::string format_duration(Duration d);

struct ByteSize {
  std::uint64_t bytes = 0;
  friend bool operator==(ByteSize, ByteSize) = default;
};

// Accepts a bare byte count or <number><unit> with B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB
// (powers of 1024); units are case-insensitive. Returns nullopt on syntax error or overflow.
std::optional<ByteSize> parse_byte_size(std::string_view text);
std::string format_byte_size(ByteSize size);

}  // namespace va
