# tests/lib.sh: sourced by every integration script (tests/integration/*.sh).
#
#   . "$(dirname "$0")/../lib.sh"
#   check "relay answers" test "$x" = y        # one named check, any command
#   skip "chromium is not installed"          # the whole script: exit 77
#   need_fuse                                 # fails the script without /dev/fuse
#   finish                                    # "N passed, N failed", exit 0/1
#
# A script starts daemons with `spawn NAME CMD...` (logs in $T/NAME.log); they
# are killed when the script exits, whatever happens.  $T is a fresh temporary
# folder, removed at exit unless AMPHI_KEEP=1.  AMPHI_BIN points at the
# binaries under test (bin/ or an ASan build).
set -u
AMPHI_TOP=${AMPHI_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
AMPHI_BIN=${AMPHI_BIN:-$AMPHI_TOP/bin}
T=$(mktemp -d /tmp/amphi-test.XXXXXX)
_passed=0 _failed=0 _pids=()

_cleanup() {
	local p
	for p in "${_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${AMPHI_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap _cleanup EXIT

pass() { _passed=$((_passed + 1)); echo "ok   $*"; }
fail() { _failed=$((_failed + 1)); echo "FAIL $*"; }

# check NAME CMD...: runs CMD, passes when it exits 0.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

skip() { echo "skipped: $*"; trap - EXIT; _cleanup; exit 77; }

# need_fuse: the recording store's suites mount FUSE; without /dev/fuse the
# script fails with how to get it (a suite that cannot run is not a pass).
need_fuse() {
	[ -e /dev/fuse ] && return 0
	fail "no /dev/fuse: the recording store's FUSE suites need it (modprobe fuse; in a container, --device /dev/fuse --cap-add SYS_ADMIN)"
	finish
}

# devstack_checkout TOP: a checkout of its own under TOP for tools/devstack
# (`make run`: every daemon, state in TOP/var), bin/, etc/ and control/web
# linked, so that a developer's var/ is never touched.  Needs FUSE and the
# three daemons; skips without the tools devstack uses.
devstack_checkout() {
	local top=$1 t b
	need_fuse
	for t in curl setsid fusermount3; do
		command -v $t >/dev/null || skip "$t is not installed"
	done
	for b in amphi-relay amphi-recstore amphi-control; do
		[ -x "$AMPHI_BIN/$b" ] || skip "$b is not built"
	done
	mkdir -p "$top/tools" "$top/control"
	cp "$AMPHI_TOP/tools/devstack" "$top/tools/"
	ln -s "$AMPHI_BIN" "$top/bin"
	ln -s "$AMPHI_TOP/etc" "$top/etc"
	ln -s "$AMPHI_TOP/control/web" "$top/control/web"
}

# spawn NAME CMD...: starts a daemon in the background, remembers its PID in
# the variable NAME_pid, its log in $T/NAME.log.
spawn() {
	local name=$1
	shift
	"$@" >"$T/$name.log" 2>&1 &
	_pids+=($!)
	printf -v "${name}_pid" '%s' $!
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# crc_frames FILE: the frames (lines) in an ffmpeg framecrc file, 0 without one.
crc_frames() { if [ -f "$1" ]; then grep -vc '^#' "$1"; else echo 0; fi; }

# ffmpeg_log_clean LOG: an ffmpeg receiver's log shows no decode or SRTP
# error.  Its "Immediate exit requested" lines are not one: they are ffmpeg
# saying that the SIGINT a test stops it with cut its trailer write short
# (the frames are already on disk: the receivers write with -flush_packets 1).
ffmpeg_log_clean() {
	! grep -Ei 'error|corrupt|mismatch|invalid' "$1" | grep -v 'Immediate exit requested' | grep -q .
}

finish() {
	echo "$_passed passed, $_failed failed"
	[ $_failed = 0 ]
	exit $?
}
