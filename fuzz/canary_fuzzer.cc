// canary_fuzzer: must fail, and fast. It aborts on inputs that start with
// "HRVY" (checked byte by byte: coverage feedback finds it) followed by
// "WAL!" (one memcmp: found through libFuzzer's comparison hooks or the
// dictionary). A campaign that does not find it within seconds has broken
// instrumentation, and its silence about the other targets means nothing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 8 && data[0] == 'H' && data[1] == 'R' && data[2] == 'V' && data[3] == 'Y' &&
      std::memcmp(data + 4, "WAL!", 4) == 0) {
    std::fprintf(stderr, "canary_fuzzer: CANARY FOUND (the fuzzing infrastructure works)\n");
    std::abort();
  }
  return 0;
}
