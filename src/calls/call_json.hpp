// Calls as JSON: one rendering for the outbound events' bodies and the admin API's answers, so a customer
// reads the same field names in both (docs/call-records.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "calls/call_record.hpp"
#include "calls/store.hpp"

namespace va::calls {

// "2026-12-05T01:02:03.456Z"
std::string iso8601(Timestamp t);
// ISO 8601 UTC ("2026-12-05T01:02:03Z", optional .mmm) or unix seconds; nullopt otherwise.
std::optional<Timestamp> parse_time(std::string_view text);

nlohmann::json call_json(const CallRecord& call);
nlohmann::json detail_json(const CallDetail& detail);

}  // namespace va::calls
