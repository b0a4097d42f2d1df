// How loading liblivekit_ffi fails: each error names the file and what is wrong with it. (Loading the real
// library is exercised by the room leg's integration tests.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "livekit/room/ffi_library.hpp"

namespace va::livekit::room {
namespace {

using ::testing::HasSubstr;

TEST(FfiLibraryLoad, AMissingFileIsNamed) {
  auto result = FfiLibrary::load("/nonexistent/voice-agent/liblivekit_ffi.so");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("/nonexistent/voice-agent/liblivekit_ffi.so"));
  EXPECT_THAT(result.error().message, HasSubstr("not found"));
  EXPECT_THAT(result.error().message, HasSubstr("scripts/setup"));
  EXPECT_EQ(FfiLibrary::loaded(), nullptr);
}

TEST(FfiLibraryLoad, AFileThatIsNotASharedLibrarySaysWhyDlopenFailed) {
  auto result = FfiLibrary::load(VA_SOURCE_DIR "/README.md");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot load liblivekit_ffi from"));
  EXPECT_THAT(result.error().message, HasSubstr("README.md"));
}

TEST(FfiLibraryLoad, ALibraryWithoutTheFunctionsListsTheMissingOnes) {
  auto result = FfiLibrary::load(VA_TEST_NOT_LIVEKIT_FFI);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr(VA_TEST_NOT_LIVEKIT_FFI));
  EXPECT_THAT(result.error().message, HasSubstr("is not liblivekit_ffi"));
  EXPECT_THAT(result.error().message, HasSubstr("livekit_ffi_initialize"));
  EXPECT_THAT(result.error().message, HasSubstr("livekit_ffi_request"));
  EXPECT_THAT(result.error().message, HasSubstr("livekit_ffi_drop_handle"));
  EXPECT_THAT(result.error().message, HasSubstr("livekit_ffi_dispose"));
  EXPECT_EQ(FfiLibrary::loaded(), nullptr);
}

TEST(FfiLibraryLoad, ProbeFileChecksWithoutLoading) {
  EXPECT_TRUE(FfiLibrary::probe_file(VA_TEST_NOT_LIVEKIT_FFI).has_value());
  EXPECT_FALSE(FfiLibrary::probe_file(VA_TEST_OTHER_PROTOCOL_FFI).has_value());  // the symbols are there
  EXPECT_EQ(FfiLibrary::loaded(), nullptr);
}

TEST(FfiLibraryLoad, ALibraryOfAnotherProtocolIsRefusedAndStaysRefused) {
  auto result = FfiLibrary::load(VA_TEST_OTHER_PROTOCOL_FFI);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr(VA_TEST_OTHER_PROTOCOL_FFI));
  EXPECT_THAT(result.error().message, HasSubstr("speaks another protocol"));
  EXPECT_THAT(result.error().message, HasSubstr("1.2.1"));
  EXPECT_EQ(FfiLibrary::loaded(), nullptr);
  // It was initialised, so it cannot be replaced in this process: the same error every time.
  auto again = FfiLibrary::load(default_ffi_library_path());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, result.error().message);
}

TEST(FfiLibraryLoad, TheDefaultPathIsThePinnedInstall) {
  EXPECT_THAT(default_ffi_library_path().string(), HasSubstr("livekit-ffi-"));
  EXPECT_EQ(default_ffi_library_path().filename(), "liblivekit_ffi.so");
}

}  // namespace
}  // namespace va::livekit::room
