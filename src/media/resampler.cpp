#include "media/resampler.hpp"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace va::media {

namespace {

constexpr int kMinRate = 1000;
constexpr int kMaxRate = 192000;

}  // namespace

void Resampler::StateDeleter::operator()(SpeexResamplerState_* state) const {
  speex_resampler_destroy(state);
}

Resampler::Resampler(int input_rate, int output_rate, int quality)
    : input_rate_(input_rate), output_rate_(output_rate), quality_(quality) {
  if (input_rate < kMinRate || input_rate > kMaxRate || output_rate < kMinRate || output_rate > kMaxRate) {
    throw std::invalid_argument("resampler: rates must be " + std::to_string(kMinRate) + ".." +
                                std::to_string(kMaxRate) + " Hz, got " + std::to_string(input_rate) + " -> " +
                                std::to_string(output_rate));
  }
  if (quality < 0 || quality > kMaxQuality) {
    throw std::invalid_argument("resampler: quality must be 0..10, got " + std::to_string(quality));
  }
  if (input_rate == output_rate) return;
  int error = RESAMPLER_ERR_SUCCESS;
  state_.reset(speex_resampler_init(1, static_cast<spx_uint32_t>(input_rate),
                                    static_cast<spx_uint32_t>(output_rate), quality, &error));
  if (!state_ || error != RESAMPLER_ERR_SUCCESS) {
    if (error == RESAMPLER_ERR_ALLOC_FAILED || !state_) throw std::bad_alloc();
    throw std::invalid_argument(std::string("resampler: ") + speex_resampler_strerror(error));
  }
}

Resampler::~Resampler() = default;
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;

std::size_t Resampler::max_output(std::size_t input_samples) const {
  const auto in = static_cast<std::uint64_t>(input_rate_);
  const auto out = static_cast<std::uint64_t>(output_rate_);
  // The filter's fractional phase can add one sample beyond the rounded-up ratio on a given call.
  return static_cast<std::size_t>((static_cast<std::uint64_t>(input_samples) * out + in - 1) / in + 1);
}

std::size_t Resampler::process(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
  if (!state_) {
    const std::size_t n = std::min(in.size(), out.size());
    std::copy_n(in.begin(), n, out.begin());
    return n;
  }
  constexpr std::size_t kMaxCall = std::numeric_limits<spx_uint32_t>::max();
  std::size_t consumed = 0;
  std::size_t produced = 0;
  while (consumed < in.size() && produced < out.size()) {
    auto in_len = static_cast<spx_uint32_t>(std::min(in.size() - consumed, kMaxCall));
    auto out_len = static_cast<spx_uint32_t>(std::min(out.size() - produced, kMaxCall));
    speex_resampler_process_int(state_.get(), 0, in.data() + consumed, &in_len, out.data() + produced,
                                &out_len);
    if (in_len == 0 && out_len == 0) break;
    consumed += in_len;
    produced += out_len;
  }
  return produced;
}

void Resampler::reset() {
  if (state_) speex_resampler_reset_mem(state_.get());
}

int Resampler::latency() const {
  return state_ ? speex_resampler_get_output_latency(state_.get()) : 0;
}

}  // namespace va::media
