// One result of `voice-agent check`. Each check lives in the file of the feature it tests
// (check_*.cpp) and returns one of these; check.cpp runs them in order and prints the report.
#pragma once

#include <string>
#include <string_view>

namespace va::app {

// warn: works, but worse than it should (e.g. the robotic fallback voice); does not fail the suite.
enum class CheckOutcome { pass, warn, fail, skip };

inline std::string_view to_string(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::pass:
      return "PASS";
    case CheckOutcome::warn:
      return "WARN";
    case CheckOutcome::fail:
      return "FAIL";
    case CheckOutcome::skip:
      return "SKIP";
  }
  return "?";
}

struct CheckResult {
  std::string name;
  CheckOutcome outcome = CheckOutcome::skip;
  std::string reason;
  std::string hint;  // shown for WARN, FAIL and SKIP
};

}  // namespace va::app
