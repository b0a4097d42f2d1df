#include "sip/syntax.hpp"

#include <gtest/gtest.h>

#include "sip/params.hpp"

namespace va::sip {
namespace {

TEST(SipSyntax, TokensAndCaseInsensitiveComparison) {
  EXPECT_TRUE(is_token("z9hG4bK-74.bf!%*_+`'~"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a;b"));
  EXPECT_TRUE(iequals("Call-ID", "call-id"));
  EXPECT_FALSE(iequals("Call-ID", "Call-I"));
}

TEST(SipSyntax, SplitsListsOutsideQuotesAndAngleBrackets) {
  std::vector<std::string_view> items;
  ASSERT_TRUE(split_list(R"("Doe, John" <sip:j@a.example;x=1,2>;q=0.5 , <sip:b@b.example>,, sip:c@c.example)",
                         items));
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], R"("Doe, John" <sip:j@a.example;x=1,2>;q=0.5)");
  EXPECT_EQ(items[1], "<sip:b@b.example>");
  EXPECT_EQ(items[2], "sip:c@c.example");

  items.clear();
  // An escaped quote does not end the quoted string, so the comma after it is still inside.
  ASSERT_TRUE(split_list(R"("a \", b" <sip:x@y>, <sip:z@w>)", items));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], R"("a \", b" <sip:x@y>)");

  items.clear();
  EXPECT_FALSE(split_list(R"("unterminated, <sip:a@b>)", items));
  EXPECT_FALSE(split_list("<sip:a@b, sip:c@d", items));
}

TEST(SipSyntax, FindsCharactersOutsideQuotesAndBrackets) {
  std::string_view v = R"("a;b" <sip:x;lr>;tag=1)";
  EXPECT_EQ(find_unquoted(v, ';'), v.find(";tag"));
  EXPECT_EQ(find_unquoted("\"open;", ';'), std::string_view::npos);
  EXPECT_EQ(unquote_if_quoted(R"("x\"y")"), "x\"y");
  EXPECT_EQ(unquote_if_quoted("token"), "token");
}

TEST(SipSyntax, QuotedStringsWithEscapes) {
  auto v = unquote(R"("say \"hi\" \\ there")");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, R"(say "hi" \ there)");
  EXPECT_EQ(quote(*v), R"("say \"hi\" \\ there")");
  EXPECT_FALSE(unquote(R"("open)"));
  EXPECT_FALSE(unquote(R"("a" "b")"));
  EXPECT_FALSE(unquote("\"a\\\rb\""));
  EXPECT_EQ(unquote("\"\"").value(), "");
}

TEST(SipSyntax, DecimalsRejectSignsSpacesAndOverflow) {
  EXPECT_EQ(parse_decimal("0", 10), 0u);
  EXPECT_EQ(parse_decimal("4294967295", 0xffffffffu), 4294967295u);
  EXPECT_FALSE(parse_decimal("4294967296", 0xffffffffu));
  EXPECT_FALSE(parse_decimal("99999999999999999999999999", ~0ull));
  EXPECT_FALSE(parse_decimal("-1", 10));
  EXPECT_FALSE(parse_decimal(" 1", 10));
  EXPECT_FALSE(parse_decimal("", 10));
}

TEST(SipSyntax, PercentEscapes) {
  EXPECT_EQ(percent_decode("a%20b%3a").value(), "a b:");
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  std::string out;
  percent_encode("a b@", is_unreserved, out);
  EXPECT_EQ(out, "a%20b%40");
}

TEST(SipParams, HeaderParamsKeepQuotesAndAllowWhiteSpace) {
  auto p =
      parse_params(R"( ; tag = 1928301774 ;lr; +sip.instance="<urn:uuid:1;2>";q=0.7)", ParamSyntax::header);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->get("TAG"), "1928301774");
  EXPECT_TRUE(p->has("lr"));
  EXPECT_FALSE(p->get("lr"));
  EXPECT_EQ(p->get("+sip.instance"), R"("<urn:uuid:1;2>")");
  EXPECT_EQ(p->to_string(), R"(;tag=1928301774;lr;+sip.instance="<urn:uuid:1;2>";q=0.7)");
  EXPECT_FALSE(parse_params(";=x", ParamSyntax::header));
  EXPECT_FALSE(parse_params(";a=", ParamSyntax::header));
  EXPECT_FALSE(parse_params(";a=\"x", ParamSyntax::header));
  EXPECT_FALSE(parse_params("x", ParamSyntax::header));
}

TEST(SipParams, UriParamsAllowEscapesButNoWhiteSpace) {
  auto p = parse_params(";transport=tcp;maddr=[2001:db8::1];x=%41", ParamSyntax::uri);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->get("maddr"), "[2001:db8::1]");
  EXPECT_EQ(p->get("x"), "%41");
  EXPECT_FALSE(parse_params("; transport=tcp", ParamSyntax::uri));
  EXPECT_FALSE(parse_params(";x=%4", ParamSyntax::uri));
  Params q;
  q.set("lr");
  q.set("transport", "udp");
  q.set("LR", "1");
  EXPECT_EQ(q.to_string(), ";lr=1;transport=udp");
  EXPECT_TRUE(q.remove("Transport"));
  EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace va::sip
