#include "sip/method.hpp"

#include <array>
#include <utility>

namespace va::sip {

namespace {
constexpr std::array<std::pair<Method, std::string_view>, 14> kMethods{{
    {Method::invite, "INVITE"},
    {Method::ack, "ACK"},
    {Method::bye, "BYE"},
    {Method::cancel, "CANCEL"},
    {Method::options, "OPTIONS"},
    {Method::register_, "REGISTER"},
    {Method::info, "INFO"},
    {Method::update, "UPDATE"},
    {Method::refer, "REFER"},
    {Method::notify, "NOTIFY"},
    {Method::subscribe, "SUBSCRIBE"},
    {Method::message, "MESSAGE"},
    {Method::prack, "PRACK"},
    {Method::publish, "PUBLISH"},
}};
}  // namespace

Method method_from_name(std::string_view name) {
  for (const auto& m : kMethods)
    if (m.second == name) return m.first;
  return Method::extension;
}

std::string_view method_name(Method method) {
  for (const auto& m : kMethods)
    if (m.first == method) return m.second;
  return {};
}

}  // namespace va::sip
