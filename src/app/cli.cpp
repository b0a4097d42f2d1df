#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/calls_commands.hpp"
#include "app/check.hpp"
#include "app/config_commands.hpp"
#include "app/engine_commands.hpp"
#include "app/exit_codes.hpp"
#include "app/flow_commands.hpp"
#include "app/provision_command.hpp"
#include "app/serve.hpp"
#include "app/token_command.hpp"
#include "common/version.hpp"

#ifndef VA_BUILD_TYPE
#define VA_BUILD_TYPE "unknown"
#endif

namespace va::app {
namespace {

void add_overrides(CLI::App* cmd, ConfigSource& source) {
  cmd->add_option("--set", source.overrides,
                  "Override a configuration key, e.g. --set http.listen=127.0.0.1:8080 or "
                  "--set sip.listen[0]=udp://127.0.0.1:5070 (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"voice-agent — a telephone voice AI agent for MTS Exolve, over LiveKit or direct SIP",
               "voice-agent"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 runtime failure (or a failed check), 2 usage or configuration error, 3 no "
      "such "
      "call (calls show/hangup/transfer).\n"
      "Run `voice-agent COMMAND --help` for the options of a command.");

  ConfigSource source;
  bool json = false;

  auto* serve_cmd = app.add_subcommand("serve", "Run the service (HTTP health, metrics, webhooks; calls)");
  serve_cmd
      ->add_option("-c,--config", source.path,
                   "Configuration file (livekit-sip.yaml); default: the embedded example configuration")
      ->check(CLI::ExistingFile);
  add_overrides(serve_cmd, source);

  auto* config_cmd = app.add_subcommand("config", "Validate or print a configuration");
  config_cmd->require_subcommand(1);
  auto* validate_cmd =
      config_cmd->add_subcommand("validate", "Check a configuration file; lists every error");
  validate_cmd->add_option("file", source.path, "Configuration file")->required();
  validate_cmd->add_flag("--json", json, "Machine-readable output");
  add_overrides(validate_cmd, source);
  auto* show_cmd = config_cmd->add_subcommand(
      "show", "Print the effective configuration (defaults filled in, overrides applied, secrets masked)");
  show_cmd->add_option("file", source.path,
                       "Configuration file; default: the embedded example configuration");
  add_overrides(show_cmd, source);

  std::string flow_path;
  auto* flow_cmd = app.add_subcommand("flow", "Scripted dialogue flows (YAML)");
  flow_cmd->require_subcommand(1);
  auto* flow_validate_cmd =
      flow_cmd->add_subcommand("validate", "Check a flow file; lists every error with its path and line");
  flow_validate_cmd->add_option("file", flow_path, "Flow file")->required();
  flow_validate_cmd->add_flag("--json", json, "Machine-readable output");

  auto* check_cmd = app.add_subcommand("check", "Run the pre-flight diagnostic checks");
  check_cmd->add_option("-c,--config", source.path, "Configuration file; default: the embedded example")
      ->check(CLI::ExistingFile);
  check_cmd->add_flag("--json", json, "Machine-readable output");
  add_overrides(check_cmd, source);

  TokenCreateOptions token;
  auto* token_cmd = app.add_subcommand("token", "LiveKit access tokens");
  token_cmd->require_subcommand(1);
  auto* token_create_cmd = token_cmd->add_subcommand(
      "create",
      "Print a LiveKit access token (HS256 JWT) signed with livekit.api_key/api_secret. "
      "--room without --grant grants join, publish and subscribe in that room.");
  token_create_cmd->add_option("--identity", token.identity, "Participant identity (sub)")->required();
  token_create_cmd->add_option("--name", token.name, "Participant display name");
  token_create_cmd->add_option("--room", token.room, "Room the video grants apply to");
  token_create_cmd
      ->add_option("--grant", token.grants,
                   "Grant (repeatable): join, create, admin, list, publish, subscribe, publish-data, "
                   "hidden, agent, sip-admin, sip-call")
      ->allow_extra_args(false);
  token_create_cmd->add_option("--ttl", token.ttl, "Validity, e.g. 1h, 30m")->capture_default_str();
  token_create_cmd->add_option("--metadata", token.metadata, "Participant metadata");
  token_create_cmd->add_option("--attribute", token.attributes, "Participant attribute (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  token_create_cmd->add_option("--kind", token.kind,
                               "Participant kind: standard, agent, sip, ingress, egress");
  token_create_cmd
      ->add_option("-c,--config", source.path, "Configuration file; default: the embedded example")
      ->check(CLI::ExistingFile);
  add_overrides(token_create_cmd, source);

  ProvisionOptions provision_options;
  auto* provision_cmd = app.add_subcommand(
      "provision",
      "Create or update the LiveKit SIP trunks and dispatch rules described by livekit.provisioning; prints "
      "the plan (create/update/delete/unchanged) before applying it. Only objects carrying voice-agent's "
      "ownership marker are ever changed.");
  provision_cmd->add_option("-c,--config", source.path, "Configuration file; default: the embedded example")
      ->check(CLI::ExistingFile);
  provision_cmd->add_flag("--dry-run", provision_options.dry_run, "Print the plan, change nothing");
  provision_cmd->add_flag("--prune", provision_options.prune,
                          "Also delete our own objects that are no longer configured");
  provision_cmd->add_flag("--json", provision_options.json, "Machine-readable output");
  add_overrides(provision_cmd, source);

  EngineCommands engine_commands(app);
  CallsCommands calls_commands(app);

  auto* version_cmd = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsageOrConfig;
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsageOrConfig;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsageOrConfig;
  }

  if (*serve_cmd) return serve(source);
  if (*validate_cmd) return config_validate(source, json);
  if (*show_cmd) return config_show(source);
  if (*flow_validate_cmd) return flow_validate(flow_path, json);
  if (*check_cmd) return check(source, json);
  if (*token_create_cmd) return token_create(source, token);
  if (*provision_cmd) return provision(source, provision_options);
  if (auto exit_code = engine_commands.run()) return *exit_code;
  if (auto exit_code = calls_commands.run()) return *exit_code;
  if (*version_cmd) {
    std::cout << "voice-agent " << kVersion << " (" << VA_BUILD_TYPE << ", " << __VERSION__ << ")\n";
    return kExitOk;
  }
  return kExitUsageOrConfig;
}

}  // namespace va::app
