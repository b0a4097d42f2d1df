#include "media/wav_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

namespace va::media {
namespace {

constexpr std::size_t kHeaderBytes = 44;
// A RIFF chunk size is 32 bits: a recording longer than this (about 18 hours of 16 kHz stereo) keeps its
// first 4 GiB readable and the sizes saturate.
constexpr std::uint64_t kMaxDataBytes = 0xFFFFFFFFull - 36;

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u16(unsigned char* p, std::uint16_t v) {
  p[0] = static_cast<unsigned char>(v);
  p[1] = static_cast<unsigned char>(v >> 8);
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    auto n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool pwrite_all(int fd, const void* data, std::size_t size, off_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    auto n = ::pwrite(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

}  // namespace

WavFileWriter::~WavFileWriter() {
  (void)close();
}

WavFileWriter::WavFileWriter(WavFileWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      channels_(other.channels_),
      data_bytes_(other.data_bytes_) {}

WavFileWriter& WavFileWriter::operator=(WavFileWriter&& other) noexcept {
  if (this != &other) {
    (void)close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    channels_ = other.channels_;
    data_bytes_ = other.data_bytes_;
  }
  return *this;
}

std::optional<std::string> WavFileWriter::open(const std::string& path, int sample_rate, int channels) {
  (void)close();
  path_ = path;
  channels_ = channels;
  data_bytes_ = 0;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd_ < 0) return errno_text("cannot create", path);
  std::array<unsigned char, kHeaderBytes> h{};
  std::memcpy(h.data(), "RIFF", 4);
  put_u32(h.data() + 4, 36);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put_u32(h.data() + 16, 16);
  put_u16(h.data() + 20, 1);  // PCM
  put_u16(h.data() + 22, static_cast<std::uint16_t>(channels));
  put_u32(h.data() + 24, static_cast<std::uint32_t>(sample_rate));
  put_u32(h.data() + 28, static_cast<std::uint32_t>(sample_rate * channels * 2));
  put_u16(h.data() + 32, static_cast<std::uint16_t>(channels * 2));
  put_u16(h.data() + 34, 16);
  std::memcpy(h.data() + 36, "data", 4);
  put_u32(h.data() + 40, 0);
  if (!write_all(fd_, h.data(), h.size())) {
    auto error = errno_text("cannot write", path);
    ::close(std::exchange(fd_, -1));
    return error;
  }
  return std::nullopt;
}

std::optional<std::string> WavFileWriter::append(std::span<const std::int16_t> interleaved) {
  if (fd_ < 0) return "'" + path_ + "' is not open";
  if (interleaved.empty()) return std::nullopt;
  // WAV is little-endian, like every machine this builds for.
  static_assert(std::endian::native == std::endian::little);
  if (!write_all(fd_, interleaved.data(), interleaved.size_bytes())) return errno_text("cannot write", path_);
  data_bytes_ += interleaved.size_bytes();
  return write_sizes();
}

std::optional<std::string> WavFileWriter::write_sizes() {
  const auto data = static_cast<std::uint32_t>(std::min(data_bytes_, kMaxDataBytes));
  std::array<unsigned char, 4> riff{};
  std::array<unsigned char, 4> chunk{};
  put_u32(riff.data(), data + 36);
  put_u32(chunk.data(), data);
  if (!pwrite_all(fd_, riff.data(), riff.size(), 4) || !pwrite_all(fd_, chunk.data(), chunk.size(), 40))
    return errno_text("cannot update the header of", path_);
  return std::nullopt;
}

std::optional<std::string> WavFileWriter::close() {
  if (fd_ < 0) return std::nullopt;
  auto error = write_sizes();
  if (::close(std::exchange(fd_, -1)) != 0 && !error) error = errno_text("cannot close", path_);
  return error;
}

}  // namespace va::media
