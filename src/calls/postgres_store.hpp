// calls::Store on PostgreSQL (design.md "Store"): for several voice-agent instances sharing their call
// records, each writing its own calls (CallRecord::instance says whose) and all reading every call.
//
// A small pool of libpqxx connections (postgres_connection_pool.hpp) serves the store's callers; every
// statement is prepared once per connection. Writes run at READ COMMITTED: a transition locks its call row
// (SELECT ... FOR UPDATE), so of two instances moving the same call from one state exactly one wins and
// the other gets `conflict`, as with SQLite's single writer. migrate() holds a transaction-scoped advisory
// lock, so instances started together upgrade the schema once. Times are bigint milliseconds since the
// epoch as in the SQLite store; attributes and recordings are jsonb, merged by the database.
//
// libpqxx's exceptions never leave the store: a lost connection is `unavailable` (the next call
// reconnects), a duplicate id is `conflict`, data the database refuses is `invalid`. Messages show the URL
// with its password replaced by "***".
#pragma once

#include <memory>
#include <string>

#include "calls/store.hpp"

namespace va::calls {

// Connections made by the store at once, at most (each caller holds one for the length of its call).
inline constexpr std::size_t kPostgresConnections = 4;

// `url`: postgres:// or postgresql://user:password@host:port/database[?param=value...], as libpq takes it.
// Does not connect: the first call does (and a server down now is not an error until then). Does not
// migrate.
StoreResult<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

}  // namespace va::calls
