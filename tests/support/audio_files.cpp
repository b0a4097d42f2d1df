#include "support/audio_files.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>
#include <stdexcept>

#include "support/external_tool.hpp"

namespace va::test {
namespace {

std::string seconds_arg(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

std::string number_arg(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint16_t le16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

// In-place iterative radix-2 FFT; `inverse` computes the unscaled inverse transform.
void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t length = 2; length <= n; length <<= 1) {
    const double angle = 2.0 * std::numbers::pi / static_cast<double>(length) * (inverse ? 1.0 : -1.0);
    const std::complex<double> step(std::cos(angle), std::sin(angle));
    for (std::size_t start = 0; start < n; start += length) {
      std::complex<double> w(1.0, 0.0);
      for (std::size_t k = 0; k < length / 2; ++k) {
        const auto even = a[start + k];
        const auto odd = a[start + k + length / 2] * w;
        a[start + k] = even + odd;
        a[start + k + length / 2] = even - odd;
        w *= step;
      }
    }
  }
}

// Seconds from the first to the last 10 ms window whose RMS exceeds a tenth of the loudest window's (and an
// absolute floor, so codec noise in a silent file does not count as signal).
double active_seconds(const WavAudio& audio) {
  const std::size_t window = static_cast<std::size_t>(std::max(1, audio.sample_rate / 100));
  std::vector<double> rms;
  for (std::size_t start = 0; start + window <= audio.samples.size(); start += window) {
    double energy = 0.0;
    for (std::size_t i = start; i < start + window; ++i) {
      energy += static_cast<double>(audio.samples[i]) * audio.samples[i];
    }
    rms.push_back(std::sqrt(energy / static_cast<double>(window)));
  }
  if (rms.empty()) return 0.0;
  const double threshold = std::max(*std::max_element(rms.begin(), rms.end()) * 0.1, 100.0);
  const auto first = std::find_if(rms.begin(), rms.end(), [&](double v) { return v > threshold; });
  if (first == rms.end()) return 0.0;
  const auto last = std::find_if(rms.rbegin(), rms.rend(), [&](double v) { return v > threshold; });
  const auto windows = std::distance(first, last.base());
  return static_cast<double>(windows) * static_cast<double>(window) / audio.sample_rate;
}

}  // namespace

bool sox_available() {
  return find_program("sox").has_value();
}

void make_test_wav(const std::filesystem::path& file, const TestSignal& signal) {
  std::string waveform = number_arg(signal.start_hz);
  if (signal.shape == TestSignal::Shape::sweep) waveform += "-" + number_arg(signal.end_hz);
  // -D: no dither, so the padding is digital silence rather than ±1 LSB noise.
  run_tool_or_throw({"sox",
                     "-D",
                     "-n",
                     "-r",
                     std::to_string(signal.sample_rate),
                     "-c",
                     "1",
                     "-b",
                     "16",
                     "-e",
                     "signed-integer",
                     file.string(),
                     "synth",
                     seconds_arg(signal.length),
                     "sine",
                     waveform,
                     "vol",
                     number_arg(signal.amplitude),
                     "pad",
                     seconds_arg(signal.lead_silence),
                     seconds_arg(signal.tail_silence)});
}

void convert_to_pcm_wav(const std::filesystem::path& in, const std::filesystem::path& out, int sample_rate) {
  run_tool_or_throw({"sox", in.string(), "-r", std::to_string(sample_rate), "-c", "1", "-b", "16", "-e",
                     "signed-integer", out.string()});
}

void encode_alaw_wav(const std::filesystem::path& in, const std::filesystem::path& out) {
  run_tool_or_throw({"sox", in.string(), "-r", "8000", "-c", "1", "-e", "a-law", out.string()});
}

void decode_g711_raw(const std::filesystem::path& raw, const std::filesystem::path& out, G711Law law,
                     int sample_rate) {
  run_tool_or_throw({"sox", "-t", law == G711Law::alaw ? "al" : "ul", "-r", std::to_string(sample_rate), "-c",
                     "1", raw.string(), "-b", "16", "-e", "signed-integer", out.string()});
}

WavAudio read_wav(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("read_wav: cannot open " + file.string());
  const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in),
                                         std::istreambuf_iterator<char>()};
  const auto fail = [&](const std::string& why) {
    return std::runtime_error("read_wav: " + file.string() + ": " + why);
  };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    throw fail("not a RIFF/WAVE file (" + std::to_string(bytes.size()) + " bytes)");
  }
  WavAudio audio;
  int bits = 0;
  bool have_format = false;
  std::size_t offset = 12;
  while (offset + 8 <= bytes.size()) {
    const std::string id(reinterpret_cast<const char*>(bytes.data() + offset), 4);
    std::size_t size = le32(bytes.data() + offset + 4);
    const std::size_t body = offset + 8;
    if (id == "fmt ") {
      if (size < 16 || body + 16 > bytes.size()) throw fail("short fmt chunk");
      const std::uint16_t format = le16(bytes.data() + body);
      audio.channels = le16(bytes.data() + body + 2);
      audio.sample_rate = static_cast<int>(le32(bytes.data() + body + 4));
      bits = le16(bytes.data() + body + 14);
      // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
      const bool extensible_pcm =
          format == 0xFFFE && size >= 40 && body + 26 <= bytes.size() && le16(bytes.data() + body + 24) == 1;
      if (format != 1 && !extensible_pcm) {
        throw fail("format tag " + std::to_string(format) + " is not PCM (convert with convert_to_pcm_wav)");
      }
      if (bits != 16) throw fail(std::to_string(bits) + "-bit samples, only 16-bit PCM is read");
      if (audio.channels < 1) throw fail("no channels");
      have_format = true;
    } else if (id == "data") {
      if (!have_format) throw fail("data chunk before fmt chunk");
      // A recorder that has not closed its file yet leaves 0 or 0xFFFFFFFF here: read what is there.
      if (size == 0 || body + size > bytes.size()) size = bytes.size() - body;
      const std::size_t frame = static_cast<std::size_t>(audio.channels) * 2;
      audio.samples.reserve(size / frame);
      for (std::size_t at = body; at + frame <= body + size; at += frame) {
        audio.samples.push_back(static_cast<std::int16_t>(le16(bytes.data() + at)));
      }
      return audio;
    }
    offset = body + size + (size % 2);  // chunks are word-aligned
  }
  throw fail(have_format ? "no data chunk" : "no fmt chunk");
}

AudioComparison compare_audio(const WavAudio& reference, const WavAudio& recorded,
                              std::chrono::milliseconds max_lag) {
  if (reference.sample_rate != recorded.sample_rate) {
    throw std::invalid_argument("compare_audio: sample rates differ (" +
                                std::to_string(reference.sample_rate) + " vs " +
                                std::to_string(recorded.sample_rate) + " Hz); convert first");
  }
  AudioComparison result;
  result.reference_seconds = reference.seconds();
  result.recorded_seconds = recorded.seconds();
  result.reference_active_seconds = active_seconds(reference);
  result.recorded_active_seconds = active_seconds(recorded);
  if (reference.samples.empty() || recorded.samples.empty()) return result;

  // Cross-correlation through the FFT: r[k] = sum x[n] y[n + k] = IFFT(conj(X) * Y)[k], negative k wrapping
  // to the end. Zero padding to >= len(x) + len(y) keeps the circular correlation from aliasing.
  std::size_t size = 1;
  while (size < reference.samples.size() + recorded.samples.size()) size <<= 1;
  std::vector<std::complex<double>> x(size);
  std::vector<std::complex<double>> y(size);
  double energy_x = 0.0;
  double energy_y = 0.0;
  for (std::size_t i = 0; i < reference.samples.size(); ++i) {
    x[i] = reference.samples[i];
    energy_x += static_cast<double>(reference.samples[i]) * reference.samples[i];
  }
  for (std::size_t i = 0; i < recorded.samples.size(); ++i) {
    y[i] = recorded.samples[i];
    energy_y += static_cast<double>(recorded.samples[i]) * recorded.samples[i];
  }
  if (energy_x == 0.0 || energy_y == 0.0) return result;
  fft(x, false);
  fft(y, false);
  for (std::size_t i = 0; i < size; ++i) x[i] = std::conj(x[i]) * y[i];
  fft(x, true);

  const auto limit = static_cast<std::ptrdiff_t>(
      std::min<double>(static_cast<double>(max_lag.count()) * reference.sample_rate / 1000.0,
                       static_cast<double>(size / 2 - 1)));
  double best = -2.0;
  std::ptrdiff_t best_lag = 0;
  for (std::ptrdiff_t lag = -limit; lag <= limit; ++lag) {
    const std::size_t index =
        lag >= 0 ? static_cast<std::size_t>(lag) : size - static_cast<std::size_t>(-lag);
    const double value = x[index].real() / static_cast<double>(size);
    if (value > best) {
      best = value;
      best_lag = lag;
    }
  }
  result.correlation = best / std::sqrt(energy_x * energy_y);
  result.lag_seconds = static_cast<double>(best_lag) / reference.sample_rate;
  return result;
}

AudioComparison compare_wav_files(const std::filesystem::path& reference,
                                  const std::filesystem::path& recorded, std::chrono::milliseconds max_lag) {
  return compare_audio(read_wav(reference), read_wav(recorded), max_lag);
}

SegmentedComparison compare_audio_segments(const WavAudio& reference, const WavAudio& recorded,
                                           std::chrono::milliseconds segment,
                                           std::chrono::milliseconds max_lag,
                                           std::chrono::milliseconds local_lag) {
  const auto whole = compare_audio(reference, recorded, max_lag);  // also checks the sample rates
  SegmentedComparison result;
  result.segment = segment;
  result.whole_lag_seconds = whole.lag_seconds;
  const auto rate = static_cast<double>(reference.sample_rate);
  const auto length = static_cast<std::ptrdiff_t>(static_cast<double>(segment.count()) * rate / 1000.0);
  const auto search = static_cast<std::ptrdiff_t>(static_cast<double>(local_lag.count()) * rate / 1000.0);
  const auto centre = static_cast<std::ptrdiff_t>(std::lround(whole.lag_seconds * rate));
  const auto& ref = reference.samples;
  const auto& rec = recorded.samples;
  if (length <= 0 || ref.size() < static_cast<std::size_t>(length)) return result;

  // Non-silent segments: RMS above a tenth of the loudest segment's (as active_seconds decides).
  std::vector<double> rms;
  for (std::ptrdiff_t start = 0; start + length <= static_cast<std::ptrdiff_t>(ref.size()); start += length) {
    double energy = 0.0;
    for (std::ptrdiff_t i = start; i < start + length; ++i) energy += static_cast<double>(ref[i]) * ref[i];
    rms.push_back(std::sqrt(energy / static_cast<double>(length)));
  }
  const double threshold = std::max(*std::max_element(rms.begin(), rms.end()) * 0.1, 100.0);

  for (std::size_t index = 0; index < rms.size(); ++index) {
    if (rms[index] <= threshold) continue;
    const auto start = static_cast<std::ptrdiff_t>(index) * length;
    double energy_ref = 0.0;
    for (std::ptrdiff_t i = start; i < start + length; ++i)
      energy_ref += static_cast<double>(ref[i]) * ref[i];
    double best = 0.0;
    for (std::ptrdiff_t lag = centre - search; lag <= centre + search; ++lag) {
      const std::ptrdiff_t from = start + lag;
      if (from < 0 || from + length > static_cast<std::ptrdiff_t>(rec.size())) continue;
      double dot = 0.0;
      double energy_rec = 0.0;
      for (std::ptrdiff_t i = 0; i < length; ++i) {
        dot += static_cast<double>(ref[start + i]) * rec[from + i];
        energy_rec += static_cast<double>(rec[from + i]) * rec[from + i];
      }
      if (energy_rec > 0.0) best = std::max(best, dot / std::sqrt(energy_ref * energy_rec));
    }
    result.correlations.push_back(best);
  }
  return result;
}

std::size_t SegmentedComparison::count_above(double threshold) const {
  return static_cast<std::size_t>(
      std::count_if(correlations.begin(), correlations.end(), [&](double c) { return c > threshold; }));
}

double SegmentedComparison::fraction_above(double threshold) const {
  return correlations.empty()
             ? 0.0
             : static_cast<double>(count_above(threshold)) / static_cast<double>(correlations.size());
}

double SegmentedComparison::minimum() const {
  return correlations.empty() ? 0.0 : *std::min_element(correlations.begin(), correlations.end());
}

double SegmentedComparison::median() const {
  if (correlations.empty()) return 0.0;
  auto sorted = correlations;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

std::string SegmentedComparison::describe() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "%zu non-silent segments of %lld ms: min %.4f, median %.4f, %zu above 0.99, %zu above 0.9 "
                "(around lag %+.4f s):",
                correlations.size(), static_cast<long long>(segment.count()), minimum(), median(),
                count_above(0.99), count_above(0.9), whole_lag_seconds);
  std::string result = text;
  for (const double c : correlations) {
    std::snprintf(text, sizeof text, " %.3f", c);
    result += text;
  }
  return result;
}

std::string AudioComparison::describe() const {
  char text[256];
  std::snprintf(text, sizeof text,
                "correlation %.4f at lag %+.4f s; duration %.3f s vs %.3f s sent (%+.3f s); "
                "non-silent span %.3f s vs %.3f s (%+.3f s)",
                correlation, lag_seconds, recorded_seconds, reference_seconds, duration_difference(),
                recorded_active_seconds, reference_active_seconds, active_duration_difference());
  return text;
}

}  // namespace va::test
