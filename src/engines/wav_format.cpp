#include "engines/wav_format.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace va::engines {
namespace {

std::uint32_t le32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<std::uint32_t>(u[3]) << 24);
}
std::uint16_t le16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>(u[0] | (u[1] << 8));
}
void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

constexpr std::uint16_t kPcm = 1;
constexpr std::uint16_t kExtensible = 0xfffe;

}  // namespace

std::optional<std::string> WavReader::feed(std::span<const char> bytes) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  if (!format_) {
    if (auto error = parse_header()) return error;
    if (!format_) return std::nullopt;  // need more bytes
  }
  const auto frame = static_cast<std::size_t>(2 * format_->channels);
  std::size_t usable = std::min<std::uint64_t>(pending_.size(), data_left_);
  usable -= usable % frame;
  for (std::size_t i = 0; i < usable; i += frame)
    samples_.push_back(static_cast<std::int16_t>(le16(pending_.data() + i)));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(usable));
  data_left_ -= usable;
  if (data_left_ < frame) pending_.clear();  // past the data chunk: trailing chunks are ignored
  return std::nullopt;
}

// RIFF header, then chunks; "fmt " must come before "data" (as every writer does).
std::optional<std::string> WavReader::parse_header() {
  if (pending_.size() < 12) return std::nullopt;
  if (std::memcmp(pending_.data(), "RIFF", 4) != 0 || std::memcmp(pending_.data() + 8, "WAVE", 4) != 0)
    return "not a RIFF/WAVE file";
  std::size_t pos = 12;
  std::optional<WavFormat> format;
  while (pending_.size() >= pos + 8) {
    const char* chunk = pending_.data() + pos;
    const std::uint32_t size = le32(chunk + 4);
    if (std::memcmp(chunk, "data", 4) == 0) {
      if (!format) return "data before the fmt chunk";
      format_ = format;
      data_left_ = size;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos + 8));
      return std::nullopt;
    }
    const std::size_t padded = size + (size & 1);
    if (pending_.size() < pos + 8 + padded) return std::nullopt;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16) return "fmt chunk too short";
      const auto tag = le16(chunk + 8);
      const auto channels = le16(chunk + 10);
      const auto rate = le32(chunk + 12);
      const auto bits = le16(chunk + 22);
      if ((tag != kPcm && tag != kExtensible) || bits != 16)
        return "not 16-bit PCM (format " + std::to_string(tag) + ", " + std::to_string(bits) + " bits)";
      if (channels == 0 || rate == 0) return "no channels or no sample rate";
      format = WavFormat{static_cast<int>(rate), channels};
    }
    pos += 8 + padded;
  }
  return std::nullopt;
}

void WavReader::take_samples(std::vector<std::int16_t>& out) {
  out.insert(out.end(), samples_.begin(), samples_.end());
  samples_.clear();
}

std::optional<std::string> read_wav_file(const std::string& path, WavAudio& audio) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot open";
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WavReader reader;
  if (auto error = reader.feed(bytes)) return path + ": " + *error;
  if (!reader.format()) return path + ": no audio data (truncated WAV header)";
  audio.format = *reader.format();
  audio.samples.clear();
  reader.take_samples(audio.samples);
  return std::nullopt;
}

std::string wav_bytes(std::span<const std::int16_t> pcm, int sample_rate) {
  const auto data_bytes = static_cast<std::uint32_t>(pcm.size() * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, kPcm);
  put16(out, 1);
  put32(out, static_cast<std::uint32_t>(sample_rate));
  put32(out, static_cast<std::uint32_t>(sample_rate * 2));
  put16(out, 2);
  put16(out, 16);
  out += "data";
  put32(out, data_bytes);
  for (auto s : pcm) put16(out, static_cast<std::uint16_t>(s));
  return out;
}

std::optional<std::string> write_wav_file(const std::string& path, std::span<const std::int16_t> pcm,
                                          int sample_rate) {
  const std::string out = wav_bytes(pcm, sample_rate);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !file.write(out.data(), static_cast<std::streamsize>(out.size())))
    return path + ": cannot write";
  return std::nullopt;
}

}  // namespace va::engines
