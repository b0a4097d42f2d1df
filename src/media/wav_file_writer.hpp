// A 16-bit PCM RIFF/WAVE file written as audio arrives (the call recordings). The header's two sizes (RIFF
// and data chunk) are rewritten after every append, so the file on disk is always a readable WAV up to its
// last completed append — a process killed mid-call leaves a valid recording, not one with a zero-length
// data chunk. The sizes trail the data (written first) by at most the append in progress, never run ahead
// of it; close() makes them exact. Appends are plain write(2)s on an unbuffered descriptor: nothing is held
// back in user space.
//
// Not thread-safe: one writer thread owns a file.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace va::media {

class WavFileWriter {
 public:
  WavFileWriter() = default;
  ~WavFileWriter();
  WavFileWriter(WavFileWriter&& other) noexcept;
  WavFileWriter& operator=(WavFileWriter&& other) noexcept;
  WavFileWriter(const WavFileWriter&) = delete;
  WavFileWriter& operator=(const WavFileWriter&) = delete;

  // Creates (or truncates) `path` and writes the header of an empty file. The error names the file.
  std::optional<std::string> open(const std::string& path, int sample_rate, int channels);
  bool is_open() const { return fd_ >= 0; }

  // Appends interleaved samples (a whole number of frames of `channels` samples) and updates the header.
  std::optional<std::string> append(std::span<const std::int16_t> interleaved);
  // Final header update and close; a no-op when not open.
  std::optional<std::string> close();

  const std::string& path() const { return path_; }
  std::uint64_t frames_written() const { return data_bytes_ / (2u * static_cast<unsigned>(channels_)); }

 private:
  std::optional<std::string> write_sizes();

  int fd_ = -1;
  std::string path_;
  int channels_ = 1;
  std::uint64_t data_bytes_ = 0;
};

}  // namespace va::media
