/* Shared main() for Check runners: each tests/<folder>/check_<module>.c is
 * its own executable.  CK_NORMAL prints Check's summary line
 * ("N%: Checks: N, Failures: 0, Errors: 0"); the exit status is non-zero
 * when any test failed. */
#ifndef PARASIM_TESTS_CHECK_MAIN_H
#define PARASIM_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                   \
    int main(void)                                             \
    {                                                          \
        SRunner *sr = srunner_create(suite_fn());              \
        srunner_run_all(sr, CK_NORMAL);                        \
        int failed = srunner_ntests_failed(sr);                \
        srunner_free(sr);                                      \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;           \
    }

#endif
