# tests/lib/tshark_common.sh - shell steps shared by the two tshark
# differential tests, tests/t_tshark_packets.sh (header decoder vs
# tests/ref/tshark/) and tests/t_tshark_streams.sh (connection engine vs
# tests/ref/tshark-streams*/). Both source it after cd to the repository
# root; their Python halves share tests/lib/tshark_common.py. Not a test
# itself (tests/run.sh runs only tests/t_*.sh).

# tshark_need_bin: set bin to $TC_BIN (default build/asan/tuplecheck), or
# print why and exit 77 (skip) when it is not built.
tshark_need_bin() {
	bin=${TC_BIN:-build/asan/tuplecheck}
	if [ ! -x "$bin" ]; then
		echo "skip: $bin not built"
		exit 77
	fi
}

# tshark_version_note REFDIR SCRIPT WHAT: when tshark is installed and its
# first --version line differs from REFDIR/VERSION (the tshark the committed
# references were made with), print a note to rerun SCRIPT if WHAT changed.
# Only a note: the references stay valid until someone regenerates them.
tshark_version_note() {
	local have want
	command -v tshark >/dev/null 2>&1 || return 0
	have=$(tshark --version 2>/dev/null | head -n 1)
	want=$(cat "$1/VERSION" 2>/dev/null)
	if [ "$have" != "$want" ]; then
		echo "note: references made with '$want', installed is '$have';" \
		     "run $2 if $3 changed"
	fi
}
