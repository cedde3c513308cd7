// Helpers shared by the harness tests: a scratch directory per test and a
// schedule parsed from text.
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "harness/os/scratch.h"
#include "model/format.h"

namespace harvey::testing {

// A fresh directory under the system temp dir ("harvey-PREFIX-XXXXXX"),
// removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("harvey-" + prefix + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<harness::ScratchDir> MakeScratch() {
  auto s = harness::ScratchDir::Create("");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? std::move(s.value()) : nullptr;
}

inline model::Schedule MustParse(const std::string& text) {
  auto s = model::ParseSchedule(text, "test");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? s.value() : model::Schedule{};
}

}  // namespace harvey::testing
