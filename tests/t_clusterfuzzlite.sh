#!/usr/bin/env bash
# t_clusterfuzzlite.sh - .clusterfuzzlite/build.sh under the build contract.
#
# There is no Docker engine here, so the ClusterFuzzLite/OSS-Fuzz build is
# run directly with the variables their base-builder image sets for an
# ASan libFuzzer build (CC, CXX, CFLAGS with -fsanitize=address,
# fuzzer-no-link, LIB_FUZZING_ENGINE=-fsanitize=fuzzer, SRC, WORK, OUT in a
# temporary folder). Then, per harness/fuzz_*.c: the binary exists with a
# contract-legal name, its seed corpus zip is flat with sha1 names and holds
# every file of corpus/NAME/, NAME.dict is the committed dictionary,
# NAME.options parses with max_len, and the binary runs its unzipped seeds
# (-runs=0) without a crash. The workflow and project files must parse.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
command -v clang >/dev/null && command -v clang++ >/dev/null || { echo "skip: clang/clang++ missing"; exit 77; }
command -v zip >/dev/null && command -v unzip >/dev/null || { echo "skip: zip/unzip missing (bash scripts/deps.sh test installs them)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
mkdir -p "$tmp/out" "$tmp/work"
if ! CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 \
	SRC="$(dirname "$PWD")" WORK="$tmp/work" OUT="$tmp/out" \
	nice bash .clusterfuzzlite/build.sh > "$tmp/build.log" 2>&1; then
	tail -n 30 "$tmp/build.log"
	echo "FAIL: build.sh failed"
	exit 1
fi

n=0
for h in harness/fuzz_*.c; do
	t=$(basename "$h" .c)
	n=$((n + 1))
	bin=$tmp/out/$t
	[[ $t =~ ^[A-Za-z0-9_-]+$ ]] || { echo "FAIL: $t is not a legal fuzzer name"; fail=1; }
	[ -x "$bin" ] || { echo "FAIL: $t: no binary in \$OUT"; fail=1; continue; }
	"$bin" -help=1 2>&1 | grep -q -- '-runs' || { echo "FAIL: $t is not a libFuzzer binary"; fail=1; }
	# seed corpus: flat, sha1 names, every committed seed present
	zip=$tmp/out/${t}_seed_corpus.zip
	if [ -d "corpus/$t" ] && [ -n "$(ls -A "corpus/$t")" ]; then
		[ -f "$zip" ] || { echo "FAIL: $t: no seed corpus zip"; fail=1; continue; }
		mkdir -p "$tmp/seeds/$t"
		unzip -q "$zip" -d "$tmp/seeds/$t"
		if find "$tmp/seeds/$t" -mindepth 1 -type d | grep -q .; then
			echo "FAIL: $t: seed corpus zip is not flat"; fail=1
		fi
		for f in "$tmp/seeds/$t"/*; do
			[ "$(basename "$f")" = "$(sha1sum "$f" | cut -c1-40)" ] || { echo "FAIL: $t: $(basename "$f") is not named by its sha1"; fail=1; break; }
		done
		while IFS= read -r -d '' f; do
			[ -f "$tmp/seeds/$t/$(sha1sum "$f" | cut -c1-40)" ] || { echo "FAIL: $t: seed $f missing from the zip"; fail=1; break; }
		done < <(find "corpus/$t" -type f ! -name '.*' -print0)
		nseeds=$(ls "$tmp/seeds/$t" | wc -l)
		# -runs=0: every seed once, as CI's "test on the seed corpus" does
		if ! "$bin" -runs=0 "$tmp/seeds/$t" > "$tmp/$t.run" 2>&1; then
			tail -n 20 "$tmp/$t.run"; echo "FAIL: $t crashed on its seed corpus"; fail=1
		fi
		done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/$t.run")
		if [ -z "$done_runs" ] || [ "$done_runs" -lt "$nseeds" ]; then
			echo "FAIL: $t: ran ${done_runs:-no} inputs of $nseeds seeds"; fail=1
		else
			echo "ok: $t: $nseeds seeds, $done_runs runs"
		fi
	fi
	if [ -f "corpus/$t.dict" ]; then
		cmp -s "corpus/$t.dict" "$tmp/out/$t.dict" || { echo "FAIL: $t.dict is not corpus/$t.dict"; fail=1; }
	fi
	$PY - "$tmp/out/$t.options" <<'PYEOF' || { echo "FAIL: $t.options"; fail=1; }
import configparser, sys
c = configparser.ConfigParser()
assert c.read(sys.argv[1]), "missing"
assert int(c["libfuzzer"]["max_len"]) > 0
PYEOF
done
[ $n -gt 0 ] || { echo "FAIL: no harness/fuzz_*.c"; fail=1; }

# configuration files parse and say what ClusterFuzzLite needs
$PY - <<'PYEOF' || fail=1
import yaml
p = yaml.safe_load(open(".clusterfuzzlite/project.yaml"))
assert p["language"] == "c", "project.yaml: language must be c"
for wf, mode in ((".github/workflows/cflite_pr.yml", "code-change"), (".github/workflows/cflite_batch.yml", "batch")):
    w = yaml.safe_load(open(wf))
    steps = [s for j in w["jobs"].values() for s in j["steps"]]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("google/clusterfuzzlite/actions/build_fuzzers@") for u in uses), wf
    modes = [s["with"].get("mode") for s in steps if s.get("uses", "").startswith("google/clusterfuzzlite/actions/run_fuzzers@")]
    assert mode in modes, "%s: no run_fuzzers step with mode %s" % (wf, mode)
dock = open(".clusterfuzzlite/Dockerfile").read()
assert "FROM gcr.io/oss-fuzz-base/base-builder" in dock and "build.sh" in dock
print("ok: project.yaml, Dockerfile, cflite_pr.yml (code-change), cflite_batch.yml (batch)")
PYEOF
exit $fail
