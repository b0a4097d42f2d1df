// open_store (store.hpp): the backend storage.url names.
#include "calls/postgres_store.hpp"
#include "calls/sqlite_store.hpp"
#include "calls/store.hpp"

namespace va::calls {

StoreResult<std::unique_ptr<Store>> open_store(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) return open_sqlite_store(url.substr(kSqlite.size()));
  if (url.starts_with("sqlite:")) return open_sqlite_store(url.substr(7));
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return open_postgres_store(url);
  if (!url.empty() && url.find("://") == std::string::npos) return open_sqlite_store(url);
  return StoreError{StoreError::Kind::invalid, "storage.url: not sqlite://FILE or postgresql://…"};
}

}  // namespace va::calls
