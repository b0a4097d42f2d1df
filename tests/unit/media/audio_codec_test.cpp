#include "media/audio_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace va::media {
namespace {

using namespace std::chrono_literals;

TEST(CodecRegistry, BuiltinCodecsByNameAndPayloadType) {
  const auto names = builtin_codecs().names();
  for (const char* name : {"PCMU", "PCMA", "G722"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
#ifdef VA_TEST_WITH_G729
  EXPECT_NE(std::find(names.begin(), names.end(), "G729"), names.end());
#else
  EXPECT_EQ(std::find(names.begin(), names.end(), "G729"), names.end());
  EXPECT_EQ(make_codec("G729"), nullptr);
#endif

  const auto pcma = make_codec("PCMA");
  ASSERT_NE(pcma, nullptr);
  EXPECT_EQ(pcma->name(), "PCMA");
  EXPECT_EQ(pcma->payload_type(), 8);
  EXPECT_EQ(make_codec("pcmu")->payload_type(), 0);  // SDP encoding names are case-insensitive
  EXPECT_EQ(make_codec("g722")->payload_type(), 9);
  EXPECT_EQ(make_codec("opus"), nullptr);
  EXPECT_EQ(make_codec(""), nullptr);

  ASSERT_NE(builtin_codecs().find_payload_type(9), nullptr);
  EXPECT_EQ(builtin_codecs().find_payload_type(9)->name, "G722");
  EXPECT_EQ(builtin_codecs().find_payload_type(96), nullptr);
}

TEST(CodecRegistry, EachMakeIsANewInstance) {
  const auto a = make_codec("G722");
  const auto b = make_codec("G722");
  EXPECT_NE(a.get(), b.get());
}

TEST(CodecInfo, RatesAndSizesPerPtime) {
  const CodecInfo& g722 = *builtin_codecs().find("G722");
  EXPECT_EQ(g722.sample_rate, 16000);
  EXPECT_EQ(g722.rtp_clock_rate, 8000);  // RFC 3551 §4.5.2
  EXPECT_EQ(g722.samples_per(20ms), 320u);
  EXPECT_EQ(g722.rtp_units(320), 160u);
  EXPECT_EQ(g722.encoded_bytes(320), 160u);

  const CodecInfo& pcmu = *builtin_codecs().find("PCMU");
  EXPECT_EQ(pcmu.samples_per(30ms), 240u);
  EXPECT_EQ(pcmu.rtp_units(240), 240u);
  EXPECT_EQ(pcmu.encoded_bytes(240), 240u);
  for (const auto ptime : {10ms, 20ms, 30ms, 40ms, 60ms}) EXPECT_TRUE(pcmu.supports_ptime(ptime));
  EXPECT_FALSE(pcmu.supports_ptime(0ms));
}

class NullCodec final : public AudioCodec {
 public:
  const CodecInfo& info() const override { return info_; }
  CodecResult encode(std::span<const std::int16_t>, std::span<std::uint8_t>) override { return {}; }
  std::size_t decoded_samples(std::span<const std::uint8_t>) const override { return 0; }
  CodecResult decode(std::span<const std::uint8_t>, std::span<std::int16_t>) override { return {}; }
  void conceal(std::span<std::int16_t>) override {}
  void reset() override {}

 private:
  CodecInfo info_{.name = "L16", .payload_type = 11, .rtp_clock_rate = 44100, .sample_rate = 44100};
};

TEST(CodecRegistry, ANewCodecIsOneRegistration) {
  CodecRegistry registry;
  registry.add({.name = "L16", .payload_type = 11, .rtp_clock_rate = 44100, .sample_rate = 44100},
               [] { return std::make_unique<NullCodec>(); });
  EXPECT_EQ(registry.names(), std::vector<std::string_view>{"L16"});
  EXPECT_NE(registry.make("l16"), nullptr);
  EXPECT_EQ(registry.make("PCMU"), nullptr);
  EXPECT_THROW(registry.add({.name = "l16"}, [] { return std::make_unique<NullCodec>(); }), std::logic_error);
}

TEST(CodecError, HasReadableNames) {
  EXPECT_EQ(to_string(CodecError::malformed_payload), "malformed payload");
  EXPECT_TRUE(CodecResult{}.ok());
  EXPECT_FALSE((CodecResult{0, CodecError::output_too_small}.ok()));
}

}  // namespace
}  // namespace va::media
