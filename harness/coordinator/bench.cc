#include "harness/coordinator/bench.h"

#include <sys/resource.h>

#include <chrono>
#include <memory>

#include "harness/os/interrupt.h"
#include "harness/worker/connection.h"
#include "harness/worker/durability.h"
#include "harness/worker/vfs_shim.h"

namespace harvey::harness {

double CpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

std::string RunLimit(const CampaignSpec& spec, const std::string& db_dir, BenchFigures* out) {
  *out = {};
  const std::string db_path = db_dir + "/harvey.db";
  const uint64_t count = spec.count.value_or(0);
  // Generation is not part of the limit (harvey's figures include it, but it
  // is a few microseconds a schedule): make them all first.
  std::vector<model::Schedule> schedules;
  schedules.reserve(count);
  for (uint64_t i = 0; i < count; ++i) schedules.push_back(CampaignSchedule(spec, CampaignIndex(spec, i)));
  SetDurabilityTracking(false);
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  for (const model::Schedule& s : schedules) {
    if (Interrupted()) return "interrupted";
    RemoveDatabase(db_path);
    if (std::string e = CreateDatabase(db_path, s.config); !e.empty()) return e;
    SeedVfs(WorkerSeed(s.config.seed, 0));
    std::vector<std::unique_ptr<Connection>> conns;
    for (size_t w = 0; w < s.workers.size(); ++w) {
      conns.push_back(std::make_unique<Connection>());
      if (std::string e = conns.back()->Reset(db_path, s.config, static_cast<int>(w)); !e.empty()) return e;
    }
    for (size_t i = 0; i < s.steps.size(); ++i) {
      const model::Step& step = s.steps[i];
      switch (step.op.kind) {
        case model::OpKind::kKill: conns[step.worker]->Close(); break;
        case model::OpKind::kKillAt: break;
        case model::OpKind::kPowerLoss:
          for (size_t w = 0; w < conns.size(); ++w) {
            conns[w]->Close();
            if (std::string e = conns[w]->Reset(db_path, s.config, static_cast<int>(w)); !e.empty()) return e;
          }
          break;
        default: conns[step.worker]->Execute(step.op, static_cast<int64_t>(i)); break;
      }
      out->steps++;
    }
    conns.clear();
    out->schedules++;
  }
  out->elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out->cpu_s = CpuSeconds() - cpu_start;
  RemoveDatabase(db_path);
  return "";
}

}  // namespace harvey::harness
