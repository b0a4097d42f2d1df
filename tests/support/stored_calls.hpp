// The call records an agent kept (issue 12), read from its SQLite file with the store's own code, as the
// admin API reads them: every call, newest first, with its transitions, transcript, metrics and events. A
// file or store that cannot be read is a test failure (and an empty list).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "calls/sqlite_store.hpp"

namespace va::test {

inline std::vector<calls::CallDetail> stored_calls(const std::filesystem::path& file) {
  std::vector<calls::CallDetail> details;
  auto store = calls::open_sqlite_store(file.string());
  if (!store.ok()) {
    ADD_FAILURE() << file << ": " << store.error().message;
    return details;
  }
  calls::CallFilter filter;
  filter.limit = calls::kMaxPageSize;
  auto page = (*store)->list_calls(filter);
  EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
  if (!page.ok()) return details;
  for (const auto& c : page->calls) {
    auto d = (*store)->call_detail(c.id);
    EXPECT_TRUE(d.ok() && *d) << c.id;
    if (d.ok() && *d) details.push_back(**d);
  }
  return details;
}

}  // namespace va::test
