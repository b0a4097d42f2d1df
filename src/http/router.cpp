#include "http/router.hpp"

#include <algorithm>

namespace va::http {
namespace {

const std::string kUnmatchedLabel = "unmatched";

// A route's path matches a request's exactly, segment by segment, where a route segment "{name}" matches
// any one non-empty segment (e.g. "/v1/calls/{id}").
bool path_matches(std::string_view pattern, std::string_view path) {
  if (pattern.find('{') == std::string_view::npos) return pattern == path;
  while (!pattern.empty() && !path.empty()) {
    auto p_end = pattern.find('/', 1);
    auto r_end = path.find('/', 1);
    auto p_seg = pattern.substr(0, p_end);
    auto r_seg = path.substr(0, r_end);
    bool wildcard = p_seg.size() > 2 && p_seg[1] == '{' && p_seg.back() == '}';
    if (wildcard ? r_seg.size() < 2 : p_seg != r_seg) return false;
    pattern = p_end == std::string_view::npos ? std::string_view() : pattern.substr(p_end);
    path = r_end == std::string_view::npos ? std::string_view() : path.substr(r_end);
  }
  return pattern.empty() && path.empty();
}

bool serves(Method route_method, Method request_method) {
  return route_method == request_method || (request_method == Method::head && route_method == Method::get);
}

}  // namespace

void Router::add(Method method, std::string path, Handler handler, RouteOptions options) {
  if (options.metrics_label.empty()) options.metrics_label = path;
  routes_.push_back({method, std::move(path), std::move(handler), std::move(options)});
}

const std::string& Router::route_label(std::size_t index) const {
  return index < routes_.size() ? routes_[index].options.metrics_label : kUnmatchedLabel;
}

Router::Match Router::match(const Request& request) const {
  Match result;
  std::size_t first_for_path = no_route;
  std::size_t chosen = no_route;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    if (!path_matches(route.path, request.path)) continue;
    if (first_for_path == no_route) first_for_path = i;
    // An explicit HEAD route wins over the implicit GET one.
    if (route.method == request.method) {
      chosen = i;
      break;
    }
    if (chosen == no_route && serves(route.method, request.method)) chosen = i;
  }

  if (first_for_path == no_route) {
    result.status = 404;
    result.route_label = kUnmatchedLabel;
    return result;
  }
  if (chosen == no_route) {
    result.status = 405;
    result.route_index = first_for_path;
    result.route_label = routes_[first_for_path].options.metrics_label;
    for (Method method : methods_for(request.path)) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += to_string(method);
    }
    return result;
  }

  const Route& route = routes_[chosen];
  result.route_index = chosen;
  result.route_label = route.options.metrics_label;
  const auto& accepted = route.options.accepted_media_types;
  if (!accepted.empty() && !request.body.empty()) {
    const std::string media_type = request.media_type();
    if (std::find(accepted.begin(), accepted.end(), media_type) == accepted.end()) {
      result.status = 415;
      return result;
    }
  }
  result.handler = &route.handler;
  return result;
}

std::vector<Method> Router::methods_for(std::string_view path) const {
  std::vector<Method> methods;
  auto add_unique = [&methods](Method method) {
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) methods.push_back(method);
  };
  for (const Route& route : routes_) {
    if (!path_matches(route.path, path)) continue;
    add_unique(route.method);
    if (route.method == Method::get) add_unique(Method::head);
  }
  return methods;
}

}  // namespace va::http
