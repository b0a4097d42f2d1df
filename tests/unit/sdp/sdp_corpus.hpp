// The committed SDP corpus (tests/data/sdp): realistic bodies from carriers, LiveKit, baresip, Kamailio with
// rtpengine, PBXes and phones, plus invalid ones under invalid/.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace va::sdp::testing {

inline std::filesystem::path corpus_directory() {
  return std::filesystem::path(VA_SOURCE_DIR) / "tests/data/sdp";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string corpus_file(const std::string& name) {
  return read_file(corpus_directory() / name);
}

// Sorted paths of the *.sdp files directly in `directory`.
inline std::vector<std::filesystem::path> sdp_files(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sdp") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::vector<std::filesystem::path> valid_corpus() {
  return sdp_files(corpus_directory());
}
inline std::vector<std::filesystem::path> invalid_corpus() {
  return sdp_files(corpus_directory() / "invalid");
}

}  // namespace va::sdp::testing
