# SPDX-License-Identifier: MIT
# chserver.sh - a real clickhouse-server (Debian's) for the shell tests,
# sourced after lib.sh and redisserver.sh (free_port): an ordinary process
# on free ports of 127.0.0.1 with its data in a directory of its own,
# stopped by its pid. Started again with ch_start, it keeps its ports and
# its data (outage tests).
#
#   ch_start DIR   start it (DIR holds data, logs, pid); exports
#                  SZ_CLICKHOUSE_URL and CH_URL; 1 when it did not answer
#                  /ping within a minute
#   ch_stop [SIG]  stop it (SIGTERM by default) and wait until it is gone
#   ch_query SQL   run SQL (over HTTP, with curl); the answer on stdout;
#                  status 1 and the server's error on stderr when it failed
#   ch_have        is clickhouse-server installed?

ch_have() {
	command -v clickhouse-server > /dev/null && command -v curl > /dev/null
}
ch_start() {
	CH_DIR=$1
	mkdir -p "$CH_DIR/tmp" "$CH_DIR/uf" "$CH_DIR/fs"
	if [ -z "${CH_HTTP:-}" ]; then
		CH_HTTP=$(free_port)
		CH_TCP=$(free_port)
		CH_INTER=$(free_port)
	fi
	CH_URL=http://127.0.0.1:$CH_HTTP
	SZ_CLICKHOUSE_URL=$CH_URL
	export CH_DIR CH_HTTP CH_TCP CH_INTER CH_URL SZ_CLICKHOUSE_URL
	# started by a subshell that ends at once, so that it is no job of
	# the test's shell (whose "Killed" notice would end up in the TAP)
	(clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- \
	    --path="$CH_DIR/" --tmp_path="$CH_DIR/tmp/" \
	    --user_files_path="$CH_DIR/uf/" --format_schema_path="$CH_DIR/fs/" \
	    --http_port="$CH_HTTP" --tcp_port="$CH_TCP" \
	    --interserver_http_port="$CH_INTER" --listen_host=127.0.0.1 \
	    --logger.log="$CH_DIR/log" --logger.errorlog="$CH_DIR/err" \
	    > "$CH_DIR/out" 2>&1 < /dev/null &
	echo $! > "$CH_DIR/pid")
	wait_for 60 eval "curl -s '$CH_URL/ping' 2>/dev/null | grep -qx Ok."
}
ch_stop() {
	local pid
	[ -n "${CH_DIR:-}" ] || return 0
	pid=$(cat "$CH_DIR/pid" 2>/dev/null) || return 0
	kill "-${1:-TERM}" "$pid" 2>/dev/null
	# gone, or a zombie nobody reaped yet (its parent is init)
	wait_for 60 eval "! ps -o stat= -p $pid 2>/dev/null | grep -qv '^Z'" ||
	    kill -KILL "$pid" 2>/dev/null
	rm -f "$CH_DIR/pid"
}
ch_query() {
	local out code
	out=$(curl -sS -w '\n%{http_code}' "$CH_URL/" --data-binary "$1") ||
	    return 1
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	out=${out%$'\n'}
	if [ "$code" != 200 ]; then
		printf '%s\n' "$out" >&2
		return 1
	fi
	[ -z "$out" ] || printf '%s\n' "$out"
}
