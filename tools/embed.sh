#!/bin/sh
# embed.sh FILE SYMBOL: prints a C file defining `const char SYMBOL[]` with FILE's bytes
# and a NUL, so a text file (schema.sql, the note template) is compiled into the program.
set -eu
file=$1 sym=$2
# od first, on its own: in a pipeline its failure (unreadable file) would go unnoticed
# and embed an empty string.
hex=$(od -An -v -tx1 "$file")
echo "/* generated from $file by tools/embed.sh; do not edit */"
echo "const char $sym[] = {"
printf '%s\n' "$hex" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00};"
