// How a call is recorded (routing.inbound[].record, routing.outbound.record; docs/call-records.md).
#pragma once

namespace va::media {

// Not at all, one stereo WAV (caller left, agent right), or two mono WAVs (…-caller.wav, …-agent.wav) of
// equal length.
enum class RecordingMode { off, stereo, split };

}  // namespace va::media
