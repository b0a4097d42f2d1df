// The conversion between a codec's packets and the pipeline format (design.md, "the one seam"):
//
//   receive:  RTP payload ─decode─► PCM at the codec's rate ─resample─► 16 kHz ─queue─► 20 ms AudioFrames
//   send:     20 ms AudioFrames ─resample─► codec rate ─queue─► one packet per ptime ─encode─► RTP payload
//
// Packets need not be 20 ms: a 10 ms packet fills half a frame, a 30/40/60 ms packet more than one, and the
// queues in between carry the remainder, in both directions. Lost packets (the jitter buffer says so) become
// the codec's concealment; silence gaps become silence. All buffers are sized in the constructor for the
// longest packet (kMaxPacketDuration); converting audio never allocates.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "media/audio_codec.hpp"
#include "media/audio_frame.hpp"
#include "media/resampler.hpp"

namespace va::media {

// A fixed-capacity FIFO of samples (a ring buffer).
class SampleFifo {
 public:
  explicit SampleFifo(std::size_t capacity) : buffer_(capacity) {}

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return buffer_.size(); }
  std::size_t space() const { return buffer_.size() - size_; }
  // Appends all of `pcm`; false (and nothing appended) when it does not fit.
  bool push(std::span<const std::int16_t> pcm);
  // Removes out.size() samples into `out`; false (and nothing removed) when fewer are queued.
  bool pop(std::span<std::int16_t> out);
  void clear() { head_ = size_ = 0; }

 private:
  std::vector<std::int16_t> buffer_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

class CodecBridge {
 public:
  // Longest packet accepted from the wire and longest ptime for sending. RFC 3551 recommends a maxptime of at
  // most 200 ms for the audio codecs it lists.
  static constexpr std::chrono::milliseconds kMaxPacketDuration{200};

  enum class ReceiveStatus {
    ok,
    malformed_payload,  // the codec cannot decode it (length impossible for the codec)
    too_long,           // more than kMaxPacketDuration of audio
    queue_full,         // frames were not popped: the new audio is dropped
  };

  // `codec` must outlive the bridge; the bridge uses its encoder for sending and its decoder and concealment
  // for receiving. `ptime` is the negotiated packet duration for sending (a whole number of the codec's
  // blocks, at most kMaxPacketDuration); std::invalid_argument otherwise.
  CodecBridge(AudioCodec& codec, std::chrono::milliseconds ptime,
              int resampler_quality = Resampler::kVoipQuality);

  // --- receive (wire → pipeline)
  // Decodes one RTP payload (any duration up to kMaxPacketDuration, whatever the negotiated ptime).
  ReceiveStatus receive_payload(std::span<const std::uint8_t> payload);
  // Conceals a packet that did not arrive; `rtp_units` is its duration in RTP timestamp units.
  ReceiveStatus receive_loss(std::uint32_t rtp_units);
  // Inserts silence for a gap with nothing to play (before the stream starts, DTX, hold).
  ReceiveStatus receive_silence(std::uint32_t rtp_units);
  // The next 20 ms frame once enough audio is queued. Frames are stamped with consecutive timestamps from 0.
  std::optional<AudioFrame> pop_frame();
  // Audio queued for pop_frame(), in 16 kHz samples.
  std::size_t received_samples_queued() const { return received_.size(); }
  // The audio the last receive_*() call produced, at the codec's rate, before resampling (for analysis at the
  // codec's own rate, e.g. in-band DTMF at 8 kHz); empty when it failed. Valid until the next receive_*().
  std::span<const std::int16_t> last_received_pcm() const {
    return std::span<const std::int16_t>(decoded_).first(last_received_size_);
  }

  // --- send (pipeline → wire)
  struct Payload {
    std::span<const std::uint8_t> bytes;  // valid until the next call to pop_payload()
    std::uint32_t rtp_units;  // duration in RTP timestamp units (the next packet's timestamp step)
  };
  // Queues one pipeline frame; false (frame dropped) when payloads were not popped and the queue is full.
  bool send_frame(const AudioFrame& frame);
  // The next packet's payload once a whole ptime is queued. Call until it returns nothing: a 10 ms ptime
  // yields two payloads per frame, a 60 ms ptime one payload every third frame.
  std::optional<Payload> pop_payload();
  // Drops audio queued for sending (barge-in: the agent stops talking now).
  void flush_send();

  AudioCodec& codec() const { return *codec_; }
  std::chrono::milliseconds ptime() const { return ptime_; }

 private:
  ReceiveStatus queue_received(std::span<const std::int16_t> pcm);

  AudioCodec* codec_;
  std::chrono::milliseconds ptime_;
  std::size_t ptime_samples_;       // per packet at the codec's rate
  std::size_t max_packet_samples_;  // kMaxPacketDuration at the codec's rate

  // receive
  Resampler upsampler_;                  // codec rate → 16 kHz
  std::vector<std::int16_t> decoded_;    // one packet at the codec's rate
  std::size_t last_received_size_ = 0;   // of decoded_, from the last receive_*()
  std::vector<std::int16_t> resampled_;  // one packet at 16 kHz
  SampleFifo received_;                  // 16 kHz audio waiting to become frames
  SampleTime next_frame_time_{0};

  // send
  Resampler downsampler_;  // 16 kHz → codec rate
  std::vector<std::int16_t> frame_at_codec_rate_;
  SampleFifo to_send_;                    // codec-rate audio waiting to fill a packet
  std::vector<std::int16_t> packet_pcm_;  // one ptime at the codec's rate
  std::vector<std::uint8_t> payload_;     // one encoded packet
};

}  // namespace va::media
