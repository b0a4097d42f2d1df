// The LLM reply cut into sentences as it streams (src/voice/llm/sentence_splitter.hpp).
#include "voice/llm/sentence_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace va::voice::llm {
namespace {

// Streams `text` in pieces of `step` bytes and returns every sentence, the flushed rest last.
std::vector<std::string> split(const std::string& text, std::size_t step, std::size_t max_chars = 220) {
  SentenceSplitter splitter(max_chars);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += step) {
    splitter.append(std::string_view(text).substr(i, step));
    while (auto s = splitter.next()) out.push_back(*s);
  }
  if (auto rest = splitter.flush(); !rest.empty()) out.push_back(rest);
  return out;
}

TEST(SentenceSplitter, TheSameSentencesWhateverTheStreamsPieces) {
  const std::string text =
      "Здравствуйте! Мы работаем с 9 до 21, т.е. без перерыва. Цена — 3.5 тысячи?! Сайт example.com… "
      "Hello there. Bye";
  const std::vector<std::string> expected{"Здравствуйте!",       "Мы работаем с 9 до 21, т.е. без перерыва.",
                                          "Цена — 3.5 тысячи?!", "Сайт example.com…",
                                          "Hello there.",        "Bye"};
  for (std::size_t step = 1; step <= text.size(); ++step) EXPECT_EQ(split(text, step), expected) << step;
}

TEST(SentenceSplitter, ASentenceIsHandedOnOnlyWhenTheNextCharacterShowsItEnded) {
  SentenceSplitter splitter;
  splitter.append("Готово.");
  EXPECT_FALSE(splitter.next()) << "\"Готово.5\" would not be a sentence end";
  splitter.append(" Дальше");
  EXPECT_EQ(splitter.next(), "Готово.");
  EXPECT_FALSE(splitter.next());
  EXPECT_EQ(splitter.flush(), "Дальше");
}

TEST(SentenceSplitter, ALineBreakEndsASentenceAndMarkdownIsNotSpoken) {
  EXPECT_EQ(split("**Часы работы**\n- пн–пт: 9–18\n- сб: 10–16\n", 3),
            (std::vector<std::string>{"Часы работы", "пн–пт: 9–18", "сб: 10–16"}));
  EXPECT_EQ(speakable("  ## Title `code`  and\n\n_more_ "), "Title code and more");
}

TEST(SentenceSplitter, QuotesAndBracketsStayWithTheirSentence) {
  EXPECT_EQ(split("Он сказал «да». (Правда!) Ok", 2),
            (std::vector<std::string>{"Он сказал «да».", "(Правда!)", "Ok"}));
}

TEST(SentenceSplitter, ARunOnIsCutAtACommaAndNeverInsideACharacter) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "слово, ";
  auto out = split(text, 7, 60);
  ASSERT_GT(out.size(), 2u);
  for (const auto& s : out) {
    EXPECT_LE(s.size(), 60u) << s;
    // Valid UTF-8: no piece starts with a continuation byte or ends inside a character.
    EXPECT_NE(static_cast<unsigned char>(s.front()) & 0xC0, 0x80) << s;
    EXPECT_TRUE(s.ends_with(",") || s.ends_with("слово")) << s;
  }
  std::string unbroken(300, 'x');
  auto long_word = split(unbroken, 50, 100);
  ASSERT_EQ(long_word.size(), 3u);
  EXPECT_EQ(long_word[0].size(), 100u);
}

TEST(SentenceSplitter, NothingSpeakableIsNoSentence) {
  EXPECT_TRUE(split("... !!! ** \n\n", 1).empty());
  EXPECT_TRUE(split("…\n", 1).empty());
}

}  // namespace
}  // namespace va::voice::llm
