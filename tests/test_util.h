// Helpers shared by the harness tests: a scratch directory per test and a
// schedule parsed from text.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness/os/scratch.h"
#include "model/format.h"

namespace harvey::testing {

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
