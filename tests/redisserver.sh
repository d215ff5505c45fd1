# SPDX-License-Identifier: MIT
# redisserver.sh - a real redis-server for the shell tests (sourced after
# lib.sh): on $PORT of 127.0.0.1 in a directory of its own, stopped by its
# pid. Used by tests/redis.test and tests/e2e.test.

# free_port: a TCP port of 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# start_redis DIR [ARGS...]: a server in DIR on $PORT (set once per DIR).
start_redis() {
	local dir=$1
	shift
	mkdir -p "$dir"
	redis-server --port "$PORT" --bind 127.0.0.1 --dir "$dir" \
	    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log" "$@" ||
	    return 1
	wait_for 30 eval "redis-cli -p $PORT ping 2>/dev/null | grep -qE 'PONG|NOAUTH'" &&
	    wait_for 10 test -s "$dir/pid"
}
# stop_redis DIR [SIGNAL]: stop it by pid and wait until it is gone.
stop_redis() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	# gone, or a zombie that nobody reaped yet (a daemon's parent is
	# init, which may take its time)
	wait_for 30 eval "! ps -o stat= -p $pid 2>/dev/null | grep -qv '^Z'"
	rm -f "$1/pid"
}
