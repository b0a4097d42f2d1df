// G.722 RTP payload from a capture back to audio, for telling apart where an echo was damaged: sox cannot
// decode G.722, so this uses spandsp's decoder (the library the product's codec wraps too; here it only
// turns the bytes on the wire into samples, the comparison is audio_files').
#pragma once

#include <cstdint>
#include <vector>

#include "support/audio_files.hpp"

namespace va::test {

// 64 kbit/s G.722 bytes (RtpCapture::payload of one stream, packets concatenated) → 16 kHz audio. One
// decoder runs over the whole stream, as the receiver's would.
WavAudio decode_g722_payload(const std::vector<std::uint8_t>& payload);

}  // namespace va::test
