#include "app/provision_command.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/exit_codes.hpp"
#include "common/log.hpp"
#include "livekit/provision_apply.hpp"
#include "livekit/provision_desired_state.hpp"
#include "livekit/provision_plan.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"

namespace va::app {
namespace {

using livekit::ProvisionActionKind;

// Reads what the server has; the first failing List call's error otherwise.
livekit::ApiResult<livekit::ActualState> read_actual(livekit::SipService& sip) {
  livekit::ActualState actual;
  auto inbound = sip.list_inbound_trunks();
  if (!inbound.ok()) return inbound.error();
  actual.inbound_trunks = std::move(inbound.value());
  auto outbound = sip.list_outbound_trunks();
  if (!outbound.ok()) return outbound.error();
  actual.outbound_trunks = std::move(outbound.value());
  auto rules = sip.list_dispatch_rules();
  if (!rules.ok()) return rules.error();
  actual.dispatch_rules = std::move(rules.value());
  return actual;
}

std::string_view symbol(ProvisionActionKind kind) {
  switch (kind) {
    case ProvisionActionKind::create:
      return "+";
    case ProvisionActionKind::update:
      return "~";
    case ProvisionActionKind::remove:
      return "-";
    case ProvisionActionKind::unchanged:
      return "=";
    case ProvisionActionKind::stale:
      return "!";
  }
  return "=";
}

void print_plan(const livekit::ProvisionPlan& plan, std::ostream& out) {
  for (const auto& note : plan.notes) out << "  note: " << note << "\n";
  out << "Plan:\n";
  for (const auto& a : plan.actions) {
    out << "  " << symbol(a.kind) << " " << to_string(a.kind) << " " << to_string(a.type) << " '" << a.name
        << "'";
    if (!a.id.empty()) out << " (" << a.id << ")";
    if (a.kind == ProvisionActionKind::stale) out << ": ours but no longer configured; --prune deletes it";
    out << "\n";
    for (const auto& c : a.changes) {
      if (a.kind == ProvisionActionKind::create)
        out << "      " << c.field << ": " << c.after << "\n";
      else
        out << "      " << c.field << ": " << (c.before.empty() ? "(unset)" : c.before) << " -> "
            << (c.after.empty() ? "(unset)" : c.after) << "\n";
    }
  }
}

nlohmann::json plan_json(const livekit::ProvisionPlan& plan) {
  auto actions = nlohmann::json::array();
  for (const auto& a : plan.actions) {
    auto changes = nlohmann::json::array();
    for (const auto& c : a.changes)
      changes.push_back({{"field", c.field}, {"before", c.before}, {"after", c.after}});
    actions.push_back({{"action", to_string(a.kind)},
                       {"type", to_string(a.type)},
                       {"key", a.key},
                       {"name", a.name},
                       {"id", a.id},
                       {"changes", changes}});
  }
  return {{"notes", plan.notes}, {"actions", actions}, {"nothing_to_do", plan.nothing_to_do()}};
}

int server_error(const std::string& what, const livekit::ApiError& error, bool json) {
  if (json) {
    nlohmann::json out{{"error", what + ": " + error.to_string()}};
    std::cout << out.dump(2) << "\n";
  }
  std::cerr << "error: " << what << ": " << error.to_string() << "\n";
  return kExitRuntimeFailure;
}

}  // namespace

int provision(const ConfigSource& source, const ProvisionOptions& options) {
  auto loaded = load_config(source);
  for (const auto& s : loaded.secrets) log::add_secret(s);
  print_diagnostics(loaded, source);
  if (!loaded.ok()) return kExitUsageOrConfig;
  const auto& lk = loaded.config.livekit;
  if (!lk.configured()) {
    const std::string message =
        "provision needs a LiveKit server: livekit.url, livekit.api_key and livekit.api_secret are not set "
        "(set them in the livekit section or export LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET)";
    if (options.json) std::cout << nlohmann::json{{"error", message}}.dump(2) << "\n";
    std::cerr << "error: " << message << "\n";
    return kExitUsageOrConfig;
  }

  livekit::TwirpClient client({lk.url, lk.api_key, lk.api_secret});
  livekit::SipService sip(client);
  auto desired = livekit::desired_state(loaded.config);
  auto actual = read_actual(sip);
  if (!actual.ok())
    return server_error("cannot read the SIP objects of the LiveKit server at " + lk.url, actual.error(),
                        options.json);
  auto plan = livekit::plan_provisioning(desired, actual.value(), options.prune);

  std::ostream& human = options.json ? std::cerr : std::cout;
  if (!options.json) {
    std::cout << "LiveKit server " << lk.url << ", objects of instance '" << desired.instance << "'"
              << (options.dry_run ? " (dry run)" : "") << "\n";
    print_plan(plan, std::cout);
  }
  nlohmann::json report = plan_json(plan);
  report["dry_run"] = options.dry_run;
  report["prune"] = options.prune;

  if (plan.nothing_to_do()) {
    if (options.json)
      std::cout << report.dump(2) << "\n";
    else
      human << "Nothing to do: the server matches the configuration.\n";
    return kExitOk;
  }
  if (options.dry_run) {
    if (options.json)
      std::cout << report.dump(2) << "\n";
    else
      human << "Dry run: nothing applied.\n";
    return kExitOk;
  }

  auto applied = livekit::apply_provisioning(sip, plan);
  auto done = nlohmann::json::array();
  int created = 0, updated = 0, deleted = 0;
  for (const auto& a : applied.applied) {
    done.push_back(
        {{"action", to_string(a.kind)}, {"type", to_string(a.type)}, {"name", a.name}, {"id", a.id}});
    created += a.kind == ProvisionActionKind::create;
    updated += a.kind == ProvisionActionKind::update;
    deleted += a.kind == ProvisionActionKind::remove;
    if (!options.json)
      std::cout << "  done: " << to_string(a.kind) << " " << to_string(a.type) << " '" << a.name << "' ("
                << a.id << ")\n";
  }
  report["applied"] = done;
  if (!applied.ok()) {
    report["error"] = applied.failure_message();
    if (options.json) std::cout << report.dump(2) << "\n";
    std::cerr << "error: " << applied.failure_message() << "\n";
    return kExitRuntimeFailure;
  }
  if (options.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << "Applied: " << created << " created, " << updated << " updated, " << deleted
              << " deleted.\n";
  }
  return kExitOk;
}

}  // namespace va::app
