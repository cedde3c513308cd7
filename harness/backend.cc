#include "harness/backend.h"

#include "harness/fork_backend.h"
#include "harness/inproc_backend.h"
#include "model/rng.h"

namespace harvey::harness {

std::unique_ptr<Backend> MakeBackend(std::string_view name, std::string* error) {
  if (name == "inproc") return std::make_unique<InprocBackend>();
  if (name == "fork") return std::make_unique<ForkBackend>();
  *error = "unknown boundary '" + std::string(name) + "' (known: fork, inproc)";
  return nullptr;
}

uint64_t WorkerSeed(uint64_t seed, int index) {
  uint64_t s = seed ^ (0x5EEDull << 32) ^ static_cast<uint64_t>(index + 1);
  return model::SplitMix64(s);
}

}  // namespace harvey::harness
