// calls::Store on SQLite (the embedded default, design.md "Store"): one file, WAL journal, one writer.
//
// Two connections: every write goes through one (behind a mutex, transactions BEGIN IMMEDIATE), reads use
// the other, so a list query never waits behind a write (WAL lets a reader see the last commit while a
// writer works). synchronous=NORMAL: in WAL mode a commit survives a crash of the process; a power loss
// may lose the last commits but never corrupts the file — the same trade SQLite documents for WAL, and
// what lets a transition commit in tens of microseconds instead of an fsync each.
#pragma once

#include <memory>
#include <string>

#include "calls/store.hpp"

namespace va::calls {

// Opens (creating when missing) the database at `path`; does not migrate. ":memory:" and empty paths are
// refused: two connections must see one database.
StoreResult<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace va::calls
