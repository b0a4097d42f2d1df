// Retention of the call recordings (media/recording_retention.hpp): our old files go, young ones and anything
// that is not ours — other names, directories, symlinks — stay.
#include "media/recording_retention.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/metrics.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string templ = (fs::temp_directory_path() / "va-retention-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~ScratchDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void make_file(const fs::path& p, fs::file_time_type modified) {
  std::ofstream(p) << "RIFF";
  fs::last_write_time(p, modified);
}

TEST(RecordingRetention, RecognisesOnlyTheNamesTheWriterMakes) {
  EXPECT_TRUE(is_recording_file_name("call-0123456789abcdef0123456789abcdef.wav"));
  EXPECT_TRUE(is_recording_file_name("call-abc-caller.wav"));
  EXPECT_TRUE(is_recording_file_name("call-abc-agent.wav"));
  EXPECT_TRUE(is_recording_file_name("call-a_b.c-d.wav"));
  for (const char* foreign : {"call-.wav", "call.wav", "notes.txt", "call-abc.wav.bak", "Call-abc.wav",
                              "call-abc.WAV", "greeting.wav", "call-a b.wav", "xcall-abc.wav"})
    EXPECT_FALSE(is_recording_file_name(foreign)) << foreign;
}

TEST(RecordingRetention, DeletesOurOldFilesAndNothingElse) {
  ScratchDirectory dir;
  const auto now = fs::file_time_type::clock::now();
  const auto old = now - 24h * 40;
  make_file(dir / "call-aaa.wav", old);
  make_file(dir / "call-bbb-caller.wav", old);
  make_file(dir / "call-bbb-agent.wav", old);
  make_file(dir / "call-new.wav", now - 24h * 2);
  // Not ours, however old.
  make_file(dir / "notes.txt", old);
  make_file(dir / "greeting.wav", old);
  make_file(dir / "call-aaa.wav.bak", old);
  fs::create_directory(dir / "call-dir.wav");
  fs::last_write_time(dir / "call-dir.wav", old);
  make_file(dir / "target.wav", old);
  fs::create_symlink(dir / "target.wav", dir / "call-link.wav");

  const auto swept =
      sweep_recordings(dir.path(), std::chrono::duration_cast<std::chrono::seconds>(24h * 30), now);
  EXPECT_EQ(swept.deleted, 3u);
  EXPECT_EQ(swept.kept, 1u);
  EXPECT_EQ(swept.failed, 0u);
  EXPECT_FALSE(fs::exists(dir / "call-aaa.wav"));
  EXPECT_FALSE(fs::exists(dir / "call-bbb-caller.wav"));
  EXPECT_FALSE(fs::exists(dir / "call-bbb-agent.wav"));
  for (const char* kept : {"call-new.wav", "notes.txt", "greeting.wav", "call-aaa.wav.bak", "call-dir.wav",
                           "target.wav", "call-link.wav"})
    EXPECT_TRUE(fs::exists(fs::symlink_status(dir / kept))) << kept;
}

TEST(RecordingRetention, SweepsAtStartAndCountsWhatItDeleted) {
  ScratchDirectory dir;
  const auto now = fs::file_time_type::clock::now();
  make_file(dir / "call-one.wav", now - 48h);
  make_file(dir / "call-two.wav", now - 48h);
  make_file(dir / "call-three.wav", now);
  metrics::Registry registry;
  auto& deleted = registry.counter("recording_files_deleted_total", "").get();
  {
    RecordingRetention retention(dir.path(), std::chrono::duration_cast<std::chrono::seconds>(24h), 1h,
                                 &registry);
    for (int i = 0; i < 200 && deleted.value() < 2.0; ++i) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(deleted.value(), 2.0);
  EXPECT_FALSE(fs::exists(dir / "call-one.wav"));
  EXPECT_TRUE(fs::exists(dir / "call-three.wav"));
}

TEST(RecordingRetention, AMissingDirectoryIsNotAnError) {
  ScratchDirectory dir;
  const auto swept = sweep_recordings(dir / "absent", std::chrono::duration_cast<std::chrono::seconds>(24h));
  EXPECT_EQ(swept.deleted, 0u);
}

}  // namespace
}  // namespace va::media
