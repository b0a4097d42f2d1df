#include "sip/transaction_key.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

namespace {

std::string tag_of(const Result<Address>& address) {
  if (!address) return {};
  auto tag = address->tag();
  return tag ? std::string(*tag) : std::string();
}

std::optional<std::string> dialog_ack_key(const Message& m) {
  auto call_id = m.call_id();
  auto cseq = m.cseq();
  if (!call_id || !cseq) return std::nullopt;
  std::string to_tag = tag_of(m.to());
  if (to_tag.empty()) return std::nullopt;
  std::string key(*call_id);
  key += '|';
  key += std::to_string(cseq->number);
  key += '|';
  key += tag_of(m.from());
  key += '|';
  key += to_tag;
  return key;
}

}  // namespace

std::string client_key(std::string_view branch, std::string_view cseq_method) {
  std::string key(branch);
  key += '|';
  key += cseq_method;
  return key;
}

std::optional<std::string> client_key_of_response(const Message& response) {
  auto via = response.top_via();
  auto cseq = response.cseq();
  if (!via || !cseq) return std::nullopt;
  auto branch = via->branch();
  if (!branch) return std::nullopt;
  return client_key(*branch, cseq->method_name);
}

std::optional<std::string> server_key(const Message& request, std::string_view as_method) {
  auto via = request.top_via();
  if (!via) return std::nullopt;
  std::string_view method = as_method.empty() ? request.method_name() : as_method;
  if (method == "ACK") method = "INVITE";
  std::string key;
  if (via->has_rfc3261_branch()) {
    key = std::string(*via->branch());
    key += '|';
    key += to_lower(via->sent_by.to_string());
    key += '|';
    key += method;
    return key;
  }
  auto call_id = request.call_id();
  auto cseq = request.cseq();
  if (!call_id || !cseq) return std::nullopt;
  key = "2543|";
  key += request.request_uri().to_string();
  key += '|';
  key += tag_of(request.from());
  key += '|';
  key += *call_id;
  key += '|';
  key += std::to_string(cseq->number);
  key += '|';
  key += method;
  key += '|';
  key += to_lower(via->sent_by.to_string());
  if (auto branch = via->branch()) {
    key += '|';
    key += *branch;
  }
  return key;
}

std::optional<std::string> merged_request_key(const Message& request) {
  auto to = request.to();
  if (!to || to->tag()) return std::nullopt;
  auto call_id = request.call_id();
  auto cseq = request.cseq();
  if (!call_id || !cseq) return std::nullopt;
  std::string key = tag_of(request.from());
  key += '|';
  key += *call_id;
  key += '|';
  key += std::to_string(cseq->number);
  key += '|';
  key += cseq->method_name;
  return key;
}

std::optional<std::string> ack_key_of_request(const Message& ack) {
  return dialog_ack_key(ack);
}
std::optional<std::string> ack_key_of_response(const Message& response) {
  return dialog_ack_key(response);
}

}  // namespace va::sip
