/* test_safe_out: the plain-output filter keeps text (CJK split across writes included)
 * and turns controls into visible placeholders, drops bidi overrides. */
#include "tests/test.h"
#include "tui/cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    int p[2];
    if (pipe(p) != 0) return 1;
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    close(p[1]);
    cli_safe_output();
    const char *text = "深度学习 ok\t\x1b[2J \xe2\x80\xae rtl \x9b x\n";
    for (const char *s = text; *s; s++) { /* byte by byte: sequences are cut everywhere */
        fputc(*s, stdout);
        fflush(stdout);
    }
    fclose(stdout);
    dup2(saved, STDOUT_FILENO);
    stdout = fdopen(saved, "w");
    char   got[256] = {0};
    ssize_t n = read(p[0], got, sizeof got - 1);
    CHECK(n > 0);
    CHECK_STR(got, "深度学习 ok\t\xe2\x90\x9b[2J  rtl \xef\xbf\xbd x\n");
    return test_done("test_safe_out");
}
