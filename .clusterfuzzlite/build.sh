#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of harvey's fuzz targets: $CC/$CXX/$CFLAGS/$CXXFLAGS
# and $LIB_FUZZING_ENGINE from the environment, binaries with their .options, .dict and
# <target>_seed_corpus.zip into $OUT. canary_fuzzer is left out (it always crashes: it
# belongs in ci/test and ci/nightly, not in PR fuzzing); HARVEY_CFLITE_CANARY=1 adds it.
cd "$SRC/harvey"
ci/fetch-sqlite   # verifies the copy cached in the image; no network needed

sqlite_ubsan=OFF
if [[ ${SANITIZER:-} == undefined ]]; then sqlite_ubsan=ON; fi
build=build/cflite
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DHARVEY_FUZZ=ON -DHARVEY_BUILD_TESTS=OFF \
  -DHARVEY_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" -DHARVEY_SQLITE_UBSAN="$sqlite_ubsan"
cmake --build "$build" --target fuzzers --parallel "$(nproc)"

targets=(schedule_fuzzer schedule_text_fuzzer wal_recovery_fuzzer)
if [[ ${HARVEY_CFLITE_CANARY:-0} == 1 ]]; then targets+=(canary_fuzzer); fi
for t in "${targets[@]}"; do
  cp "$build/fuzz/$t" "$OUT/"
  for ext in options dict; do
    if [[ -f fuzz/$t.$ext ]]; then cp "fuzz/$t.$ext" "$OUT/"; fi
  done
  if [[ -d $build/fuzz/seeds/$t ]]; then
    (cd "$build/fuzz/seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  fi
done
