// RIFF/WAVE with 16-bit PCM, the only audio format the engines exchange as bytes: eSpeak NG's output on a
// pipe, and the files of `voice-agent say` / `transcribe`. Reading is incremental, so a WAV arriving on a
// pipe is played as it comes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace va::engines {

struct WavFormat {
  int sample_rate = 0;
  int channels = 0;
};

// Feed it bytes as they arrive; after the header it hands out the first channel's samples. The data chunk's
// size is honoured, so a file's trailing chunks are ignored, while a stream whose header says "very long"
// (eSpeak NG writes 0x7ffff000 when its output is not seekable) is read to its end.
class WavReader {
 public:
  // Appends `bytes`; an error (not RIFF/WAVE, not 16-bit PCM) is final.
  std::optional<std::string> feed(std::span<const char> bytes);
  // The format, once the header has been read.
  const std::optional<WavFormat>& format() const { return format_; }
  // Moves the complete samples read so far (first channel) to the end of `out`.
  void take_samples(std::vector<std::int16_t>& out);

 private:
  std::optional<std::string> parse_header();

  std::vector<char> pending_;
  std::optional<WavFormat> format_;
  std::uint64_t data_left_ = 0;  // bytes of the data chunk not yet consumed
  std::vector<std::int16_t> samples_;
};

struct WavAudio {
  WavFormat format;
  std::vector<std::int16_t> samples;  // first channel
};

// A whole mono WAV file in memory (an upload to a speech service).
std::string wav_bytes(std::span<const std::int16_t> pcm, int sample_rate);

// Whole-file helpers for the CLI; the error says what is wrong with which file.
std::optional<std::string> read_wav_file(const std::string& path, WavAudio& audio);
std::optional<std::string> write_wav_file(const std::string& path, std::span<const std::int16_t> pcm,
                                          int sample_rate);

}  // namespace va::engines
