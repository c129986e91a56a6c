#!/usr/bin/env bash
# progress.sh LABEL COMMAND [ARG...]: run COMMAND, saying what it does and, while
# it runs, how long it has been at it, so a cold build is not minutes of
# silence. Exits with COMMAND's status.
set -euo pipefail
label=$1
shift
printf '==> %s\n' "$label" >&2
start=$SECONDS
"$@" &
pid=$!
# The ticker stops when the command ends; Ctrl-C reaches both through the shell.
(
  while sleep 15; do
    kill -0 "$pid" 2>/dev/null || exit 0
    printf '    ... still at it (%d s)\n' "$((SECONDS - start))" >&2
  done
) &
ticker=$!
status=0
wait "$pid" || status=$?
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
if ((SECONDS - start >= 15)); then
  printf '    done in %d s\n' "$((SECONDS - start))" >&2
fi
exit "$status"
