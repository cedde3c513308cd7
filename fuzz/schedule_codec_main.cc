// schedule_codec: converts between schedule files and schedule_fuzzer inputs.
//
//   schedule_codec decode INPUT [--canary]   fuzzer input (e.g. a crash-* file)
//                                            -> schedule text on stdout
//   schedule_codec encode FILE.sched         schedule -> fuzzer input on stdout
//   schedule_codec seeds BIN_DIR TEXT_DIR N [FILE.sched...]
//       seed corpora: BIN_DIR gets every FILE and N generated schedules
//       (model::Generate, as `harvey gen` prints them) encoded for
//       schedule_fuzzer, except files that expect to fail somewhere (known
//       bugs, calibration: they would only be found again); TEXT_DIR gets
//       them all as text for schedule_text_fuzzer. A file that does not
//       parse is an error.
//
// Exit codes: 0 ok, 2 usage or a bad input file.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/schedule_codec.h"
#include "model/format.h"
#include "model/generator.h"

namespace {

using namespace harvey;

constexpr int kUsage = 2;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Decode(const std::string& path, bool canary) {
  std::string bytes;
  if (!ReadFile(path, &bytes)) {
    std::fprintf(stderr, "schedule_codec: %s: cannot read\n", path.c_str());
    return kUsage;
  }
  model::Schedule s = fuzz::DecodeSchedule(
      {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (canary) s.config.defect = model::Defect::kCanary;
  std::fputs(model::PrintSchedule(s).c_str(), stdout);
  return 0;
}

bool Load(const std::string& path, model::Schedule* s) {
  std::string text;
  if (!ReadFile(path, &text)) {
    std::fprintf(stderr, "schedule_codec: %s: cannot read\n", path.c_str());
    return false;
  }
  auto parsed = model::ParseSchedule(text, path);
  if (!parsed.ok()) {
    std::fprintf(stderr, "schedule_codec: %s\n", parsed.error().c_str());
    return false;
  }
  *s = parsed.value();
  return true;
}

int Encode(const std::string& path) {
  model::Schedule s;
  if (!Load(path, &s)) return kUsage;
  bool lossy = false;
  const std::string bytes = fuzz::EncodeSchedule(s, &lossy);
  if (lossy) std::fprintf(stderr, "schedule_codec: %s: some steps/settings do not fit the fuzzer encoding\n", path.c_str());
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  return 0;
}

int Seeds(const std::string& bin_dir, const std::string& text_dir, int generated,
          const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, model::Schedule>> all;
  for (const std::string& f : files) {
    model::Schedule s;
    if (!Load(f, &s)) return kUsage;
    all.emplace_back(std::filesystem::path(f).stem().string(), s);
  }
  for (int i = 0; i < generated; ++i) {
    const model::GenOptions o{.workers = 2 + i % 3, .steps = i % 2 ? fuzz::kMaxFuzzSteps : 12};
    all.emplace_back("gen-" + std::to_string(i + 1), model::Generate(static_cast<uint64_t>(i + 1), o));
  }
  std::filesystem::create_directories(bin_dir);
  std::filesystem::create_directories(text_dir);
  size_t known_failures = 0;
  for (const auto& [name, s] : all) {
    const bool fails = std::any_of(s.expects.begin(), s.expects.end(), [](const model::Expect& e) {
      return e.verdict == model::Expectation::kFail;
    });
    known_failures += fails;
    if ((!fails && !WriteFile(std::filesystem::path(bin_dir) / (name + ".bin"), fuzz::EncodeSchedule(s))) ||
        !WriteFile(std::filesystem::path(text_dir) / (name + ".sched"), model::PrintSchedule(s))) {
      std::fprintf(stderr, "schedule_codec: cannot write seeds into %s / %s\n", bin_dir.c_str(), text_dir.c_str());
      return kUsage;
    }
  }
  std::printf("schedule_codec: %zu seeds (%zu from files, %d generated; %zu expected to fail: text only)\n",
              all.size(), files.size(), generated, known_failures);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: schedule_codec decode INPUT [--canary]\n"
               "       schedule_codec encode FILE.sched\n"
               "       schedule_codec seeds BIN_DIR TEXT_DIR N [FILE.sched...]\n");
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "decode" && args.size() <= 3) {
    if (args.size() == 3 && args[2] != "--canary") return Usage();
    return Decode(args[1], args.size() == 3);
  }
  if (args.size() == 2 && args[0] == "encode") return Encode(args[1]);
  if (args.size() >= 4 && args[0] == "seeds") {
    char* end = nullptr;
    const long n = std::strtol(args[3].c_str(), &end, 10);
    if (*end != '\0' || n < 0 || n > 100000) return Usage();
    return Seeds(args[1], args[2], static_cast<int>(n), {args.begin() + 4, args.end()});
  }
  return Usage();
}
