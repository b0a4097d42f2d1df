// Differential test: our parser against libosip2 (LGPL, linked into this test only, as an oracle) on the
// committed corpus tests/data/sip/*.sip. Both must accept or reject each message alike, and for accepted ones
// agree on what the SIP core uses: start line, Request-URI, Call-ID, CSeq, From/To URIs and tags, Vias and
// their branches, Content-Length and the body. Our canonical output must also be accepted by libosip2 with
// the same meaning. Where libosip2 is known to be lenient or wrong, the exception is listed with its reason.
#include <gtest/gtest.h>
#include <osipparser2/osip_parser.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sip/parser.hpp"

namespace va::sip {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(VA_SOURCE_DIR) / "tests" / "data" / "sip";

// What both parsers are compared on, as text so that a mismatch prints readably.
struct Summary {
  std::string start_line;  // "INVITE sip:user@host:port" or "200"
  std::string call_id;
  std::string cseq;
  std::string from;  // "user@host tag"
  std::string to;
  std::vector<std::string> vias;  // "host:port branch"
  std::string content_length;
  std::string body;
};

std::string text(const char* s) {
  return s != nullptr ? s : "";
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string osip_uri_summary(const osip_uri_t* u) {
  if (u == nullptr) return "<none>";
  std::string scheme = lower(text(u->scheme));
  if (scheme != "sip" && scheme != "sips") return scheme + ":" + text(u->string);
  std::string host = text(u->host);
  // libosip2 keeps IPv6 hosts without brackets, as we do.
  return scheme + ":" + text(u->username) + "@" + lower(host) + ":" + text(u->port);
}

std::string our_uri_summary(const Uri& u) {
  if (!u.is_sip()) return u.scheme_name + ":" + u.to_string().substr(u.scheme_name.size() + 1);
  return u.scheme_name + ":" + u.user + "@" + lower(u.host) + ":" + (u.port ? std::to_string(*u.port) : "");
}

std::string osip_generic_param(osip_list_t* params, const char* name) {
  osip_generic_param_t* p = nullptr;
  osip_generic_param_get_byname(params, const_cast<char*>(name), &p);
  return p != nullptr ? text(p->gvalue) : "<none>";
}

bool osip_summary(const std::string& raw, Summary& out) {
  osip_message_t* m = nullptr;
  osip_message_init(&m);
  bool ok = osip_message_parse(m, raw.data(), raw.size()) == 0;
  if (ok) {
    out.start_line = MSG_IS_REQUEST(m) ? text(m->sip_method) + " " + osip_uri_summary(m->req_uri)
                                       : std::to_string(m->status_code);
    if (m->call_id != nullptr) {
      out.call_id = text(m->call_id->number);
      if (m->call_id->host != nullptr) out.call_id += "@" + text(m->call_id->host);
    }
    if (m->cseq != nullptr) out.cseq = text(m->cseq->number) + " " + text(m->cseq->method);
    if (m->from != nullptr)
      out.from = osip_uri_summary(m->from->url) + " " + osip_generic_param(&m->from->gen_params, "tag");
    if (m->to != nullptr)
      out.to = osip_uri_summary(m->to->url) + " " + osip_generic_param(&m->to->gen_params, "tag");
    for (int i = 0; i < osip_list_size(&m->vias); ++i) {
      osip_via_t* via = nullptr;
      osip_message_get_via(m, i, &via);
      out.vias.push_back(lower(text(via->host)) + ":" + text(via->port) + " " +
                         osip_generic_param(&via->via_params, "branch"));
    }
    if (m->content_length != nullptr) out.content_length = text(m->content_length->value);
    osip_body_t* body = nullptr;
    if (osip_message_get_body(m, 0, &body) >= 0 && body != nullptr) out.body.assign(body->body, body->length);
  }
  osip_message_free(m);
  return ok;
}

bool our_summary(const std::string& raw, Summary& out, std::string& error) {
  auto parsed = parse_message(raw);
  if (!parsed) {
    error = parsed.error().to_string();
    return false;
  }
  const Message& m = *parsed;
  out.start_line = m.is_request() ? std::string(m.method_name()) + " " + our_uri_summary(m.request_uri())
                                  : std::to_string(m.status());
  if (auto id = m.call_id()) out.call_id = std::string(*id);
  if (auto c = m.cseq()) out.cseq = std::to_string(c->number) + " " + c->method_name;
  if (auto f = m.from()) out.from = our_uri_summary(f->uri) + " " + std::string(f->tag().value_or("<none>"));
  if (auto t = m.to()) out.to = our_uri_summary(t->uri) + " " + std::string(t->tag().value_or("<none>"));
  if (auto vias = m.vias()) {
    for (const auto& v : *vias)
      out.vias.push_back(lower(v.sent_by.host) + ":" +
                         (v.sent_by.port ? std::to_string(*v.sent_by.port) : "") + " " +
                         std::string(v.branch().value_or("<none>")));
  }
  // libosip2 fills in Content-Length when the header is absent; the effective value is the body size.
  auto cl = m.header(HeaderId::content_length);
  out.content_length = cl ? std::string(*cl) : std::to_string(m.body().size());
  out.body = m.body();
  return true;
}

void expect_same(const Summary& ours, const Summary& theirs, const std::string& what) {
  EXPECT_EQ(ours.start_line, theirs.start_line) << what;
  EXPECT_EQ(ours.call_id, theirs.call_id) << what;
  EXPECT_EQ(ours.cseq, theirs.cseq) << what;
  EXPECT_EQ(ours.from, theirs.from) << what;
  EXPECT_EQ(ours.to, theirs.to) << what;
  EXPECT_EQ(ours.vias, theirs.vias) << what;
  EXPECT_EQ(ours.content_length, theirs.content_length) << what;
  EXPECT_EQ(ours.body, theirs.body) << what;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  if (!fs::exists(kCorpus)) return names;
  for (const auto& e : fs::directory_iterator(kCorpus))
    if (e.path().extension() == ".sip") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Messages on which libosip2 is known to differ from RFC 3261, and why. The test checks that the difference
// is still there, so the list cannot silently go stale.
const std::map<std::string, std::string> kOsipAcceptsWhatWeReject = {
    {"invalid_content_length_too_large",
     "RFC 3261 §18.3: a datagram whose body is shorter than Content-Length must be discarded (400 for a "
     "request); libosip2 accepts it"},
    {"invalid_content_length_negative",
     "libosip2 keeps Content-Length \"-5\" as text and accepts the message"},
    {"invalid_cseq_not_a_number", "libosip2 does not check that the CSeq number is 1*DIGIT"},
    {"invalid_cseq_too_large",
     "RFC 3261 §8.1.1.5: CSeq must be below 2^31; libosip2 keeps any digits as text"},
    {"invalid_request_uri", "libosip2 takes \"@192.0.2.5\" as the host of sip:agent@@192.0.2.5"},
    {"invalid_sip_version",
     "libosip2 accepts any SIP-Version; we reject SIP/3.0 as bad_version (answered with 505 by "
     "make_bad_request_response)"},
    {"invalid_status_code", "libosip2 reads the status code \"2OO\" as 2"},
    {"invalid_via_bad_port", "libosip2 does not range-check the sent-by port (70000)"},
};

class OsipDifferential : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { parser_init(); }
};

TEST(OsipDifferentialCorpus, HasEnoughMessages) {
  auto names = corpus_names();
  EXPECT_GE(names.size(), 25u);
  std::size_t valid = std::count_if(names.begin(), names.end(),
                                    [](const std::string& n) { return n.rfind("invalid_", 0) != 0; });
  EXPECT_GE(valid, 25u);
}

TEST_P(OsipDifferential, BothParsersAgree) {
  const std::string name = GetParam();
  const std::string raw = read_file(kCorpus / (name + ".sip"));
  ASSERT_FALSE(raw.empty()) << name;
  Summary ours, theirs;
  std::string error;
  bool we_accept = our_summary(raw, ours, error);
  bool they_accept = osip_summary(raw, theirs);
  bool expect_valid = name.rfind("invalid_", 0) != 0;

  auto exception = kOsipAcceptsWhatWeReject.find(name);
  if (exception != kOsipAcceptsWhatWeReject.end()) {
    EXPECT_FALSE(we_accept) << name;
    EXPECT_TRUE(they_accept) << name << ": libosip2 now rejects it; drop the exception (" << exception->second
                             << ")";
    return;
  }
  EXPECT_EQ(we_accept, expect_valid) << name << ": " << error;
  ASSERT_EQ(we_accept, they_accept) << name << (we_accept ? "" : ": we say " + error);
  if (!we_accept) return;
  expect_same(ours, theirs, name);

  // Our canonical output means the same to libosip2.
  auto parsed = parse_message(raw);
  ASSERT_TRUE(parsed);
  const std::string canonical = parsed->to_string();
  Summary reparsed;
  ASSERT_TRUE(osip_summary(canonical, reparsed)) << name << ": libosip2 rejects our output\n" << canonical;
  expect_same(ours, reparsed, name + " (our canonical output)");
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, OsipDifferential, ::testing::ValuesIn(corpus_names()), test_name);

}  // namespace
}  // namespace va::sip
