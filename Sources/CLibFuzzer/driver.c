#include "CLibFuzzer.h"

#ifdef ONBOARD_FUZZING
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int onboard_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
#else
int onboard_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    (void)argc;
    (void)argv;
    (void)callback;
    return -1;
}
#endif
