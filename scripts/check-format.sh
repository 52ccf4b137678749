#!/usr/bin/env bash
# Checks that the C++ sources are formatted by Debian's clang-format with the repository's
# .clang-format. Exit 0 when they are; 1 listing each misformatted file (with -v also clang-format's
# messages, which show the lines); 2 when clang-format is missing or fails. Nothing is changed:
# `make format` rewrites the files.
#
#   scripts/check-format.sh [-v] [FILE...]     default: every tracked *.h and *.cc
#
# CLANG_FORMAT overrides the binary (default: clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."

verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
clang_format="${CLANG_FORMAT:-clang-format}"
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "check-format: $clang_format not found; install Debian's clang-format (scripts/install-deps.sh)" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.h' '*.cc')
fi

# --style=file reads the .clang-format nearest each file (the repository's); --dry-run --Werror
# reports each replacement it would make as "FILE:LINE:COL: error: code should be clang-formatted".
messages="$(printf '%s\0' "${files[@]}" |
  xargs -0 -n 50 "$clang_format" --style=file --dry-run --Werror 2>&1)" && status=0 || status=$?
if [ "$status" -ne 0 ] && ! grep -q 'code should be clang-formatted' <<<"$messages"; then
  echo "check-format: $clang_format failed:" >&2
  echo "$messages" >&2
  exit 2
fi
mapfile -t bad < <(grep -o '^[^:]*:[0-9]*:[0-9]*: error: code should be clang-formatted' <<<"$messages" |
  cut -d: -f1 | sort -u)
if [ "${#bad[@]}" -gt 0 ]; then
  printf '%s\n' "${bad[@]}"
  if [ "$verbose" -eq 1 ]; then echo "$messages" >&2; fi
  echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted; run 'make format'" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
