/* cmd_doctor.c: `dlstudy doctor`: prints the study core's health checks (study/doctor.h)
 * plus the terminal's (locale, colours), one finding per line with what to do.
 * Exit status 1 when any check found a problem. */
#include "tui/cli.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study/doctor.h"

static void check_terminal(const cli_ctx *ctx, doctor_report *r) {
    const char *cs = nl_langinfo(CODESET);
    if (strcmp(cs, "UTF-8") != 0)
        doctor_add(r, DOCTOR_WARN, "terminal", xasprintf("the locale's character set is %s, not UTF-8", cs),
                   xstrdup("CJK notes need a UTF-8 locale: export LANG=C.UTF-8 (or your language's .UTF-8)"));
    else
        doctor_add(r, DOCTOR_OK, "terminal", xstrdup("UTF-8 locale"), NULL);
    const char *term = getenv("TERM");
    if (!term || !*term || !strcmp(term, "dumb"))
        doctor_add(r, DOCTOR_INFO, "terminal", xstrdup("TERM is unset or dumb: commands print plain text"), NULL);
    if (!ctx->color)
        doctor_add(r, DOCTOR_INFO, "terminal", xstrdup("colours off (NO_COLOR or --no-color)"), NULL);
}

int cmd_doctor(cli_ctx *ctx, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: dlstudy doctor\n\nChecks the database (integrity_check), the notes folder, the data sets,\n"
                   "the BLAS library in use and its threads, CUDA and the terminal, and says what\n"
                   "to do about each problem. Changes nothing. Exit status 1 when a problem is found.\n");
            return DLS_EXIT_OK;
        }
        if (strcmp(argv[i], "--plain") != 0) return cli_usage_error("doctor", "unknown argument '%s'", argv[i]);
    }
    doctor_report r = {0};
    doctor_run(&ctx->paths, &r);
    check_terminal(ctx, &r);
    int problems = 0, warnings = 0;
    for (size_t i = 0; i < r.n; i++) {
        const doctor_item *it = &r.items[i];
        printf("%-8s %-9s %s\n", doctor_level_str(it->level), it->topic, it->what);
        if (it->advice) printf("%-18s -> %s\n", "", it->advice);
        problems += it->level == DOCTOR_FAIL;
        warnings += it->level == DOCTOR_WARN;
    }
    printf("\n%d problem(s), %d warning(s)\n", problems, warnings);
    doctor_report_deinit(&r);
    return problems ? DLS_EXIT_FAIL : DLS_EXIT_OK;
}
