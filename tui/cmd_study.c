/* cmd_study.c: PLACEHOLDER until its owner lands it; every command here says it is not built yet. */
#include "tui/cli.h"
#include <stdio.h>
int cmd_sync(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_due(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_mastery(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_note(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_new(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_edit(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_sched(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_review_plain(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
int cmd_home_plain(cli_ctx *ctx, int argc, char **argv) { (void)ctx, (void)argc; fprintf(stderr, "dlstudy %s: not built yet\n", argv[0]); return DLS_EXIT_FAIL; }
