#include "common/health.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace va {
namespace {

// "2026-11-26T13:51:34.123Z"
std::string iso8601_utc(std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(at);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss time{ms - day};
  std::array<char, 64> buf{};
  const int n = std::snprintf(
      buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

// Shared by ready() and to_json(), which must judge one consistent snapshot under the lock.
template <typename ComponentMap>
bool is_ready(const ComponentMap& components, bool draining) {
  // With nothing registered yet the process has not started anything it could serve with.
  if (draining || components.empty()) return false;
  for (const auto& [name, component] : components) {
    if (component.state != ComponentState::ready && component.state != ComponentState::degraded) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(ComponentState state) {
  switch (state) {
    case ComponentState::starting:
      return "starting";
    case ComponentState::ready:
      return "ready";
    case ComponentState::degraded:
      return "degraded";
    case ComponentState::failed:
      return "failed";
    case ComponentState::stopped:
      return "stopped";
  }
  return "failed";
}

void HealthRegistry::set(std::string_view component, ComponentState state, std::string detail) {
  std::lock_guard lock(mutex_);
  auto it = components_.find(component);
  if (it == components_.end()) {
    components_.emplace(std::string(component), Component{std::string(component), state, std::move(detail),
                                                          std::chrono::system_clock::now()});
    return;
  }
  // "since" is when the current state began; a new detail for the same state does not reset it.
  if (it->second.state != state) {
    it->second.state = state;
    it->second.since = std::chrono::system_clock::now();
  }
  it->second.detail = std::move(detail);
}

void HealthRegistry::remove(std::string_view component) {
  std::lock_guard lock(mutex_);
  if (auto it = components_.find(component); it != components_.end()) components_.erase(it);
}

void HealthRegistry::set_draining(bool draining) {
  std::lock_guard lock(mutex_);
  draining_ = draining;
}

bool HealthRegistry::draining() const {
  std::lock_guard lock(mutex_);
  return draining_;
}

bool HealthRegistry::ready() const {
  std::lock_guard lock(mutex_);
  return is_ready(components_, draining_);
}

std::vector<HealthRegistry::Component> HealthRegistry::components() const {
  std::lock_guard lock(mutex_);
  std::vector<Component> out;
  out.reserve(components_.size());
  for (const auto& [name, component] : components_) out.push_back(component);
  return out;
}

std::string HealthRegistry::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json body;
  body["status"] = draining_ ? "draining" : (is_ready(components_, draining_) ? "ready" : "not_ready");
  body["components"] = nlohmann::ordered_json::object();
  for (const auto& [name, component] : components_) {
    body["components"][name] = {{"state", to_string(component.state)},
                                {"detail", component.detail},
                                {"since", iso8601_utc(component.since)}};
  }
  // Details may quote peer responses; invalid UTF-8 must not turn /readyz into a 500.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace va
