#include "voice/text_normalization.hpp"

#include <gtest/gtest.h>

namespace va::voice {
namespace {

TEST(NormalizeText, FoldsCaseYoAndPunctuationInRussianAndEnglish) {
  EXPECT_EQ(normalize_text("Угу."), "угу");
  EXPECT_EQ(normalize_text("  Соедините меня, с ОПЕРАТОРОМ!!! "), "соедините меня с оператором");
  EXPECT_EQ(normalize_text("Ёлка ёж"), "елка еж");
  EXPECT_EQ(normalize_text("Да-да"), "да да");
  EXPECT_EQ(normalize_text("OK, Operator?"), "ok operator");
  EXPECT_EQ(normalize_text("…"), "");
}

TEST(SplitSentences, SplitsAfterSentencePunctuationButNotInsideNumbers) {
  auto s = split_sentences("Здравствуйте! Ваш баланс 3.5 рубля. Что-нибудь ещё?");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].text, "Здравствуйте!");
  EXPECT_EQ(s[1].text, "Ваш баланс 3.5 рубля.");
  EXPECT_EQ(s[2].text, "Что-нибудь ещё?");
  EXPECT_EQ(split_sentences("No punctuation at the end").size(), 1u);
  EXPECT_EQ(split_sentences("Wait... what?!").size(), 2u);
  EXPECT_TRUE(split_sentences("   ").empty());
}

}  // namespace
}  // namespace va::voice
