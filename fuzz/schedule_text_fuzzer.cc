// schedule_text_fuzzer: the schedule parser on arbitrary text. It must never
// crash or hang; an error is one line naming the file and line; a schedule it
// accepts is valid, and printing it parses back to the same schedule (and the
// same text).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/format.h"

namespace {

[[noreturn]] void Fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "schedule_text_fuzzer: %s\n---- input ----\n%.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace harvey::model;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseSchedule(text, "in.sched");
  if (!parsed.ok()) {
    const std::string& e = parsed.error();
    if (e.rfind("in.sched:", 0) != 0) Fail("error does not name the file: " + e, text);
    if (e.find('\n') != std::string::npos) Fail("error is not one line: " + e, text);
    return 0;
  }
  const Schedule& s = parsed.value();
  if (std::string e = Validate(s); !e.empty()) Fail("accepted an invalid schedule: " + e, text);
  const std::string printed = PrintSchedule(s);
  auto again = ParseSchedule(printed, "printed.sched");
  if (!again.ok()) Fail("printed schedule does not parse: " + again.error() + "\n" + printed, text);
  if (!(again.value() == s)) Fail("Parse(Print(s)) != s\n" + printed, text);
  if (PrintSchedule(again.value()) != printed) Fail("Print is not stable\n" + printed, text);
  return 0;
}
