// Internal: the schema's entry points (config_schema.cpp), used by config.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "common/config.hpp"
#include "common/config_reader.hpp"

namespace va::config {

void read_config(detail::LoadContext& ctx, const YAML::Node& root, Config& out);
YAML::Node write_config(const Config& config, bool reveal_secrets);

}  // namespace va::config
