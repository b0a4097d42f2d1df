// Cutting a streamed model reply into speakable sentences: what the caller hears first, and when, must not
// depend on how the server happened to split its stream.
#include "voice/llm/sentence_splitter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace va::voice::llm {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Feeds `text` in pieces of `piece` bytes (the last one shorter), collecting sentences as they complete,
// then flushes the rest, as the dialogue does at the end of the stream.
std::vector<std::string> split(std::string_view text, std::size_t piece, std::size_t max_chars = 220) {
  SentenceSplitter splitter(max_chars);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size(); at += piece) {
    splitter.append(text.substr(at, piece));
    while (auto sentence = splitter.next()) out.push_back(std::move(*sentence));
  }
  if (auto rest = splitter.flush(); !rest.empty()) out.push_back(std::move(rest));
  return out;
}

// The sentences of `text` when it comes whole; every split into pieces of 1..size bytes gives the same.
std::vector<std::string> sentences(std::string_view text, std::size_t max_chars = 220) {
  auto whole = split(text, text.size() + 1, max_chars);
  for (std::size_t piece = 1; piece <= text.size(); ++piece)
    EXPECT_EQ(split(text, piece, max_chars), whole) << "pieces of " << piece << " bytes";
  return whole;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

TEST(SentenceSplitter, RussianSentencesWhateverTheSplit) {
  EXPECT_THAT(sentences("Здравствуйте! Чем могу помочь? Мы работаем до шести."),
              ElementsAre("Здравствуйте!", "Чем могу помочь?", "Мы работаем до шести."));
}

TEST(SentenceSplitter, EnglishSentencesWhateverTheSplit) {
  EXPECT_THAT(sentences("Hello there. How can I help you today? Great!"),
              ElementsAre("Hello there.", "How can I help you today?", "Great!"));
}

TEST(SentenceSplitter, ASentenceIsGivenOutOnlyOnceTheNextCharacterIsKnown) {
  SentenceSplitter splitter;
  splitter.append("Версия 3.");
  EXPECT_EQ(splitter.next(), std::nullopt);  // "3.5" or the end of a sentence: the next byte decides
  splitter.append("5 вышла. Д");
  EXPECT_EQ(splitter.next(), "Версия 3.5 вышла.");
  EXPECT_EQ(splitter.next(), std::nullopt);
  EXPECT_EQ(splitter.flush(), "Д");
}

TEST(SentenceSplitter, DecimalsAbbreviationsAndAddressesAreNotCut) {
  EXPECT_THAT(sentences("Ставка 3.5 процента, т.е. немного. Пишите на example.com и ждите."),
              ElementsAre("Ставка 3.5 процента, т.е. немного.", "Пишите на example.com и ждите."));
  EXPECT_THAT(sentences("Call J. Smith at 7.30 tomorrow. Thanks."),
              ElementsAre("Call J. Smith at 7.30 tomorrow.", "Thanks."));
}

TEST(SentenceSplitter, AOneDigitNumberEndsASentenceButASingleLetterDoesNot) {
  EXPECT_THAT(sentences("Наберите добавочный 5. Спасибо. Звоните в т.ч. в субботу."),
              ElementsAre("Наберите добавочный 5.", "Спасибо.", "Звоните в т.ч. в субботу."));
}

TEST(SentenceSplitter, RunsOfTerminatorsAndClosingQuotesStayWithTheirSentence) {
  EXPECT_THAT(sentences("Правда?! Да… Ну ладно... Он сказал «нет». (Вот так.) Конец"),
              ElementsAre("Правда?!", "Да…", "Ну ладно...", "Он сказал «нет».", "(Вот так.)", "Конец"));
  EXPECT_THAT(sentences("Really?!? \"Yes.\" Ok…… fine"),
              ElementsAre("Really?!?", "\"Yes.\"", "Ok……", "fine"));
}

TEST(SentenceSplitter, ALineBreakEndsASentence) {
  EXPECT_THAT(sentences("Первое\nВторое\r\nТретье"), ElementsAre("Первое", "Второе", "Третье"));
}

TEST(SentenceSplitter, MarkdownIsDroppedFromWhatIsSpoken) {
  EXPECT_THAT(sentences("## Часы работы\n- **Пн–Пт**: с 9 до 18.\n+ `Сб`: выходной.\n* _Вс_ тоже."),
              ElementsAre("Часы работы", "Пн–Пт: с 9 до 18.", "Сб: выходной.", "Вс тоже."));
  EXPECT_EQ(speakable("  **Hello**,\t\n  _world_  "), "Hello, world");
  EXPECT_EQ(speakable("a - b"), "a - b");  // a dash inside a line is text, not a bullet
}

TEST(SentenceSplitter, NothingSpeakableGivesNoSentence) {
  EXPECT_THAT(sentences("**\n\n- \n...\n  ?! "), IsEmpty());
  EXPECT_THAT(sentences("…\n🙂 👍 → €\n"), IsEmpty());  // symbols and emoji alone are not spoken
  SentenceSplitter splitter;
  splitter.append("***");
  EXPECT_EQ(splitter.next(), std::nullopt);
  EXPECT_EQ(splitter.flush(), "");
  EXPECT_EQ(splitter.flush(), "");  // flushed: nothing is left
}

TEST(SentenceSplitter, FlushGivesTheRestOnce) {
  SentenceSplitter splitter;
  splitter.append("Готово. Осталось немного");
  EXPECT_EQ(splitter.next(), "Готово.");
  EXPECT_EQ(splitter.next(), std::nullopt);
  EXPECT_EQ(splitter.flush(), "Осталось немного");
  EXPECT_EQ(splitter.flush(), "");
  splitter.append("Снова.");
  EXPECT_EQ(splitter.flush(), "Снова.");
}

TEST(SentenceSplitter, ARunOnIsCutAtItsLastCommaWithinTheLimit) {
  auto out = sentences("один два, три четыре, пять шесть семь восемь девять", 40);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0], "один два, три четыре,");  // 38 bytes: the last ", " within 40
  for (const auto& s : out) {
    EXPECT_LE(s.size(), 40u) << s;
    EXPECT_TRUE(valid_utf8(s)) << s;
  }
}

TEST(SentenceSplitter, ARunOnWithoutCommaIsCutAtASpace) {
  auto out = sentences("aaaa bbbb cccc dddd eeee ffff", 12);
  EXPECT_THAT(out, ElementsAre("aaaa bbbb", "cccc dddd", "eeee ffff"));
}

TEST(SentenceSplitter, ARunOnIsNeverCutInsideAUtf8Character) {
  // No space, no comma: the cut falls on the limit, which lands inside two-, three- and four-byte
  // characters for some offsets.
  for (std::string_view prefix : {"x", "xy", "щ"}) {
    // A two- and a three-byte letter, and a four-byte symbol: a piece of symbols alone is not spoken.
    for (std::string_view ch : {"щ", "あ", "😀"}) {
      std::string s(prefix);
      for (int i = 0; i < 20; ++i) s += ch;
      for (std::size_t max_chars : {10u, 11u, 12u, 13u}) {
        auto out = sentences(s, max_chars);
        std::string joined;
        for (const auto& part : out) {
          EXPECT_TRUE(valid_utf8(part)) << "max " << max_chars << ": " << part;
          EXPECT_LE(part.size(), max_chars) << part;
          joined += part;
        }
        if (ch != "😀") {
          EXPECT_EQ(joined, s) << "max " << max_chars;  // nothing lost, nothing doubled
        }
      }
    }
  }
}

TEST(SentenceSplitter, ASentenceLongerThanTheLimitIsCutEvenWhenItArrivesWhole) {
  // The limit holds however the text came: whole, the terminator is already there, but the synthesiser
  // must still not wait for the long sentence.
  auto out = sentences("раз, два, три, четыре, пять, шесть, семь. Конец.", 30);
  ASSERT_GE(out.size(), 3u);
  for (const auto& s : out) EXPECT_LE(s.size(), 30u) << s;
  EXPECT_EQ(out.back(), "Конец.");
}

}  // namespace
}  // namespace va::voice::llm
