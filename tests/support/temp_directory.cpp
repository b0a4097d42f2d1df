#include "support/temp_directory.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace va::test {
namespace {

bool keep_requested() {
  const char* keep = std::getenv("VA_TEST_KEEP_TEMP");
  return keep != nullptr && *keep != '\0' && std::string_view(keep) != "0";
}

}  // namespace

TempDirectory::TempDirectory(std::string_view label) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::filesystem::path base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  std::string pattern = (base / ("va-" + std::string(label) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("TempDirectory: mkdtemp(" + pattern + ") failed: " + std::strerror(errno));
  }
  path_ = buffer.data();
}

TempDirectory::~TempDirectory() {
  remove();
}

TempDirectory::TempDirectory(TempDirectory&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDirectory& TempDirectory::operator=(TempDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

void TempDirectory::remove() noexcept {
  if (path_.empty()) return;
  if (keep_requested()) {
    std::cerr << "[va-test] kept " << path_.string() << "\n";
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  path_.clear();
}

std::filesystem::path TempDirectory::write_file(const std::filesystem::path& name,
                                                std::string_view text) const {
  const auto file = path_ / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("TempDirectory: cannot write " + file.string());
  return file;
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return "[...]" + std::string(text.substr(text.size() - max_chars));
}

}  // namespace va::test
