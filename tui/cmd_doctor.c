/* cmd_doctor.c: PLACEHOLDER until its owner lands it; every command here says it is not built yet. */
#include "tui/cli.h"
#include <stdio.h>
int cmd_doctor(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
