#ifndef ONBOARD_CLIBFUZZER_H
#define ONBOARD_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (`LLVMFuzzerRunDriver`) with `callback` as the function under test, and returns its
/// exit code. Only a fuzz build (`-Xcc -DONBOARD_FUZZING`, linked with `-sanitize=fuzzer`) has libFuzzer;
/// elsewhere this returns -1 and the caller replays inputs itself.
///
/// SwiftPM on Linux links an executable's `main` to the module's own entry point, so libFuzzer's `main` cannot be
/// used; calling the driver from Swift's `main` is libFuzzer's documented alternative.
int onboard_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
