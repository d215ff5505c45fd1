# SPDX-License-Identifier: MIT
# sync.sh - waiting for events instead of sleeping (sourced, bash; by
# tests/lib.sh for the shell tests and by tests/run-case for the cmd: and
# check: scripts of the cases, which get these functions exported).
#
# A test that waits for a tool waits for what the tool has visibly done (a
# line on its output, a file it opened or reopened), never for a fixed
# time: a fixed sleep before a kill or a read fails on a loaded machine
# (tests/stress). The deadline is only reached when the tool is broken, so
# make it generous.

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds
# (status 0), or give up after SECONDS (status 1).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.02
	done
}
# at_least N PATTERN FILE: FILE has at least N lines matching PATTERN
# (grep -E); false when FILE does not exist.
at_least() {
	local n
	n=$(grep -Ec -- "$2" "$3" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
export -f wait_for at_least
