#include "sip/header.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

TEST(SipHeader, CompactFormsMapToCanonicalNames) {
  struct Case {
    const char* compact;
    const char* canonical;
  };
  for (Case c :
       {Case{"i", "Call-ID"}, Case{"m", "Contact"}, Case{"f", "From"}, Case{"t", "To"}, Case{"v", "Via"},
        Case{"l", "Content-Length"}, Case{"c", "Content-Type"}, Case{"k", "Supported"}, Case{"s", "Subject"},
        Case{"e", "Content-Encoding"}, Case{"o", "Event"}, Case{"r", "Refer-To"}, Case{"b", "Referred-By"},
        Case{"u", "Allow-Events"}, Case{"x", "Session-Expires"}, Case{"y", "Identity"},
        Case{"a", "Accept-Contact"}, Case{"j", "Reject-Contact"}, Case{"d", "Request-Disposition"}}) {
    Header h = Header::make(c.compact, "x");
    EXPECT_EQ(h.name, c.canonical) << c.compact;
    Header upper = Header::make(std::string(1, static_cast<char>(c.compact[0] - 'a' + 'A')), "x");
    EXPECT_EQ(upper.name, c.canonical) << c.compact;
  }
}

TEST(SipHeader, NamesAreCaseInsensitive) {
  EXPECT_EQ(header_id("CALL-ID"), HeaderId::call_id);
  EXPECT_EQ(header_id("cseq"), HeaderId::cseq);
  EXPECT_EQ(header_id("www-authenticate"), HeaderId::www_authenticate);
  EXPECT_EQ(Header::make("content-length", "0").name, "Content-Length");
  Header custom = Header::make("X-Exolve-Call-Uid", "1");
  EXPECT_EQ(custom.id, HeaderId::other);
  EXPECT_EQ(custom.name, "X-Exolve-Call-Uid");
  EXPECT_TRUE(custom.is("x-exolve-call-uid"));
  EXPECT_TRUE(Header::make("Via", "").is("v"));
  EXPECT_FALSE(Header::make("Via", "").is("Route"));
  EXPECT_EQ(header_id("z"), HeaderId::other);
  EXPECT_EQ(header_id(std::string_view("\0", 1)), HeaderId::other);
}

TEST(SipHeader, ListHeadersAreKnown) {
  EXPECT_TRUE(is_list_header(HeaderId::via));
  EXPECT_TRUE(is_list_header(HeaderId::contact));
  EXPECT_TRUE(is_list_header(HeaderId::supported));
  // Values with unquoted commas must not be split.
  EXPECT_FALSE(is_list_header(HeaderId::date));
  EXPECT_FALSE(is_list_header(HeaderId::www_authenticate));
  EXPECT_FALSE(is_list_header(HeaderId::authorization));
  EXPECT_FALSE(is_list_header(HeaderId::other));
}

}  // namespace
}  // namespace va::sip
