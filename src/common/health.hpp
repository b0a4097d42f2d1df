// Component health, the source of GET /readyz. Each subsystem (http, sip trunks, livekit api, storage, ...)
// registers a component and reports its state; the process is ready when every component is ready (or
// degraded) and it is not draining.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace va {

enum class ComponentState { starting, ready, degraded, failed, stopped };
std::string_view to_string(ComponentState state);

class HealthRegistry {
 public:
  struct Component {
    std::string name;
    ComponentState state = ComponentState::starting;
    std::string detail;
    std::chrono::system_clock::time_point since;
  };

  void set(std::string_view component, ComponentState state, std::string detail = {});
  void remove(std::string_view component);
  // Once draining, the process reports not ready (load balancers stop sending new work).
  void set_draining(bool draining);
  bool draining() const;

  bool ready() const;
  std::vector<Component> components() const;
  // {"status":"ready|not_ready|draining","components":{"http":{"state":"ready","detail":"","since":"..."}}}
  std::string to_json() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Component, std::less<>> components_;
  bool draining_ = false;
};

}  // namespace va
