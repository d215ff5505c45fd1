# SPDX-License-Identifier: MIT
# lib.sh - TAP helpers for the shell tests (sourced, bash).
: "${SZ_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${SZ_BIN:=$SZ_SRCDIR/tools}"
PATH=$SZ_BIN:$PATH
export PATH LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/sztest.XXXXXX")
trap 'rm -rf "$T"' EXIT
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
tap_done() {
	echo "1..$tap_n"
	[ $tap_failed -eq 0 ]
}
