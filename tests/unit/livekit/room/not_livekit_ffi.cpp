// A shared library that is not liblivekit_ffi: it exports none of its functions.
extern "C" int va_test_not_livekit_ffi_marker() {
  return 42;
}
