// Test audio: WAV files made with sox (tones and sweeps padded with silence), conversions between the forms
// the peers want (16-bit PCM at the codec's rate, A-law for SIPp's rtp_stream, raw G.711 payload from a
// capture), and a comparison of what a peer recorded against what was sent.
//
// The comparison is done here in C++ (a WAV reader and an FFT cross-correlation), not by an external tool,
// so a failing test can say exactly what differed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace va::test {

struct TestSignal {
  enum class Shape { tone, sweep };
  Shape shape = Shape::sweep;
  double start_hz = 300.0;  // the tone's frequency, or where the sweep starts
  double end_hz = 3000.0;   // where the sweep ends (ignored for a tone)
  std::chrono::milliseconds length{2000};
  double amplitude = 0.5;  // linear, 1.0 = full scale
  int sample_rate = 8000;  // 8000 for G.711, 16000 for G.722
  // Silence around the signal: a call's first and last moments are lost to setup and teardown, and a peer
  // that hangs up when its WAV ends needs a tail long enough for anything the test does after the signal.
  std::chrono::milliseconds lead_silence{500};
  std::chrono::milliseconds tail_silence{500};
};

// Writes `signal` as a 16-bit mono PCM WAV with sox. Throws std::runtime_error with sox's message.
void make_test_wav(const std::filesystem::path& file, const TestSignal& signal);

// Any file sox reads → 16-bit mono PCM WAV at `sample_rate` (sox's resampler).
void convert_to_pcm_wav(const std::filesystem::path& in, const std::filesystem::path& out, int sample_rate);

// → 8 kHz mono A-law WAV, what SIPp's <exec rtp_stream="file.wav,1,8,PCMA/8000"/> plays.
void encode_alaw_wav(const std::filesystem::path& in, const std::filesystem::path& out);

// Raw G.711 payload bytes (see RtpCapture::write_payload) → 16-bit mono PCM WAV.
enum class G711Law { alaw, ulaw };
void decode_g711_raw(const std::filesystem::path& raw, const std::filesystem::path& out, G711Law law,
                     int sample_rate = 8000);

struct WavAudio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<std::int16_t> samples{};  // the first channel
  double seconds() const { return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0; }
};

// Reads a 16-bit PCM WAV (plain or WAVE_FORMAT_EXTENSIBLE). A data chunk whose size was never finalised
// (a recorder still writing) is read to the end of the file. Throws std::runtime_error saying what is wrong.
WavAudio read_wav(const std::filesystem::path& file);

struct AudioComparison {
  // Normalised cross-correlation at the best lag: sum(ref[n] * rec[n + lag]) / sqrt(E_ref * E_rec).
  // 1.0 means `recorded` is a scaled, shifted copy of `reference`; codecs cost a little, noise or a wrong
  // sample rate cost a lot.
  double correlation = 0.0;
  double lag_seconds = 0.0;  // how much later the signal appears in the recording
  double reference_seconds = 0.0;
  double recorded_seconds = 0.0;
  // First to last non-silent 10 ms window: the signal itself, free of the silence a call adds or drops at
  // its ends (setup, teardown, jitter buffer). A time-stretched or truncated signal shows up here.
  double reference_active_seconds = 0.0;
  double recorded_active_seconds = 0.0;

  double duration_difference() const { return recorded_seconds - reference_seconds; }
  double active_duration_difference() const { return recorded_active_seconds - reference_active_seconds; }
  std::string describe() const;
};

// Both must have the same sample rate (convert first); the lag is searched within ±max_lag.
AudioComparison compare_audio(const WavAudio& reference, const WavAudio& recorded,
                              std::chrono::milliseconds max_lag = std::chrono::seconds(3));
AudioComparison compare_wav_files(const std::filesystem::path& reference,
                                  const std::filesystem::path& recorded,
                                  std::chrono::milliseconds max_lag = std::chrono::seconds(3));

// The reference's non-silent part cut into segments, each found in the recording at its own best lag (near
// the best lag of the whole): a recording that is right but for a frame a jitter buffer dropped or inserted
// to steer its delay (which shifts everything after it, and so lowers the whole-file correlation a lot)
// still matches segment by segment; noise, distortion or a wrong rate do not.
struct SegmentedComparison {
  std::vector<double> correlations{};  // one per non-silent segment of the reference, in order
  double whole_lag_seconds = 0.0;      // the lag of the whole-file comparison the segments searched around
  std::chrono::milliseconds segment{};

  std::size_t count_above(double threshold) const;
  double fraction_above(double threshold) const;  // 0 when there are no segments
  double minimum() const;
  double median() const;         // 0 when there are no segments
  std::string describe() const;  // "20 non-silent segments of 100 ms: min 0.93, 19 above 0.99, ..."
};

// Both must have the same sample rate. Each segment's lag is searched within ±local_lag of the whole file's
// best lag (itself within ±max_lag).
SegmentedComparison compare_audio_segments(
    const WavAudio& reference, const WavAudio& recorded,
    std::chrono::milliseconds segment = std::chrono::milliseconds(100),
    std::chrono::milliseconds max_lag = std::chrono::seconds(3),
    std::chrono::milliseconds local_lag = std::chrono::milliseconds(120));

// True when sox is installed.
bool sox_available();

}  // namespace va::test
