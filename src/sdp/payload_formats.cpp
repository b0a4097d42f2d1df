#include "sdp/payload_formats.hpp"

#include <array>
#include <bitset>

#include "sdp/text.hpp"

namespace va::sdp {
namespace {

struct StaticType {
  std::uint8_t payload_type;
  std::string_view name;
  std::uint32_t clock_rate;
  std::string_view channels;
};

// RFC 3551 §6, tables 4 (audio) and 5 (video). Types 1 and 2 are reserved (formerly 1016 and G721).
constexpr std::array kStaticTypes{
    StaticType{0, "PCMU", 8000, "1"},   StaticType{3, "GSM", 8000, "1"},
    StaticType{4, "G723", 8000, "1"},   StaticType{5, "DVI4", 8000, "1"},
    StaticType{6, "DVI4", 16000, "1"},  StaticType{7, "LPC", 8000, "1"},
    StaticType{8, "PCMA", 8000, "1"},   StaticType{9, "G722", 8000, "1"},
    StaticType{10, "L16", 44100, "2"},  StaticType{11, "L16", 44100, "1"},
    StaticType{12, "QCELP", 8000, "1"}, StaticType{13, "CN", 8000, "1"},
    StaticType{14, "MPA", 90000, ""},   StaticType{15, "G728", 8000, "1"},
    StaticType{16, "DVI4", 11025, "1"}, StaticType{17, "DVI4", 22050, "1"},
    StaticType{18, "G729", 8000, "1"},  StaticType{25, "CelB", 90000, ""},
    StaticType{26, "JPEG", 90000, ""},  StaticType{28, "nv", 90000, ""},
    StaticType{31, "H261", 90000, ""},  StaticType{32, "MPV", 90000, ""},
    StaticType{33, "MP2T", 90000, ""},  StaticType{34, "H263", 90000, ""},
};

// Annex B (VAD/CNG) off: RFC 4856 §2.1.9 reads a missing annexb as "yes", and SID frames are one more thing
// to get wrong at the far end for no gain on a call with an agent that talks most of the time.
constexpr std::array kCodecFormats{
    CodecFormat{config::Codec::pcmu, "PCMU", 0, 8000, 8000, ""},
    CodecFormat{config::Codec::pcma, "PCMA", 8, 8000, 8000, ""},
    CodecFormat{config::Codec::g722, "G722", 9, 8000, 16000, ""},
    CodecFormat{config::Codec::g729, "G729", 18, 8000, 8000, "annexb=no"},
};

constexpr std::size_t kEventCount = 256;  // RFC 4733 event codes are one octet
constexpr std::size_t kHandledEvents = 16;

// "0-15", "0-11,16", "0-15,32-41": ranges and single events (RFC 4733 §2.4.1); nullopt when unreadable.
std::optional<std::bitset<kEventCount>> parse_event_list(std::string_view list) {
  std::bitset<kEventCount> events;
  list = text::trim(list);
  if (list.empty()) return std::nullopt;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = text::trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    auto dash = item.find('-');
    auto first = text::parse_unsigned<unsigned>(text::trim(item.substr(0, dash)));
    auto last = dash == std::string_view::npos
                    ? first
                    : text::parse_unsigned<unsigned>(text::trim(item.substr(dash + 1)));
    if (!first || !last || *first > *last || *last >= kEventCount) return std::nullopt;
    for (unsigned e = *first; e <= *last; ++e) events.set(e);
  }
  return events;
}

std::string format_event_list(const std::bitset<kEventCount>& events) {
  std::string out;
  std::size_t e = 0;
  while (e < kEventCount) {
    if (!events.test(e)) {
      ++e;
      continue;
    }
    std::size_t last = e;
    while (last + 1 < kEventCount && events.test(last + 1)) ++last;
    if (!out.empty()) out += ',';
    out += std::to_string(e);
    if (last > e) out += '-' + std::to_string(last);
    e = last + 1;
  }
  return out;
}

}  // namespace

std::optional<RtpMap> static_payload_type(std::uint8_t payload_type) {
  for (const auto& t : kStaticTypes) {
    if (t.payload_type == payload_type) {
      return RtpMap{t.payload_type, std::string(t.name), t.clock_rate, std::string(t.channels)};
    }
  }
  return std::nullopt;
}

const CodecFormat& codec_format(config::Codec codec) {
  for (const auto& f : kCodecFormats) {
    if (f.codec == codec) return f;
  }
  return kCodecFormats.front();  // unreachable: every enumerator has a row
}

std::optional<config::Codec> codec_for(const RtpMap& format) {
  if (format.channels() != 1) return std::nullopt;
  for (const auto& f : kCodecFormats) {
    if (!equals_ignoring_case(format.encoding_name, f.encoding_name)) continue;
    if (format.clock_rate == f.rtp_clock_rate) return f.codec;
    if (f.codec == config::Codec::g722 && format.clock_rate == 16000) return f.codec;
  }
  return std::nullopt;
}

bool is_telephone_event(const RtpMap& format) {
  return equals_ignoring_case(format.encoding_name, kTelephoneEvent);
}

std::optional<std::string> common_telephone_events(std::optional<std::string_view> offered_fmtp) {
  std::bitset<kEventCount> handled;
  for (std::size_t e = 0; e < kHandledEvents; ++e) handled.set(e);
  auto offered = offered_fmtp ? parse_event_list(*offered_fmtp) : std::nullopt;
  auto common = offered ? (*offered & handled) : handled;
  if (common.none()) return std::nullopt;
  return format_event_list(common);
}

}  // namespace va::sdp
