// `harvey selftest`: runs every calibration class (harness/coordinator/calibration.h)
// and prints a Markdown table (the one in the README) or one JSON object.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "harness/coordinator/calibration.h"
#include "harness/cli/cli.h"
#include "harness/report/junit.h"
#include "harness/os/interrupt.h"

namespace harvey::harness {
namespace {

std::string Cell(const CalibrationRow& r) {
  if (!r.skipped.empty()) return "skipped: " + r.skipped;
  if (!r.harness_error.empty()) return "HARNESS ERROR (harvey's problem, not a finding): " + r.harness_error;
  char buf[200];
  if (r.cls.negative) {
    std::snprintf(buf, sizeof buf, "%s (%llu schedules, %d seeds)", r.seeds_detected ? "FOUND SOMETHING" : "clean",
                  static_cast<unsigned long long>(r.schedules), r.seeds_run);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%d/%d seeds | %s | %zu -> %zu | %d/%d", r.seeds_detected, r.seeds_run,
                r.median_detect_s ? (std::to_string(*r.median_detect_s).substr(0, 4) + " s").c_str() : "-",
                r.original_steps, r.shrunk_steps, r.replays_same, r.replays_run);
  return buf;
}

// --junit: a testcase per class. A class that fails (a defect missed, a
// control that found something, a reproducer that does not replay) is a
// failure carrying the failure class, the shrunk reproducer and how to
// replay it; a class that could not run here is skipped.
JunitCase SelftestCase(const CalibrationRow& r, double seconds, const SelftestArgs& a) {
  JunitCase c{.name = r.cls.name, .classname = "harvey.selftest." + r.cls.boundary};
  c.time_s = seconds;
  c.system_out = r.cls.explanation + "\n" + Cell(r) + "\n";
  if (!r.skipped.empty()) {
    c.kind = JunitCase::Kind::kSkipped;
    c.message = r.skipped;
    return c;
  }
  if (r.Passed()) return c;
  c.kind = JunitCase::Kind::kFailure;
  c.type = r.failure_class.empty() ? "not-detected" : r.failure_class;
  if (r.cls.negative) {
    c.message = "negative control " + r.cls.name + " found a mismatch (" + r.failure_class + ") on a safe setup";
  } else if (r.seeds_detected < r.seeds_run) {
    c.message = r.cls.name + " detected in " + std::to_string(r.seeds_detected) + "/" + std::to_string(r.seeds_run) +
                " seeds only";
  } else {
    c.message = r.cls.name + ": the shrunk reproducer replayed the same failure " + std::to_string(r.replays_same) +
                "/" + std::to_string(r.replays_run) + " times";
  }
  c.text = c.message + "\nrerun: harvey selftest --only " + r.cls.name + (a.quick ? " --quick" : "") + "\n";
  if (!r.finding.empty()) {
    c.text += "shrunk reproducer (" + r.failure_class + "); save it as F.sched, then replay: harvey run F.sched "
              "--boundary " + r.cls.boundary + " (and harvey explain F.sched --boundary " + r.cls.boundary +
              ")\n" + r.finding;
  }
  return c;
}

}  // namespace

int CmdSelftest(const SelftestArgs& a) {
  CalibrationOptions o;
  o.seeds = a.quick ? 2 : 5;
  o.budget_s = a.quick ? 8 : 30;
  o.shrink_s = a.quick ? 8 : 30;
  o.replays = 10;
  o.scratch_parent = a.scratch_parent;
  if (std::string e = model::ParsePolicy(a.policy, &o.policy); !e.empty()) {
    std::fprintf(stderr, "harvey selftest: %s\n", e.c_str());
    return kExitUsage;
  }
  std::vector<CalibrationRow> rows;
  JunitSuite junit{.name = "harvey selftest" + std::string(a.quick ? " --quick" : ""), .timestamp = JunitTimestamp()};
  for (const CalibrationClass& c : CalibrationClasses()) {
    if (!a.only.empty() && ("," + a.only + ",").find("," + c.name + ",") == std::string::npos) continue;
    const auto start = std::chrono::steady_clock::now();
    rows.push_back(RunCalibration(c, o));
    junit.cases.push_back(
        SelftestCase(rows.back(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), a));
    if (Interrupted()) break;
  }
  if (!a.junit.empty()) {
    if (std::string e = WriteJunit(a.junit, {junit}); !e.empty()) {
      std::fprintf(stderr, "harvey selftest: %s\n", e.c_str());
      return kExitEnvironment;
    }
  }
  bool ok = true;
  for (const auto& r : rows) ok &= r.Passed() || !r.skipped.empty();
  if (a.json) {
    int skipped = 0;
    for (const auto& r : rows) skipped += !r.skipped.empty();
    nlohmann::json j{{"quick", a.quick}, {"seeds", o.seeds}, {"budget_s", o.budget_s}, {"passed", ok},
                     {"skipped", skipped}};
    j["classes"] = nlohmann::json::array();
    for (const auto& r : rows) j["classes"].push_back(ToJson(r));
    std::cout << j.dump() << "\n";
  } else {
    std::printf("| class | what breaks | detected (seeds) | median time to detect | shrunk steps | replays | fix |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (const auto& r : rows) {
      std::string cell = Cell(r);
      if (r.cls.negative || !r.skipped.empty() || !r.harness_error.empty()) cell += " | | |";  // the three columns a finding fills
      std::printf("| %s | %s | %s | %s |\n", r.cls.name.c_str(), r.cls.explanation.c_str(), cell.c_str(),
                  r.cls.fix.c_str());
    }
    int skipped = 0;
    for (const auto& r : rows) skipped += !r.skipped.empty();
    std::printf("\n%s%s: %d seeds x %.0f s per class (harvey selftest%s%s)\n", ok ? "PASS" : "FAIL",
                skipped ? (" (" + std::to_string(skipped) + " classes skipped: see why above)").c_str() : "",
                o.seeds, o.budget_s, a.quick ? " --quick" : "",
                o.policy.kind == model::PolicyKind::kOp ? "" : (" --policy " + a.policy).c_str());
  }
  if (Interrupted()) return 128 + InterruptSignal();
  for (const auto& r : rows) {  // harvey's own failure outranks any verdict
    if (!r.harness_error.empty()) {
      std::fprintf(stderr, "harvey selftest: harness error in class %s (harvey's problem, not a finding): %s\n",
                   r.cls.name.c_str(), r.harness_error.c_str());
      return kExitHarness;
    }
  }
  return ok ? kExitPass : kExitMismatch;
}

}  // namespace harvey::harness
