// The trace hash: xxHash3 over everything a run observed, in order. Same
// schedule + same SQLite build => same hash (harness/coordinator/runner.h).
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/observation.h"

namespace harvey::harness {

class TraceHasher {
 public:
  TraceHasher() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~TraceHasher() { XXH3_freeState(state_); }
  TraceHasher(const TraceHasher&) = delete;
  TraceHasher& operator=(const TraceHasher&) = delete;
  void I64(int64_t v) { XXH3_64bits_update(state_, &v, sizeof v); }
  void Str(const std::string& s) {
    I64(static_cast<int64_t>(s.size()));
    XXH3_64bits_update(state_, s.data(), s.size());
  }
  void Rows(const std::vector<model::Row>& rows) {
    I64(static_cast<int64_t>(rows.size()));
    for (const auto& r : rows) {
      I64(r.key);
      I64(r.written_at);
    }
  }
  void Add(int64_t step, const model::Observation& o) {
    I64(step);
    I64(o.rc);
    I64(o.value);
    I64(o.ckpt_log);
    I64(o.ckpt_done);
    Rows(o.rows);
  }
  uint64_t Value() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

}  // namespace harvey::harness
