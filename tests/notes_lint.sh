#!/bin/sh
# notes_lint.sh: checks the bundled knowledge notes (notes/ai-ml/basics/*.md) and the
# note template (notes/.template.md) as files: frontmatter present with every key of the
# user's format, values in range, `related:` paths that exist, `labs:` naming bundled
# labs, LF line endings, UTF-8 that is not double-encoded, closed code fences, tables
# with a constant column count, and (with python3) YAML that parses and table/code
# lines that fit 76 display columns. It does not parse notes the way dlstudy does:
# tests/study/ does that through the notes reader.
# Prints "notes_lint: N passed, N failed, N skipped"; exits 1 when a check failed.
cd "$(dirname "$0")/.." || exit 1
LC_ALL=C
export LC_ALL
pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL $1: $2"; }
skp()  { skip=$((skip + 1)); }
check() { # check FILE WHAT CONDITION-STATUS
    if [ "$3" -eq 0 ]; then ok; else bad "$1" "$2"; fi
}

REQUIRED="title category tags created updated mastery difficulty review_dates status related labs"
have_labs=0
ls labs/*.yaml >/dev/null 2>&1 && have_labs=1
PY=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import unicodedata' 2>/dev/null; then PY=python3; fi
PYYAML=0
[ -n "$PY" ] && python3 -c 'import yaml' 2>/dev/null && PYYAML=1

# frontmatter FILE: the lines between the first two `---` lines
frontmatter() { awk 'NR == 1 { if ($0 != "---") exit; next } $0 == "---" { exit } { print }' "$1"; }
# block_list FM KEY: the items of a block list under KEY
block_list() {
    printf '%s\n' "$1" | awk -v k="$2:" '
        $1 == k && NF == 1 { on = 1; next }
        on && /^[ ]+- / { sub(/^[ ]+- /, ""); print; next }
        on { exit }'
}
# flow_list FM KEY: the items of `KEY: [a, b]`
flow_list() {
    printf '%s\n' "$1" | sed -n "s/^$2: *\[\(.*\)\] *\$/\1/p" | tr ',' '\n' |
        sed 's/^ *//; s/ *$//' | grep -v '^$'
}
value() { printf '%s\n' "$1" | sed -n "s/^$2: *//p" | head -n 1; }

# Checks that hold for the notes and the template alike.
file_checks() { # file_checks FILE
    f=$1
    # LF only, no tabs anywhere, valid UTF-8
    n=$(tr -cd '\r' < "$f" | wc -c)
    check "$f" "CR bytes (CRLF line endings): use LF" "$n"
    if grep -q "$(printf '\t')" "$f"; then bad "$f" "tab characters"; else ok; fi
    if command -v iconv >/dev/null 2>&1; then
        if iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then ok; else bad "$f" "not valid UTF-8"; fi
    else skp; fi
    # double-encoded UTF-8: a CJK lead byte read as Windows-1252 shows as U+00E4..U+00E9
    # (C3 A4..C3 A9) followed by another mis-decoded byte (C2, C5, C6, CB or E2 80)
    pat="$(printf '\303[\244-\251]\\(\302\\|\305\\|\306\\|\313\\|\342\200\\)')"
    if grep -q "$pat" "$f"; then bad "$f" "looks double-encoded (UTF-8 read as Windows-1252)"; else ok; fi
    # code fences closed
    n=$(grep -c '^```' "$f")
    check "$f" "unclosed code fence ($n fence lines)" $((n % 2))
    # tables: every row of a table has the same number of cells (outside code)
    msg=$(awk '
        /^```/ { code = !code; next }
        code { next }
        /^\|/ { n = gsub(/\|/, "|"); if (cols && n != cols) { print NR ": " n " bars, expected " cols; exit } cols = n; next }
        { cols = 0 }' "$f")
    if [ -z "$msg" ]; then ok; else bad "$f" "table row with a different column count at line $msg"; fi
    # a bare "-" or "=" line right under text makes that text a setext heading (a card)
    msg=$(awk '
        NR == 1 && $0 == "---" { fm = 1; next }
        fm { if ($0 == "---") fm = 0; next }
        /^```/ { code = !code; prev = ""; next }
        code { next }
        /^ *-+ *$/ || /^ *=+ *$/ { if (prev ~ /[^ ]/ && prev !~ /^#/) { print NR; exit } }
        { prev = $0 }' "$f")
    if [ -z "$msg" ]; then ok; else bad "$f" "line $msg turns the line above it into a heading (setext)"; fi
}

for f in notes/ai-ml/basics/*.md; do
    [ -f "$f" ] || { bad notes/ai-ml/basics "no notes"; break; }
    file_checks "$f"
    fm=$(frontmatter "$f")
    if [ -z "$fm" ]; then bad "$f" "no frontmatter (--- ... ---) at the top"; continue; fi
    ok
    # every key of the user's format, once
    missing=
    for k in $REQUIRED; do
        c=$(printf '%s\n' "$fm" | grep -c "^$k:")
        [ "$c" -eq 1 ] || missing="$missing $k($c)"
    done
    if [ -z "$missing" ]; then ok; else bad "$f" "keys missing or repeated:$missing"; fi
    dups=$(printf '%s\n' "$fm" | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\):.*/\1/p' | sort | uniq -d)
    if [ -z "$dups" ]; then ok; else bad "$f" "duplicate keys: $dups"; fi
    # values
    [ "$(value "$fm" category)" = "ai-ml/basics" ] && ok || bad "$f" "category is not ai-ml/basics"
    for k in created updated; do
        value "$fm" $k | grep -q '^[0-9]\{4\}-[0-1][0-9]-[0-3][0-9]$' && ok || bad "$f" "$k is not a YYYY-MM-DD date"
    done
    value "$fm" mastery | grep -q '^[0-5]$' && ok || bad "$f" "mastery is not 0-5"
    value "$fm" difficulty | grep -q '^[1-5]$' && ok || bad "$f" "difficulty is not 1-5"
    value "$fm" status | grep -qE '^(new|learning|reviewing|mastered)$' && ok || bad "$f" "status is not new/learning/reviewing/mastered"
    value "$fm" tags | grep -q '^\[.*[^ ].*\]$' && ok || bad "$f" "tags is not a non-empty flow list [a, b]"
    # title matches the `# ` heading
    t=$(value "$fm" title)
    h=$(sed -n 's/^# //p' "$f" | head -n 1)
    [ -n "$t" ] && [ "$t" = "$h" ] && ok || bad "$f" "title '$t' and first '# ' heading '$h' differ"
    # related: block list of existing notes, relative to notes/
    rel=$(block_list "$fm" related)
    if [ -z "$rel" ]; then bad "$f" "related: is empty"; else
        gone=
        for p in $rel; do [ -f "notes/$p" ] || gone="$gone $p"; done
        if [ -z "$gone" ]; then ok; else bad "$f" "related paths that do not exist:$gone"; fi
    fi
    # labs: non-empty flow list naming bundled labs
    labs=$(flow_list "$fm" labs)
    if [ -z "$labs" ]; then bad "$f" "labs: is empty or not a flow list"; else
        ok
        if [ $have_labs -eq 1 ]; then
            gone=
            for l in $labs; do [ -f "labs/$l.yaml" ] || gone="$gone $l"; done
            if [ -z "$gone" ]; then ok; else bad "$f" "labs without labs/NAME.yaml:$gone"; fi
        else skp; fi
    fi
    # at least a few concepts (## / ### headings outside code)
    n=$(awk '/^```/ { code = !code; next } !code && /^###? /' "$f" | wc -l)
    [ "$n" -ge 5 ] && ok || bad "$f" "only $n concept headings"
done

# The template: the placeholders `dlstudy new` substitutes and every key of the format.
t=notes/.template.md
if [ -f "$t" ]; then
    for ph in '{{title}}' '{{category}}' '{{date}}' '{{tags}}'; do
        grep -qF "$ph" "$t" && ok || bad "$t" "placeholder $ph missing"
    done
    fm=$(frontmatter "$t")
    missing=
    for k in $REQUIRED; do printf '%s\n' "$fm" | grep -q "^$k:" || missing="$missing $k"; done
    if [ -z "$missing" ]; then ok; else bad "$t" "keys missing:$missing"; fi
    file_checks "$t"
else
    bad "$t" "missing"
fi

# With python3: YAML parses (PyYAML), and table rows / code lines fit 76 columns
# (East Asian wide characters count two).
if [ -n "$PY" ]; then
    out=$(PYYAML=$PYYAML python3 - notes/ai-ml/basics/*.md "$t" <<'EOF'
import os, sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) or c in '\ufe0f\u200d' else
               2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
have_yaml = os.environ.get('PYYAML') == '1'
if have_yaml:
    import yaml
for f in sys.argv[1:]:
    text = open(f, encoding='utf-8').read()
    if have_yaml and text.startswith('---\n') and '\n---\n' in text:
        fm = text[4:text.index('\n---\n') + 1]
        for ph, v in (('{{title}}', 'T'), ('{{category}}', 'c/d'),
                      ('{{date}}', '2026-01-01'), ('{{tags}}', 'a, b')):
            fm = fm.replace(ph, v)
        try:
            d = yaml.safe_load(fm)
            print('ok' if isinstance(d, dict) else 'FAIL %s: frontmatter is not a mapping' % f)
        except yaml.YAMLError as e:
            print('FAIL %s: YAML: %s' % (f, str(e).replace('\n', ' ')))
    else:
        print('skip')
    code, wide = False, []
    for i, line in enumerate(text.split('\n'), 1):
        if line.startswith('```'):
            code = not code
            continue
        if (code or line.startswith('|')) and width(line) > 76:
            wide.append('%d (%d columns)' % (i, width(line)))
    print('FAIL %s: lines wider than 76 columns: %s' % (f, ', '.join(wide)) if wide else 'ok')
EOF
)
    # A crash (say, a file python cannot decode) stops the checks of the files after it:
    # that is a failure, not a shorter list of passes.
    rc=$?
    [ $rc -eq 0 ] || bad python3 "the YAML and width checks stopped with status $rc"
    while IFS= read -r line; do
        case $line in
            ok) ok ;;
            skip) skp ;;
            FAIL*) fail=$((fail + 1)); echo "$line" ;;
        esac
    done <<EOF2
$out
EOF2
else
    skp
fi

echo "notes_lint: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
