# SPDX-License-Identifier: MIT
# lib.sh - TAP helpers for the shell tests (sourced, bash).
: "${SZ_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${SZ_BIN:=$SZ_SRCDIR/tools}"
PATH=$SZ_BIN:$PATH
export PATH LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/sztest.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Sanitizer reports of every tool run go to $T/.san; tap_done fails on any.
mkdir "$T/.san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/.san/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/.san/report"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$T/.san/report"
# wait_for, at_least: see sync.sh
. "$(dirname "${BASH_SOURCE[0]}")/sync.sh"
tap_n=0
tap_failed=0
# ok NAME COMMAND...: one TAP line, ok when COMMAND succeeds.
ok() {
	local name=$1
	shift
	tap_n=$((tap_n + 1))
	if "$@" > "$T/.why" 2>&1; then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name"
		sed 's/^/# /' "$T/.why" | head -20
		tap_failed=$((tap_failed + 1))
	fi
}
# same WANT GOT: exact comparison, shown on failure.
same() {
	[ "$1" = "$2" ] && return 0
	printf 'want: %s\n got: %s\n' "$1" "$2"
	return 1
}
no_sanitizer_report() {
	local f bad=0
	for f in "$T"/.san/report*; do
		[ -e "$f" ] || continue
		bad=1
		echo "$(basename "$f"):"
		head -20 "$f"
	done
	return $bad
}
tap_done() {
	ok "no sanitizer report from any tool run" no_sanitizer_report
	echo "1..$tap_n"
	[ $tap_failed -eq 0 ]
}
