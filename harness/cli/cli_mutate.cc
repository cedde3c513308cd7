// `harvey mutate`: mutation analysis of SQLite's WAL code. Runs harvey's
// campaigns (harness/coordinator/mutants.h) against every mutant of the
// schemata build harvey-sqlite-V-mutants (fuzz/mutate/), id 0 first as the
// control, and prints a table (or one JSON object) and the score
// killed / (total - equivalent). See fuzz/MUTANTS.md.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/cli/cli.h"
#include "harness/coordinator/mutants.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {
namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// The first harvey-sqlite-*-mutants beside harvey ("" if none).
std::string DefaultMutantsBuild() {
  for (const SqliteBuild& b : AvailableSqlite()) {
    if (b.name.size() > 8 && b.name.compare(b.name.size() - 8, 8, "-mutants") == 0) return b.name;
  }
  return "";
}

// Stable ids listed as equivalent: "ID  reason" per line, '#' comments.
std::map<std::string, std::string> LoadEquivalent(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream l(line);
    std::string id, reason;
    l >> id;
    std::getline(l, reason);
    out[id] = reason.substr(std::min(reason.find_first_not_of(' '), reason.size()));
  }
  return out;
}

bool Selected(const Mutant& m, const MutateArgs& a, const std::set<std::string>& only,
              const std::set<std::string>& ops) {
  if (!only.empty() && !only.count(std::to_string(m.num)) && !only.count(m.id)) return false;
  if (!ops.empty() && !ops.count(m.op)) return false;
  return true;
}

std::string Shorten(std::string s, size_t n) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

std::string Verdict(const MutantOutcome& r, bool equivalent) {
  if (!r.harness_error.empty()) return "ERROR";
  if (r.killed) return equivalent ? "killed (listed equivalent!)" : "killed";
  return equivalent ? "equivalent" : "survived";
}

}  // namespace

int CmdMutate(const MutateArgs& a) {
  const std::string build = a.build.empty() ? DefaultMutantsBuild() : a.build;
  if (build.empty()) {
    std::fprintf(stderr,
                 "harvey mutate: no harvey-sqlite-V-mutants beside harvey: configure with "
                 "-DHARVEY_MUTANTS=ON (needs python3-clang-14: ci/setup) and build it\n");
    return kExitEnvironment;
  }
  const std::string binary = SqliteBinary(build);
  if (binary.empty()) {
    std::fprintf(stderr, "harvey mutate: %s\n", SqliteNotBuiltMessage(build).c_str());
    return kExitEnvironment;
  }
  const std::string manifest = a.manifest.empty() ? binary + ".tsv" : a.manifest;
  auto loaded = LoadMutants(manifest);
  if (!loaded.ok()) {
    std::fprintf(stderr, "harvey mutate: %s\n", loaded.error().c_str());
    return kExitUsage;
  }
  const std::set<std::string> only = [&] {
    auto v = SplitComma(a.only);
    return std::set<std::string>(v.begin(), v.end());
  }();
  const std::set<std::string> ops = [&] {
    auto v = SplitComma(a.ops);
    return std::set<std::string>(v.begin(), v.end());
  }();
  for (const std::string& want : only) {
    if (std::none_of(loaded->begin(), loaded->end(),
                     [&](const Mutant& m) { return std::to_string(m.num) == want || m.id == want; }) &&
        want != "0") {
      std::fprintf(stderr, "harvey mutate: %s: no such mutant in %s\n", want.c_str(), manifest.c_str());
      return kExitUsage;
    }
  }
  std::vector<Mutant> mutants;
  for (const Mutant& m : *loaded) {
    if (Selected(m, a, only, ops)) mutants.push_back(m);
  }
  if (a.sample > 0 && mutants.size() > a.sample) {
    // A stable sample: the mutants with the smallest numbers (numbers are hashes).
    std::sort(mutants.begin(), mutants.end(), [](const Mutant& x, const Mutant& y) { return x.num < y.num; });
    mutants.resize(a.sample);
    std::sort(mutants.begin(), mutants.end(), [](const Mutant& x, const Mutant& y) { return x.line < y.line; });
  }
  const std::map<std::string, std::string> equivalent = LoadEquivalent(a.equivalent);
  MutantRunOptions o;
  o.harvey = HarveyBinary();
  o.build = build;
  o.budget_s = a.time_s;
  o.shrink_s = a.shrink_time_s;
  o.seed = a.seed;
  o.out_dir = a.out_dir;
  o.scratch_parent = a.scratch_parent;
  if (o.harvey.empty()) {
    std::fprintf(stderr, "harvey mutate: cannot find the harvey executable (set HARVEY_BINARY)\n");
    return kExitEnvironment;
  }
  std::error_code mkdir_error;
  std::filesystem::create_directories(a.out_dir, mkdir_error);
  std::fprintf(stderr, "harvey mutate: %zu of %zu mutants of %s (%s), %g s each (%zu campaigns: op, episodes, pct:3 on fork), seed %llu, %d at a time\n",
               mutants.size(), loaded->size(), build.c_str(), manifest.c_str(), a.time_s,
               o.campaigns.size(), static_cast<unsigned long long>(a.seed), a.jobs);
  const auto t0 = std::chrono::steady_clock::now();

  // The control: id 0 (the unmutated SQLite) in the same campaigns must stay clean.
  Mutant control;
  control.id = "none:unmutated:0";
  control.op = "none";
  control.function = "-";
  const MutantOutcome c = RunMutant(control, o);
  if (!c.harness_error.empty() || c.killed) {
    std::fprintf(stderr, "harvey mutate: the control (HARVEY_MUTANT=0, unmutated %s) is not clean: %s%s%s — "
                 "harvey's problem (or a model gap), no mutant is scored\n",
                 build.c_str(), c.harness_error.c_str(), c.how.c_str(),
                 c.finding.empty() ? "" : (" " + c.finding).c_str());
    return kExitHarness;
  }
  std::fprintf(stderr, "control (id 0): clean in %.1f s\n", c.elapsed_s);

  std::vector<MutantOutcome> results(mutants.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex print;
  auto work = [&] {
    for (size_t i = next++; i < mutants.size() && !Interrupted(); i = next++) {
      results[i] = RunMutant(mutants[i], o);
      std::lock_guard<std::mutex> l(print);
      const MutantOutcome& r = results[i];
      std::fprintf(stderr, "[%zu/%zu] %u %s: %s%s%s (%.1f s)\n", ++done, mutants.size(), mutants[i].num,
                   mutants[i].id.c_str(), Verdict(r, equivalent.count(mutants[i].id)).c_str(),
                   r.how.empty() ? "" : " by ", r.how.empty() ? "" : (r.how + " in " + r.campaign).c_str(),
                   r.elapsed_s);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, a.jobs); ++j) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  size_t killed = 0, equiv = 0, survived = 0, errors = 0, ran = 0;
  std::vector<double> kill_times;
  std::map<std::string, int> by_how;
  for (size_t i = 0; i < mutants.size(); ++i) {
    const MutantOutcome& r = results[i];
    if (r.elapsed_s == 0 && !r.killed && r.harness_error.empty()) continue;  // interrupted before it ran
    ++ran;
    const bool eq = equivalent.count(mutants[i].id) > 0;
    if (!r.harness_error.empty()) {
      ++errors;
    } else if (r.killed) {
      ++killed;
      kill_times.push_back(r.time_to_kill_s);
      ++by_how[r.how];
    } else if (eq) {
      ++equiv;
    } else {
      ++survived;
    }
  }
  std::sort(kill_times.begin(), kill_times.end());
  const double median = kill_times.empty() ? 0 : kill_times[kill_times.size() / 2];
  const size_t scored = ran - equiv - errors;
  const double score = scored > 0 ? 100.0 * killed / scored : 0;
  std::string how_list;
  for (const auto& [how, n] : by_how) how_list += (how_list.empty() ? "" : ", ") + how + " " + std::to_string(n);
  const std::string summary = fmt::format(
      "score {:.1f}% = {} killed / ({} mutants - {} equivalent){}; {} survived; median time to kill {:.2f} s; "
      "killed by: {}; wall time {:.0f} s ({} s per mutant, {} at a time)",
      score, killed, ran - errors, equiv, errors ? fmt::format(", {} harness errors not scored", errors) : "",
      survived, median, how_list.empty() ? "-" : how_list, wall_s, a.time_s, a.jobs);

  if (a.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < mutants.size(); ++i) {
      const Mutant& m = mutants[i];
      const MutantOutcome& r = results[i];
      rows.push_back({{"num", m.num}, {"id", m.id}, {"function", m.function}, {"operator", m.op},
                      {"line", m.line}, {"changed_line", m.changed_line}, {"original", m.original},
                      {"mutated", m.mutated}, {"verdict", Verdict(r, equivalent.count(m.id))},
                      {"killed_by", r.how}, {"campaign", r.campaign}, {"time_to_kill_s", r.time_to_kill_s},
                      {"elapsed_s", r.elapsed_s}, {"failure_class", r.failure_class},
                      {"original_steps", r.original_steps}, {"shrunk_steps", r.shrunk_steps},
                      {"finding", r.finding}, {"command", r.command}, {"harness_error", r.harness_error},
                      {"equivalent_reason", equivalent.count(m.id) ? equivalent.at(m.id) : ""}});
    }
    nlohmann::json j{{"build", build},     {"manifest", manifest}, {"budget_s", a.time_s},
                     {"seed", a.seed},     {"jobs", a.jobs},       {"mutants", ran},
                     {"killed", killed},   {"survived", survived}, {"equivalent", equiv},
                     {"errors", errors},   {"score", score},       {"median_time_to_kill_s", median},
                     {"wall_s", wall_s},   {"control_clean", true}, {"results", rows},
                     {"summary", summary}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("| num | id | function | operator | changed line | verdict | time to kill | failure class | shrunk steps |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < mutants.size(); ++i) {
      const Mutant& m = mutants[i];
      const MutantOutcome& r = results[i];
      std::string line = Shorten(m.changed_line, 60);
      std::replace(line.begin(), line.end(), '|', '/');
      const std::string cls = r.how.empty() ? "" : r.how + (r.failure_class.empty() ? "" : ": " + Shorten(r.failure_class, 50));
      std::printf("| %u | %s | %s | %s | `%s` (line %d: %s -> %s) | %s | %s | %s | %s |\n", m.num, m.id.c_str(),
                  m.function.c_str(), m.op.c_str(), line.c_str(), m.line, Shorten(m.original, 40).c_str(),
                  Shorten(m.mutated, 40).c_str(), Verdict(r, equivalent.count(m.id)).c_str(),
                  r.killed ? fmt::format("{:.2f} s ({})", r.time_to_kill_s, r.campaign).c_str() : "",
                  cls.c_str(),
                  r.shrunk_steps >= 0 ? fmt::format("{} -> {}", r.original_steps, r.shrunk_steps).c_str() : "");
    }
    std::printf("\n%s\n", summary.c_str());
  }
  std::fprintf(stderr, "harvey mutate: %s\n", summary.c_str());
  if (Interrupted()) return 128 + InterruptSignal();
  if (errors > 0) {
    for (const MutantOutcome& r : results) {
      if (!r.harness_error.empty()) std::fprintf(stderr, "harvey mutate: harness error: %s\n", r.harness_error.c_str());
    }
    return kExitHarness;
  }
  for (const std::string& want : SplitComma(a.require_killed)) {
    for (size_t i = 0; i < mutants.size(); ++i) {
      if ((std::to_string(mutants[i].num) == want || mutants[i].id == want) && !results[i].killed) {
        std::fprintf(stderr, "harvey mutate: mutant %s survived but must be killed (--require-killed)\n", want.c_str());
        return kExitMismatch;
      }
    }
  }
  return kExitPass;
}

}  // namespace harvey::harness
