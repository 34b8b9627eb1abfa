/* app.c: PLACEHOLDER until the terminal app lands: falls back to the plain commands. */
#include "tui/cli.h"
int tui_app_run(cli_ctx *ctx, enum tui_screen screen, int argc, char **argv) {
    return screen == TUI_SCREEN_REVIEW ? cmd_review_plain(ctx, argc, argv) : cmd_home_plain(ctx, argc, argv);
}
