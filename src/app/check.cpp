#include "app/check.hpp"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "app/check_engines.hpp"
#include "app/check_livekit.hpp"
#include "app/check_livekit_agent.hpp"
#include "app/check_result.hpp"
#include "app/check_sip.hpp"
#include "app/check_webhook.hpp"
#include "app/exit_codes.hpp"
#include "common/log.hpp"

namespace va::app {
namespace {

CheckResult check_configuration(const config::LoadResult& loaded, const ConfigSource& source) {
  CheckResult r{"configuration validation", CheckOutcome::pass, describe(source) + " is valid", ""};
  if (!loaded.ok()) {
    r.outcome = CheckOutcome::fail;
    r.reason =
        std::to_string(loaded.errors.size()) + " error(s); first: " + loaded.errors.front().to_string();
    r.hint = "run `voice-agent config validate " + (source.path.empty() ? std::string("FILE") : source.path) +
             "` for the full list";
  } else if (!loaded.warnings.empty()) {
    r.reason += " (" + std::to_string(loaded.warnings.size()) +
                " warning(s): " + loaded.warnings.front().to_string() + ")";
  }
  return r;
}

CheckResult check_environment(const config::LoadResult& loaded) {
  CheckResult r{"environment variables", CheckOutcome::pass, "", ""};
  std::vector<std::string> set, unset;
  for (const char* name : {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"}) {
    const char* v = std::getenv(name);
    (v != nullptr && *v != '\0' ? set : unset).emplace_back(name);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  // A valid configuration has all three LiveKit values or none (config_schema.cpp): none is direct SIP mode.
  if (!loaded.config.livekit.configured()) {
    r.outcome = CheckOutcome::skip;
    r.reason = "LiveKit is not configured (direct SIP mode only): " + join(unset) + " not set";
    r.hint =
        "to use LiveKit, export LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET or set them under "
        "livekit: in the file";
    return r;
  }
  r.reason = set.empty() ? "LiveKit credentials come from the configuration file"
                         : "set: " + join(set) + (unset.empty() ? "" : "; not set: " + join(unset));
  return r;
}

CheckResult check_codecs(const config::LoadResult& loaded) {
  CheckResult r{"audio codec configuration", CheckOutcome::pass, "", ""};
  const auto& c = loaded.config.codecs;
  if (c.preference.empty()) {
    r.outcome = CheckOutcome::fail;
    r.reason = "no codec configured";
    r.hint = "set codecs.preference, e.g. [PCMA, PCMU, G722]";
    return r;
  }
  std::string order;
  for (auto codec : c.preference) {
    const char* name = codec == config::Codec::pcmu   ? "PCMU"
                       : codec == config::Codec::pcma ? "PCMA"
                       : codec == config::Codec::g722 ? "G722"
                                                      : "G729";
    order += (order.empty() ? "" : " > ") + std::string(name);
    if (codec == config::Codec::g729) {
      r.outcome = CheckOutcome::fail;
      r.reason = "G729 is preferred but this build has no G.729 codec";
      r.hint = "remove G729 from codecs.preference or build with -DVA_WITH_G729=ON (GPL-3 bcg729)";
      return r;
    }
  }
  bool g711 = false;
  for (auto codec : c.preference) g711 = g711 || codec == config::Codec::pcma || codec == config::Codec::pcmu;
  r.reason = order + ", ptime " + std::to_string(c.ptime.count()) + "ms" +
             (c.telephone_event ? ", RFC 4733 DTMF on" : ", RFC 4733 DTMF off");
  if (!g711) {
    r.outcome = CheckOutcome::fail;
    r.reason += ": no G.711 codec offered";
    r.hint = "MTS Exolve and most carriers require PCMA or PCMU; add one to codecs.preference";
  }
  return r;
}

CheckResult skipped(std::string name, std::string reason, std::string hint) {
  return {std::move(name), CheckOutcome::skip, std::move(reason), std::move(hint)};
}

// Both parts of a two-part check: FAIL if either fails, SKIP only if both skip.
CheckResult combined(std::string name, const CheckResult& a, const CheckResult& b) {
  CheckResult r{std::move(name), CheckOutcome::pass, a.reason + "; " + b.reason, ""};
  if (a.outcome == CheckOutcome::fail || b.outcome == CheckOutcome::fail) {
    r.outcome = CheckOutcome::fail;
  } else if (a.outcome == CheckOutcome::skip && b.outcome == CheckOutcome::skip) {
    r.outcome = CheckOutcome::skip;
  }
  for (const auto* part : {&a, &b}) {
    if (part->outcome != CheckOutcome::pass && !part->hint.empty())
      r.hint += (r.hint.empty() ? "" : "; ") + part->hint;
  }
  return r;
}

}  // namespace

int check(const ConfigSource& source, bool json) {
  auto loaded = load_config(source);
  for (const auto& s : loaded.secrets) log::add_secret(s);
  if (loaded.ok()) {
    // The report is the output; the SIP and LiveKit pieces the checks run would log every call and probe at
    // info. logging.level=debug (or trace) still shows everything.
    auto quiet = loaded;
    if (quiet.config.logging.level == config::LogLevel::info)
      quiet.config.logging.level = config::LogLevel::warn;
    configure_logging(quiet);
  }

  // The order of the seed report: what is wrong in the file first, then each dependency, then whole
  // behaviours. Every check bounds its own time (SIP probes 5 s, API requests 3 s + 5 s, the agent worker's
  // registration 10 s, the call 6 s).
  std::vector<CheckResult> results;
  results.push_back(check_configuration(loaded, source));
  if (!loaded.ok()) {
    for (const char* name :
         {"environment variables", "SIP trunk connectivity", "LiveKit API connection and permissions",
          "LiveKit media library", "LiveKit agent worker", "audio codec configuration", "speech engine: VAD",
          "speech engine: STT", "speech engine: TTS", "webhook endpoint", "call simulation",
          "health monitoring", "error handling"})
      results.push_back(skipped(name, "the configuration is invalid", "fix the configuration first"));
  } else {
    const auto& cfg = loaded.config;
    results.push_back(check_environment(loaded));
    std::string trunk_summary;
    auto trunks = check_sip_trunks(cfg, &trunk_summary);
    results.push_back(trunks);
    results.push_back(check_livekit_api(cfg));
    results.push_back(check_livekit_media_library(cfg));
    results.push_back(check_livekit_agent_worker(cfg));
    auto codecs = check_codecs(loaded);
    results.push_back(codecs);
    for (auto& engine : check_speech_engines(cfg)) results.push_back(std::move(engine));
    results.push_back(check_webhook_endpoint(cfg));
    if (codecs.outcome == CheckOutcome::fail) {
      results.push_back(
          skipped("call simulation", "the codec configuration is unusable", "fix codecs first"));
    } else {
      results.push_back(check_call_simulation(cfg));
    }
    auto monitor = check_livekit_monitor(cfg);
    monitor.reason += "; " + trunk_summary;
    if (trunks.outcome == CheckOutcome::fail) {
      // serve's trunk monitor would show the same unreachable trunks as degraded in /readyz.
      monitor.outcome = CheckOutcome::fail;
      monitor.hint +=
          std::string(monitor.hint.empty() ? "" : "; ") +
          "the trunk monitor would report the unreachable trunks as degraded (see the trunk check)";
    } else if (monitor.outcome == CheckOutcome::skip && trunks.outcome == CheckOutcome::pass) {
      monitor.outcome = CheckOutcome::pass;
    }
    results.push_back(monitor);
    auto sip_errors = check_sip_error_handling(cfg);
    results.push_back(combined("error handling", sip_errors, check_webhook_error_handling(cfg)));
  }

  bool failed = false;
  for (const auto& r : results) failed = failed || r.outcome == CheckOutcome::fail;

  if (json) {
    auto list = nlohmann::json::array();
    for (const auto& r : results) {
      list.push_back({{"name", r.name},
                      {"result", to_string(r.outcome)},
                      {"reason", log::mask(r.reason)},
                      {"hint", r.hint}});
    }
    std::cout << nlohmann::json{{"config", describe(source)}, {"ok", !failed}, {"checks", list}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    bool color = isatty(STDOUT_FILENO) != 0;
    for (const auto& r : results) {
      std::string tag(to_string(r.outcome));
      if (color) {
        const char* c = r.outcome == CheckOutcome::pass   ? "\033[32m"
                        : r.outcome == CheckOutcome::fail ? "\033[31m"
                        : r.outcome == CheckOutcome::warn ? "\033[35m"
                                                          : "\033[33m";
        tag = c + tag + "\033[0m";
      }
      std::cout << "[" << tag << "] " << r.name << ": " << log::mask(r.reason) << "\n";
      if (r.outcome != CheckOutcome::pass && !r.hint.empty()) std::cout << "       hint: " << r.hint << "\n";
    }
    std::size_t pass = 0, warn = 0, fail = 0, skip = 0;
    for (const auto& r : results) {
      (r.outcome == CheckOutcome::pass   ? pass
       : r.outcome == CheckOutcome::warn ? warn
       : r.outcome == CheckOutcome::fail ? fail
                                         : skip)++;
    }
    std::cout << "summary: " << pass << " PASS, " << warn << " WARN, " << fail << " FAIL, " << skip
              << " SKIP\n";
  }
  return failed ? kExitRuntimeFailure : kExitOk;
}

}  // namespace va::app
