#include "engines/wav_format.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace va::engines {
namespace {

TEST(WavFormat, WrittenFileReadsBackSampleForSample) {
  const auto path = (std::filesystem::temp_directory_path() / "va_wav_format_test.wav").string();
  std::vector<std::int16_t> pcm{0, 1, -1, 32767, -32768, 1234};
  ASSERT_FALSE(write_wav_file(path, pcm, 8000));
  WavAudio audio;
  ASSERT_FALSE(read_wav_file(path, audio));
  EXPECT_EQ(audio.format.sample_rate, 8000);
  EXPECT_EQ(audio.format.channels, 1);
  EXPECT_EQ(audio.samples, pcm);
  std::filesystem::remove(path);
}

// eSpeak NG on a pipe: data size 0x7ffff000, bytes arriving in odd-sized pieces.
TEST(WavFormat, StreamReadByteByByteWithAnOpenEndedDataChunk) {
  const unsigned char header[] = {'R', 'I', 'F',  'F',  0x24, 0xf0, 0xff, 0x7f, 'W',  'A',  'V',
                                  'E', 'f', 'm',  't',  ' ',  16,   0,    0,    0,    1,    0,
                                  1,   0,   0x22, 0x56, 0,    0,    0x44, 0xac, 0,    0,    2,
                                  0,   16,  0,    'd',  'a',  't',  'a',  0x00, 0xf0, 0xff, 0x7f};
  std::string bytes(reinterpret_cast<const char*>(header), sizeof header);
  bytes += std::string("\x01\x00\xff\xff\x00\x80", 6);
  WavReader reader;
  std::vector<std::int16_t> samples;
  for (char c : bytes) {
    ASSERT_FALSE(reader.feed(std::span<const char>(&c, 1)));
    reader.take_samples(samples);
  }
  ASSERT_TRUE(reader.format());
  EXPECT_EQ(reader.format()->sample_rate, 22050);
  EXPECT_EQ(samples, (std::vector<std::int16_t>{1, -1, -32768}));
}

TEST(WavFormat, NotPcm16IsRefusedWithTheReason) {
  WavAudio audio;
  const auto path = (std::filesystem::temp_directory_path() / "va_wav_format_bad.wav").string();
  { std::ofstream(path) << "RIFF\x10\0\0\0WAVEjunk"; }
  auto error = read_wav_file(path, audio);
  ASSERT_TRUE(error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace va::engines
