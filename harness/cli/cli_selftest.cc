// `harvey selftest`: runs every calibration class (harness/coordinator/calibration.h)
// and prints a Markdown table (the one in the README) or one JSON object.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "harness/coordinator/calibration.h"
#include "harness/cli/cli.h"
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
  for (const CalibrationClass& c : CalibrationClasses()) {
    if (!a.only.empty() && ("," + a.only + ",").find("," + c.name + ",") == std::string::npos) continue;
    rows.push_back(RunCalibration(c, o));
    if (Interrupted()) break;
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
