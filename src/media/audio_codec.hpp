// Audio codecs behind one interface, and the registry that makes them by SDP encoding name.
//
// A codec instance holds the state of one call's encoder and decoder (G.722 and G.729 are stateful, and the
// packet-loss concealment of every codec remembers the recent signal), so each RTP stream gets its own
// instance from make_codec(). A codec works at its own sample rate; conversion to and from the pipeline's
// 16 kHz 20 ms frames is codec_bridge.hpp's job.
//
// Adding a codec: a new <name>_codec.{hpp,cpp} implementing AudioCodec with a register_<name>_codec()
// function, and one line calling it in builtin_codecs() (audio_codec.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace va::media {

// What a codec is on the wire and in SDP.
struct CodecInfo {
  std::string_view name;          // SDP encoding name (RFC 3551 §6): "PCMU", "PCMA", "G722", "G729"
  std::uint8_t payload_type = 0;  // static RTP payload type (RFC 3551 table 4)
  int rtp_clock_rate = 8000;      // Hz of RTP timestamps and of the SDP rtpmap (not always the sample rate!)
  int sample_rate = 8000;         // Hz of the PCM encode() takes and decode() produces
  // Encoding works in blocks: `block_samples` PCM samples become `block_bytes` bytes.
  // G.711 1 → 1, G.722 2 → 1, G.729 80 → 10 (one 10 ms frame).
  int block_samples = 1;
  int block_bytes = 1;
  // True when conceal() runs the codec's own concealment (G.729) rather than the generic one (G.711, G.722).
  bool native_plc = false;

  // PCM samples in one packet of `ptime` (0 when ptime is not a whole number of samples).
  std::size_t samples_per(std::chrono::milliseconds ptime) const;
  // RTP timestamp units covered by `samples` PCM samples: G.722 counts 8000 per second for 16000 samples.
  std::uint32_t rtp_units(std::size_t samples) const;
  // Encoded size of `samples` PCM samples (a whole number of blocks).
  std::size_t encoded_bytes(std::size_t samples) const;
  // Whether packets of `ptime` hold a whole number of blocks (G.729: multiples of 10 ms).
  bool supports_ptime(std::chrono::milliseconds ptime) const;
};

enum class CodecError {
  none,
  output_too_small,   // the caller's buffer cannot hold the result
  bad_input_length,   // encode(): PCM length is not a whole number of blocks
  malformed_payload,  // decode(): the payload's length is impossible for this codec (nothing decoded)
};
std::string_view to_string(CodecError error);

struct CodecResult {
  std::size_t size = 0;  // bytes written by encode(), samples written by decode()
  CodecError error = CodecError::none;

  bool ok() const { return error == CodecError::none; }
};

class AudioCodec {
 public:
  virtual ~AudioCodec() = default;

  virtual const CodecInfo& info() const = 0;

  std::string_view name() const { return info().name; }
  std::uint8_t payload_type() const { return info().payload_type; }
  int rtp_clock_rate() const { return info().rtp_clock_rate; }
  int sample_rate() const { return info().sample_rate; }
  std::size_t samples_per(std::chrono::milliseconds ptime) const { return info().samples_per(ptime); }

  // Encodes PCM at sample_rate() (a whole number of blocks) into `out`; size = bytes written.
  virtual CodecResult encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) = 0;
  // How many samples decode() will produce from this payload; 0 when the payload is malformed. Untrusted
  // input: any byte string is safe to pass.
  virtual std::size_t decoded_samples(std::span<const std::uint8_t> payload) const = 0;
  // Decodes one RTP payload into `out`; size = samples written (decoded_samples(payload)). The decoded audio
  // also feeds the concealment state, so conceal() can continue it.
  virtual CodecResult decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) = 0;
  // Fills `out` with a plausible continuation of the signal for a packet that never arrived (packet-loss
  // concealment). Consecutive calls continue the concealment and fade it to silence over a long loss.
  virtual void conceal(std::span<std::int16_t> out) = 0;
  // Back to the initial state, for a new stream on the same codec instance (e.g. the peer's SSRC changed).
  virtual void reset() = 0;
};

using CodecFactory = std::function<std::unique_ptr<AudioCodec>()>;

// Codecs by SDP encoding name (case-insensitive, RFC 4566 §6) and by static payload type.
class CodecRegistry {
 public:
  // Registers a codec; a second registration of the same name is a logic error (throws std::logic_error).
  void add(const CodecInfo& info, CodecFactory factory);

  const CodecInfo* find(std::string_view name) const;
  const CodecInfo* find_payload_type(std::uint8_t payload_type) const;
  // A new codec instance, or nullptr for an unknown name.
  std::unique_ptr<AudioCodec> make(std::string_view name) const;
  // Registered names in registration order.
  std::vector<std::string_view> names() const;

 private:
  struct Entry {
    CodecInfo info;
    CodecFactory factory;
  };
  const Entry* entry(std::string_view name) const;

  std::vector<Entry> entries_;
};

// The codecs this build has: PCMU, PCMA, G722, and G729 when built with -DVA_WITH_G729=ON.
const CodecRegistry& builtin_codecs();
// builtin_codecs().make(name).
std::unique_ptr<AudioCodec> make_codec(std::string_view name);

}  // namespace va::media
