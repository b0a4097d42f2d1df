// What the caller says, as recognisers write it (case, punctuation, ё), against a flow's intents.
#include "voice/flow/intent_matcher.hpp"

#include <gtest/gtest.h>

namespace va::voice::flow {
namespace {

Intent intent(std::string name, std::map<std::string, std::vector<std::string>> keywords,
              std::vector<std::string> dtmf = {}) {
  Intent in;
  in.name = std::move(name);
  for (const auto& [lang, phrases] : keywords)
    for (const auto& p : phrases) in.keywords[lang].push_back(parse_keyword(p));
  in.dtmf = std::move(dtmf);
  return in;
}

Pattern pattern(const std::string& source) {
  return {source, std::make_shared<const std::regex>(source, std::regex::ECMAScript | std::regex::icase)};
}

TEST(Normalize, LowerCasesRussianAndEnglishAndFoldsYo) {
  EXPECT_EQ(normalize_transcript("Алло, ОПЕРАТОР!"), "алло оператор");
  EXPECT_EQ(normalize_transcript("ЁЛКА, ещё и Ещё"), "елка еще и еще");
  EXPECT_EQ(normalize_transcript("Hello,   World!!"), "hello world");
}

TEST(Normalize, StripsPunctuationQuotesAndDashes) {
  EXPECT_EQ(normalize_transcript("«Часы работы» — пожалуйста..."), "часы работы пожалуйста");
  EXPECT_EQ(normalize_transcript("  12-34-56 "), "12 34 56");
  EXPECT_EQ(normalize_transcript("what's up?"), "what s up");
  EXPECT_EQ(normalize_transcript(""), "");
  EXPECT_EQ(normalize_transcript("?!..."), "");
}

TEST(Normalize, SurvivesInvalidUtf8) {
  EXPECT_EQ(normalize_transcript(std::string("да\xFF\xC3нет")), "да нет");
  EXPECT_EQ(normalize_transcript(std::string("\xD0")), "");  // a cut two-byte sequence
}

TEST(Keywords, MatchWholeWordsInOrder) {
  auto hours = parse_keyword("Часы работы");
  EXPECT_TRUE(contains_keyword(normalize_transcript("Подскажите часы работы, пожалуйста"), hours));
  EXPECT_FALSE(contains_keyword(normalize_transcript("работы часы"), hours));
  EXPECT_FALSE(contains_keyword(normalize_transcript("часы"), hours));
  EXPECT_FALSE(contains_keyword("imbalance", parse_keyword("balance")));
}

TEST(Keywords, StarMatchesWordEndings) {
  auto op = parse_keyword("оператор*");
  EXPECT_TRUE(contains_keyword(normalize_transcript("Соедините с оператором"), op));
  EXPECT_TRUE(contains_keyword(normalize_transcript("оператор"), op));
  EXPECT_FALSE(contains_keyword(normalize_transcript("Соедините с оператором"), parse_keyword("оператор")));
}

TEST(Keywords, KeywordsAreNormalisedToo) {
  auto k = parse_keyword("Лицевой СЧЁТ!");
  ASSERT_EQ(k.words, (std::vector<std::string>{"лицевой", "счет"}));
  EXPECT_TRUE(contains_keyword(normalize_transcript("мой лицевой счёт"), k));
}

TEST(MatchSpeech, UsesTheCallsLanguage) {
  std::vector<Intent> intents = {
      intent("hours", {{"ru", {"часы работы"}}, {"en", {"hours"}}}),
      intent("operator", {{"ru", {"оператор*"}}, {"en", {"operator", "real person"}}})};
  EXPECT_EQ(match_speech(intents, "Часы работы?", "ru"), 0u);
  EXPECT_EQ(match_speech(intents, "Дайте ОПЕРАТОРА!", "ru"), 1u);
  EXPECT_EQ(match_speech(intents, "I want a Real Person.", "en"), 1u);
  EXPECT_EQ(match_speech(intents, "What are your hours?", "en"), 0u);
  EXPECT_FALSE(match_speech(intents, "hours", "ru"));  // English words in a Russian call
  EXPECT_FALSE(match_speech(intents, "", "ru"));
  EXPECT_FALSE(match_speech(intents, "погода", "ru"));
}

TEST(MatchSpeech, FirstMatchingIntentWins) {
  std::vector<Intent> intents = {intent("a", {{"en", {"yes"}}}), intent("b", {{"en", {"yes please"}}})};
  EXPECT_EQ(match_speech(intents, "Yes, please", "en"), 0u);
}

TEST(MatchSpeech, RegexOnTheNormalisedTranscript) {
  Intent in;
  in.name = "order";
  in.patterns["ru"].push_back(pattern("заказ.* (\\d+)"));
  std::vector<Intent> intents = {in};
  EXPECT_EQ(match_speech(intents, "Где мой ЗАКАЗ номер 123?", "ru"), 0u);
  EXPECT_FALSE(match_speech(intents, "где мой заказ", "ru"));
}

TEST(MatchDtmf, ExactAndLongerSequences) {
  std::vector<Intent> intents = {intent("one", {}, {"1"}), intent("twelve", {}, {"12"}),
                                 intent("op", {}, {"0"})};
  auto m = match_dtmf(intents, "1");
  EXPECT_EQ(m.exact, 0u);
  EXPECT_TRUE(m.longer_possible);
  m = match_dtmf(intents, "12");
  EXPECT_EQ(m.exact, 1u);
  EXPECT_FALSE(m.longer_possible);
  m = match_dtmf(intents, "0");
  EXPECT_EQ(m.exact, 2u);
  m = match_dtmf(intents, "5");
  EXPECT_FALSE(m.exact);
  EXPECT_FALSE(m.longer_possible);
}

TEST(Extract, CaptureGroupOrWholeMatch) {
  EXPECT_EQ(extract(pattern("счет (\\d+)"), "мой счет 4455 спасибо"), "4455");
  EXPECT_EQ(extract(pattern("\\d{4}"), "код 1234"), "1234");
  EXPECT_FALSE(extract(pattern("\\d{4}"), "код 12"));
}

TEST(Extract, LongInputIsBounded) {
  std::string text(100000, 'a');
  EXPECT_FALSE(extract(pattern("b"), text));
}

TEST(SpokenDigits, KeepsOnlyDigits) {
  EXPECT_EQ(spoken_digits(normalize_transcript("Мой счёт: 12-34-56.")), "123456");
  EXPECT_EQ(spoken_digits("нет цифр"), "");
}

}  // namespace
}  // namespace va::voice::flow
