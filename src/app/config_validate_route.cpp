#include "app/config_validate_route.hpp"

#include <nlohmann/json.hpp>

#include "common/config.hpp"

namespace va::app {

void add_config_validate_route(http::Router& router) {
  http::RouteOptions options;
  options.accepted_media_types = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"};
  router.add(
      http::Method::post, "/v1/config/validate",
      [](const http::Request& request) {
        config::LoadOptions load;
        load.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
        load.check_files = false;  // file references must not probe the server's disk
        auto result = config::load_string(request.body, load);
        auto list = [](const std::vector<config::Diagnostic>& diagnostics) {
          auto out = nlohmann::json::array();
          for (const auto& d : diagnostics) {
            nlohmann::json item = {{"path", d.path}, {"message", d.message}, {"text", d.to_string()}};
            if (d.line > 0) item["line"] = d.line;
            out.push_back(std::move(item));
          }
          return out;
        };
        nlohmann::json body = {
            {"valid", result.ok()}, {"errors", list(result.errors)}, {"warnings", list(result.warnings)}};
        return http::Response::json(200, body.dump());
      },
      options);
}

}  // namespace va::app
