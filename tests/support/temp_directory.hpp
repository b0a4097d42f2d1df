// A private scratch directory for one test run of a peer (configs, logs, recordings, captures), removed
// with everything in it when the object goes away.
//
// Set VA_TEST_KEEP_TEMP=1 to keep the directories of a run for inspection; their paths are printed to
// stderr when they would have been removed.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace va::test {

class TempDirectory {
 public:
  // Creates $TMPDIR/va-<label>-XXXXXX (or /tmp/...); throws std::runtime_error when that fails.
  explicit TempDirectory(std::string_view label);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  TempDirectory(TempDirectory&& other) noexcept;
  TempDirectory& operator=(TempDirectory&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& child) const { return path_ / child; }

  // Writes `text` to path()/name (replacing it) and returns the full path; throws on I/O errors.
  std::filesystem::path write_file(const std::filesystem::path& name, std::string_view text) const;

 private:
  void remove() noexcept;
  std::filesystem::path path_;
};

// The whole content of a text file; empty when it does not exist or cannot be read.
std::string read_text_file(const std::filesystem::path& file);

// At most the last `max_chars` characters of `text`, prefixed with "[...]" when shortened: for failure
// messages that quote long logs.
std::string tail(std::string_view text, std::size_t max_chars = 4000);

}  // namespace va::test
