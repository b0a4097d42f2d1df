// What was said on a call, as it was heard: the caller's recognised utterances and the agent's prompts, the
// latter only as far as they were actually played (a barge-in cuts them: `interrupted`, with the position).
// Kept with the call; the orchestrator persists it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace va::voice {

enum class Speaker { caller, agent };
inline const char* to_string(Speaker speaker) {
  return speaker == Speaker::caller ? "caller" : "agent";
}

struct TranscriptEntry {
  Speaker speaker = Speaker::caller;
  std::string text;                    // agent: what was played (up to the cut when interrupted)
  std::chrono::milliseconds start{0};  // from the start of the call (answer)
  std::chrono::milliseconds end{0};
  bool interrupted = false;             // agent: cut by barge-in
  std::chrono::milliseconds cut_at{0};  // agent, interrupted: how much of the prompt was played
  std::string full_text;                // agent, interrupted: what the prompt would have said
  bool dtmf = false;                    // caller: digits rather than speech
};

// One caller turn and the agent's answer to it, in milliseconds; a stage that did not happen is nullopt.
struct TurnMetrics {
  std::optional<double> end_of_speech_to_final;      // endpoint (after trailing silence) → STT final
  std::optional<double> final_to_reply;              // STT final → the dialogue's first prompt
  std::optional<double> reply_to_first_audio;        // that prompt → its first synthesised audio
  std::optional<double> first_audio_to_first_frame;  // → its first frame handed to the leg
  std::optional<double> total;                       // caller stopped speaking → the agent started
  std::optional<double> endpointing;                 // the trailing silence waited for (part of total)
  std::optional<double> recognition_compute;         // engine time of the recognition
  std::optional<double> synthesis_compute;           // engine time to the first audio
  std::optional<double> llm_first_token;             // the language model's request → its first text
};

}  // namespace va::voice
