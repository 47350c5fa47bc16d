/* lsan_runner.c — linked into every Criterion test binary: LeakSanitizer
 * checks the processes that run tests, not Criterion's runner.
 *
 * Each test runs in a worker process that BoxFort (Criterion's sandbox)
 * starts with BXFI_MAP in its environment; the runner that starts them
 * runs only Criterion's own code. libcriterion 2.4.1 (Debian 12) leaks
 * 48 bytes in the runner (criterion_run_all_tests), which LSan reports or
 * not depending on what the runner's memory happens to hold: in one
 * binary, a test asserting fewer times made it appear. LSan calls this
 * hook before its check at exit; our code's leaks, all in workers, are
 * still reported (checked with a test that leaks). */
#include <stdlib.h>

int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return getenv("BXFI_MAP") == NULL; }
