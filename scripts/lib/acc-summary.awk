# Reads `go test -v` output of one package on stdin; prints each skipped
# test with its reason and a last line "<passed> <skipped>" for the caller.
# With parallel tests -v prints a test's log lines under "=== NAME <test>"
# (or RUN/CONT) when they happen, not under its "--- SKIP" line.
/^=== (RUN|CONT|NAME|PAUSE) / { current = $3; next }
/^ *--- PASS: / { passed++; next }
/^ *--- SKIP: / { skipped++; skips[skipped] = $3; next }
/^    / && current != "" { lines[current] = lines[current] "\n" $0 }
END {
	for (i = 1; i <= skipped; i++) printf "--- SKIP: %s%s\n", skips[i], lines[skips[i]]
	printf "%d %d\n", passed, skipped
}
