#include "common/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config_overrides.hpp"
#include "common/config_reader.hpp"
#include "common/config_schema.hpp"

namespace va::config {

std::string Diagnostic::to_string() const {
  std::string out = path.empty() ? message : path + ": " + message;
  if (from_override) {
    out += " (set on the command line)";
  } else if (line > 0) {
    out += " (line " + std::to_string(line) + ")";
  }
  return out;
}

namespace {

LoadResult load_node(YAML::Node root, const LoadOptions& options) {
  detail::LoadContext ctx;
  ctx.env = options.env ? options.env : process_environment();
  ctx.base_directory = options.base_directory;
  ctx.check_files = options.check_files;
  LoadResult result;

  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    result.errors.push_back({"", "the configuration must be a mapping of sections (livekit:, sip:, ...)",
                             detail::line_of(root), false});
    return result;
  }
  for (const auto& spec : options.overrides) {
    std::string error;
    auto target = parse_override(spec, error);
    if (target) error = apply_override(root, *target);
    if (!error.empty()) {
      result.errors.push_back({"", "--set " + spec + ": " + error, 0, true});
      continue;
    }
    ctx.overridden_paths.push_back(target->path);
  }
  read_config(ctx, root, result.config);
  result.errors.insert(result.errors.end(), ctx.errors.begin(), ctx.errors.end());
  result.warnings = std::move(ctx.warnings);
  result.secrets = std::move(ctx.secrets);
  return result;
}

LoadResult parse_and_load(const std::string& text, const LoadOptions& options) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    LoadResult result;
    result.errors.push_back({"", "not valid YAML: " + e.msg, e.mark.is_null() ? 0 : e.mark.line + 1, false});
    return result;
  }
  return load_node(root, options);
}

}  // namespace

LoadResult load_string(const std::string& yaml_text, const LoadOptions& options) {
  return parse_and_load(yaml_text, options);
}

LoadResult load_file(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back({"", "cannot read '" + path + "': " + std::strerror(errno), 0, false});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  LoadOptions with_base = options;
  if (with_base.base_directory.empty()) {
    with_base.base_directory = std::filesystem::path(path).parent_path().string();
  }
  return parse_and_load(buffer.str(), with_base);
}

std::string to_yaml(const Config& config, bool reveal_secrets) {
  YAML::Emitter out;
  out << write_config(config, reveal_secrets);
  return std::string(out.c_str()) + "\n";
}

}  // namespace va::config
