#include "media/codec_bridge.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace va::media {

bool SampleFifo::push(std::span<const std::int16_t> pcm) {
  if (pcm.size() > space()) return false;
  const std::size_t cap = buffer_.size();
  std::size_t tail = (head_ + size_) % cap;
  const std::size_t first = std::min(pcm.size(), cap - tail);
  std::copy_n(pcm.begin(), first, buffer_.begin() + static_cast<std::ptrdiff_t>(tail));
  std::copy(pcm.begin() + static_cast<std::ptrdiff_t>(first), pcm.end(), buffer_.begin());
  size_ += pcm.size();
  return true;
}

bool SampleFifo::pop(std::span<std::int16_t> out) {
  if (out.size() > size_) return false;
  const std::size_t cap = buffer_.size();
  const std::size_t first = std::min(out.size(), cap - head_);
  std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(head_), first, out.begin());
  std::copy_n(buffer_.begin(), out.size() - first, out.begin() + static_cast<std::ptrdiff_t>(first));
  head_ = (head_ + out.size()) % cap;
  size_ -= out.size();
  return true;
}

namespace {

std::size_t checked_ptime_samples(const AudioCodec& codec, std::chrono::milliseconds ptime) {
  if (!codec.info().supports_ptime(ptime) || ptime > CodecBridge::kMaxPacketDuration) {
    throw std::invalid_argument("ptime " + std::to_string(ptime.count()) + " ms is not usable with " +
                                std::string(codec.name()));
  }
  return codec.samples_per(ptime);
}

}  // namespace

CodecBridge::CodecBridge(AudioCodec& codec, std::chrono::milliseconds ptime, int resampler_quality)
    : codec_(&codec),
      ptime_(ptime),
      ptime_samples_(checked_ptime_samples(codec, ptime)),
      max_packet_samples_(codec.samples_per(kMaxPacketDuration)),
      upsampler_(codec.sample_rate(), kPipelineSampleRate, resampler_quality),
      decoded_(max_packet_samples_),
      resampled_(upsampler_.max_output(max_packet_samples_)),
      // Room for the longest packet on top of a frame not yet popped.
      received_(resampled_.size() + kFrameSamples),
      downsampler_(kPipelineSampleRate, codec.sample_rate(), resampler_quality),
      frame_at_codec_rate_(downsampler_.max_output(kFrameSamples)),
      to_send_(ptime_samples_ + frame_at_codec_rate_.size()),
      packet_pcm_(ptime_samples_),
      payload_(codec.info().encoded_bytes(ptime_samples_)) {}

CodecBridge::ReceiveStatus CodecBridge::queue_received(std::span<const std::int16_t> pcm) {
  if (received_.space() < upsampler_.max_output(pcm.size())) return ReceiveStatus::queue_full;
  last_received_size_ = pcm.size();  // pcm is always a prefix of decoded_
  const std::size_t n = upsampler_.process(pcm, resampled_);
  received_.push(std::span<const std::int16_t>(resampled_).first(n));
  return ReceiveStatus::ok;
}

CodecBridge::ReceiveStatus CodecBridge::receive_payload(std::span<const std::uint8_t> payload) {
  last_received_size_ = 0;
  const std::size_t samples = codec_->decoded_samples(payload);
  if (samples == 0) return ReceiveStatus::malformed_payload;
  if (samples > max_packet_samples_) return ReceiveStatus::too_long;
  if (received_.space() < upsampler_.max_output(samples)) return ReceiveStatus::queue_full;
  const CodecResult result = codec_->decode(payload, decoded_);
  if (!result.ok()) return ReceiveStatus::malformed_payload;
  return queue_received(std::span<const std::int16_t>(decoded_).first(result.size));
}

CodecBridge::ReceiveStatus CodecBridge::receive_loss(std::uint32_t rtp_units) {
  last_received_size_ = 0;
  const auto samples = static_cast<std::size_t>(static_cast<std::uint64_t>(rtp_units) *
                                                static_cast<std::uint64_t>(codec_->sample_rate()) /
                                                static_cast<std::uint64_t>(codec_->rtp_clock_rate()));
  if (samples > max_packet_samples_) return ReceiveStatus::too_long;
  if (received_.space() < upsampler_.max_output(samples)) return ReceiveStatus::queue_full;
  const std::span<std::int16_t> pcm = std::span<std::int16_t>(decoded_).first(samples);
  codec_->conceal(pcm);
  return queue_received(pcm);
}

CodecBridge::ReceiveStatus CodecBridge::receive_silence(std::uint32_t rtp_units) {
  last_received_size_ = 0;
  const auto samples = static_cast<std::size_t>(static_cast<std::uint64_t>(rtp_units) *
                                                static_cast<std::uint64_t>(codec_->sample_rate()) /
                                                static_cast<std::uint64_t>(codec_->rtp_clock_rate()));
  if (samples > max_packet_samples_) return ReceiveStatus::too_long;
  const std::span<std::int16_t> pcm = std::span<std::int16_t>(decoded_).first(samples);
  std::fill(pcm.begin(), pcm.end(), std::int16_t{0});
  // Through the resampler, so that its filter history stays continuous with the audio around the gap.
  return queue_received(pcm);
}

std::optional<AudioFrame> CodecBridge::pop_frame() {
  if (received_.size() < kFrameSamples) return std::nullopt;
  AudioFrame frame;
  received_.pop(frame.samples);
  frame.timestamp = next_frame_time_;
  next_frame_time_ += SampleTime{kFrameSamples};
  return frame;
}

bool CodecBridge::send_frame(const AudioFrame& frame) {
  if (to_send_.space() < downsampler_.max_output(kFrameSamples)) return false;
  const std::size_t n = downsampler_.process(frame.samples, frame_at_codec_rate_);
  to_send_.push(std::span<const std::int16_t>(frame_at_codec_rate_).first(n));
  return true;
}

std::optional<CodecBridge::Payload> CodecBridge::pop_payload() {
  if (!to_send_.pop(packet_pcm_)) return std::nullopt;
  const CodecResult result = codec_->encode(packet_pcm_, payload_);
  if (!result.ok()) return std::nullopt;  // cannot happen: sizes are fixed in the constructor
  return Payload{std::span<const std::uint8_t>(payload_).first(result.size),
                 codec_->info().rtp_units(ptime_samples_)};
}

void CodecBridge::flush_send() {
  to_send_.clear();
  downsampler_.reset();
}

}  // namespace va::media
