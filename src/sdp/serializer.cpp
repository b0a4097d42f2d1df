#include "sdp/serializer.hpp"

namespace va::sdp {
namespace {

void line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void attributes(std::string& out, const AttributeList& list) {
  for (const auto& a : list.items) {
    out += "a=";
    out += a.name;
    if (a.value) {
      out += ':';
      out += *a.value;
    }
    out += "\r\n";
  }
}

void bandwidths(std::string& out, const std::vector<Bandwidth>& list) {
  for (const auto& b : list) line(out, 'b', b.type + ':' + std::to_string(b.value));
}

std::string origin(const Origin& o) {
  return o.username + ' ' + o.session_id + ' ' + o.session_version + " IN " +
         std::string(to_string(o.address_type)) + ' ' + o.address;
}

std::string media_line(const MediaDescription& m) {
  std::string value = m.media + ' ' + std::to_string(m.port);
  if (m.port_count) value += '/' + std::to_string(*m.port_count);
  value += ' ' + m.proto;
  for (const auto& f : m.formats) value += ' ' + f;
  return value;
}

}  // namespace

std::string serialize(const SessionDescription& d) {
  std::string out;
  out.reserve(512);
  line(out, 'v', "0");
  line(out, 'o', origin(d.origin));
  line(out, 's', d.session_name);
  if (d.information) line(out, 'i', *d.information);
  if (d.uri) line(out, 'u', *d.uri);
  for (const auto& e : d.emails) line(out, 'e', e);
  for (const auto& p : d.phones) line(out, 'p', p);
  if (d.connection) line(out, 'c', format_connection(*d.connection));
  bandwidths(out, d.bandwidths);
  for (const auto& t : d.timings) {
    line(out, 't', std::to_string(t.start) + ' ' + std::to_string(t.stop));
    for (const auto& r : t.repeats) line(out, 'r', r);
  }
  if (d.time_zones) line(out, 'z', *d.time_zones);
  if (d.key) line(out, 'k', *d.key);
  attributes(out, d.attributes);
  for (const auto& m : d.media) {
    line(out, 'm', media_line(m));
    if (m.title) line(out, 'i', *m.title);
    for (const auto& c : m.connections) line(out, 'c', format_connection(c));
    bandwidths(out, m.bandwidths);
    if (m.key) line(out, 'k', *m.key);
    attributes(out, m.attributes);
  }
  return out;
}

}  // namespace va::sdp
