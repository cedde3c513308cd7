// Calibration: the known ways people break SQLite WAL, each a fuzz campaign
// harvey must win quickly (detect, shrink, replay exactly), and negative
// controls (safe setups) on which it must find nothing. `harvey selftest`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/policy.h"
#include "model/schedule.h"

namespace harvey::harness {

struct CalibrationClass {
  std::string name;
  std::string explanation;  // one line: what breaks
  std::string fix;          // one line: what users do about it
  model::Defect defect = model::Defect::kNone;
  std::string boundary = "fork";
  std::optional<model::Synchronous> synchronous;
  uint32_t kill_percent = 0;
  uint32_t power_loss_percent = 0;
  bool negative = false;  // a safe setup: must find nothing
};

// Every defect class, then the negative controls (fork, ns, oci).
std::vector<CalibrationClass> CalibrationClasses();

struct CalibrationOptions {
  int seeds = 5;               // campaigns per class
  double budget_s = 30;        // per campaign
  double shrink_s = 30;        // for the first finding
  int replays = 10;            // of the shrunk finding
  std::string scratch_parent;  // "" = $TMPDIR
  model::Policy policy;        // scheduling of every campaign (op-level by default)
};

struct CalibrationRow {
  CalibrationClass cls;
  std::string skipped;               // non-empty: not run, and why
  std::string harness_error;         // non-empty: a campaign hit a harness error (harvey's problem)
  int seeds_run = 0;
  int seeds_detected = 0;
  std::optional<double> median_detect_s;  // over all seeds (undetected = never)
  std::string failure_class;
  size_t original_steps = 0;
  size_t shrunk_steps = 0;
  int replays_same = 0;              // of options.replays
  int replays_run = 0;
  uint64_t schedules = 0;            // negative controls: schedules run clean
  std::string finding;               // shrunk reproducer (schedule text)
  bool Passed() const;               // detected & replays exact, or clean control
};

// Runs one class (prints one progress line to stderr per seed).
CalibrationRow RunCalibration(const CalibrationClass& cls, const CalibrationOptions& o);

nlohmann::json ToJson(const CalibrationRow& r);

}  // namespace harvey::harness
