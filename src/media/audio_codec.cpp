#include "media/audio_codec.hpp"

#include <stdexcept>
#include <string>

#include "media/g711_codec.hpp"
#include "media/g722_codec.hpp"
#ifdef VA_WITH_G729
#include "media/g729_codec.hpp"
#endif

namespace va::media {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::size_t CodecInfo::samples_per(std::chrono::milliseconds ptime) const {
  const auto product = static_cast<std::int64_t>(sample_rate) * ptime.count();
  if (ptime.count() <= 0 || product % 1000 != 0) return 0;
  return static_cast<std::size_t>(product / 1000);
}

std::uint32_t CodecInfo::rtp_units(std::size_t samples) const {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(samples) *
                                    static_cast<std::uint64_t>(rtp_clock_rate) /
                                    static_cast<std::uint64_t>(sample_rate));
}

std::size_t CodecInfo::encoded_bytes(std::size_t samples) const {
  return samples / static_cast<std::size_t>(block_samples) * static_cast<std::size_t>(block_bytes);
}

bool CodecInfo::supports_ptime(std::chrono::milliseconds ptime) const {
  const std::size_t samples = samples_per(ptime);
  return samples > 0 && samples % static_cast<std::size_t>(block_samples) == 0;
}

std::string_view to_string(CodecError error) {
  switch (error) {
    case CodecError::none:
      return "none";
    case CodecError::output_too_small:
      return "output buffer too small";
    case CodecError::bad_input_length:
      return "PCM length is not a whole number of codec blocks";
    case CodecError::malformed_payload:
      return "malformed payload";
  }
  return "unknown";
}

void CodecRegistry::add(const CodecInfo& info, CodecFactory factory) {
  if (entry(info.name) != nullptr) {
    throw std::logic_error("codec registered twice: " + std::string(info.name));
  }
  entries_.push_back(Entry{info, std::move(factory)});
}

const CodecRegistry::Entry* CodecRegistry::entry(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (equal_ignoring_case(e.info.name, name)) return &e;
  }
  return nullptr;
}

const CodecInfo* CodecRegistry::find(std::string_view name) const {
  const Entry* e = entry(name);
  return e != nullptr ? &e->info : nullptr;
}

const CodecInfo* CodecRegistry::find_payload_type(std::uint8_t payload_type) const {
  for (const Entry& e : entries_) {
    if (e.info.payload_type == payload_type) return &e.info;
  }
  return nullptr;
}

std::unique_ptr<AudioCodec> CodecRegistry::make(std::string_view name) const {
  const Entry* e = entry(name);
  return e != nullptr ? e->factory() : nullptr;
}

std::vector<std::string_view> CodecRegistry::names() const {
  std::vector<std::string_view> result;
  result.reserve(entries_.size());
  for (const Entry& e : entries_) result.push_back(e.info.name);
  return result;
}

// The composition list of codecs. Registration is an explicit call rather than a static registrar object in
// each codec's file: va_media is a static library, and the linker drops object files nothing references, so
// self-registering codecs would silently vanish from the binary.
const CodecRegistry& builtin_codecs() {
  static const CodecRegistry registry = [] {
    CodecRegistry r;
    register_g722_codec(r);
    register_g711_codecs(r);
#ifdef VA_WITH_G729
    register_g729_codec(r);
#endif
    return r;
  }();
  return registry;
}

std::unique_ptr<AudioCodec> make_codec(std::string_view name) {
  return builtin_codecs().make(name);
}

}  // namespace va::media
