// Every built-in engine is registered and, on a machine where scripts/setup ran, available.
#include <gtest/gtest.h>

#include <set>

#include "shared_engines.hpp"

namespace va::test {
namespace {

TEST(BuiltinEngines, AllFiveRegisteredWithTheirKindsAndLanguages) {
  std::set<std::string> names;
  for (const auto& s : registry().statuses()) {
    names.insert(s.name);
    EXPECT_FALSE(s.detail.empty()) << s.name;
    if (s.kind != engines::EngineKind::vad) {
      EXPECT_FALSE(s.capabilities.languages.empty()) << s.name;
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"webrtc", "silero", "whisper", "pocketsphinx", "rhvoice", "flite",
                                          "espeak-ng", "openai"}));
  EXPECT_EQ(status_of("whisper").kind, engines::EngineKind::stt);
  EXPECT_EQ(status_of("rhvoice").kind, engines::EngineKind::tts);
}

TEST(BuiltinEngines, RhvoiceOffersOnlyLgplVoices) {
  const auto status = status_of("rhvoice");
  if (!status.available) GTEST_SKIP() << status.detail;
  const std::set<std::string> lgpl{"Anna", "Elena", "Irina", "Aleksandr", "SLT", "CLB", "ALAN", "BDL"};
  for (const auto& v : status.voices) EXPECT_TRUE(lgpl.contains(v)) << v;
  EXPECT_FALSE(status.voices.empty());
}

TEST(BuiltinEngines, UnknownEngineNamesTheKnownOnes) {
  auto made = registry().make_synthesizer("festival", {});
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("rhvoice"), std::string::npos) << made.error().message;
}

}  // namespace
}  // namespace va::test
