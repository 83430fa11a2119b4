#!/bin/bash -eu
# .clusterfuzzlite/build.sh - build every fuzz target the OSS-Fuzz way.
#
# ClusterFuzzLite and OSS-Fuzz run this inside their base-builder image with
# CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, SANITIZER, SRC, WORK and OUT
# set; tests/t_clusterfuzzlite.sh runs it directly with the same variables,
# as there is no Docker engine where `make test` runs. Sanitizer and
# coverage flags come only from $CFLAGS and the engine only from
# $LIB_FUZZING_ENGINE (the build contract), so the same script makes
# libFuzzer, AFL++ and coverage builds. C objects, linked with $CXX as the
# contract asks.
#
# For each harness/fuzz_NAME.c, into $OUT:
#   NAME                 the fuzz target
#   NAME_seed_corpus.zip corpus/NAME/ plus corpus/regressions/NAME/, flat,
#                        each file named by the sha1 of its content
#   NAME.dict            corpus/NAME.dict
#   NAME.options         [libfuzzer] max_len and timeout, the values of
#                        mk/fuzz.mk
# Sources are never deleted (coverage builds need them).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
: "${CC:?}" "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
: "${CFLAGS:=}" "${CXXFLAGS:=}"
WORK=${WORK:-$(mktemp -d)}
obj=$WORK/tuplecheck-obj
rm -rf "$obj"
mkdir -p "$obj" "$OUT"

cppflags="-std=c11 -Itargets -Ioracle -Iharness -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64"
lib_src=$(ls targets/*.c oracle/*.c | grep -v '^oracle/main\.c$')
sup_src=$(ls harness/*.c | grep -v -e '^harness/fuzz_' -e '^harness/repro_main\.c$' -e '^harness/afl_driver\.c$' \
	-e '^harness/mutator_afl\.c$' -e '^harness/mutcheck_main\.c$')
targets=$(ls harness/fuzz_*.c | sed 's|^harness/||; s|\.c$||')

# Compile everything in parallel; one failure fails the build.
export CC CFLAGS cppflags obj
printf '%s\n' $lib_src $sup_src $(printf 'harness/%s.c\n' $targets) |
	xargs -P "$(nproc)" -I{} bash -c \
	'o="$obj/$(echo {} | tr / _).o"; $CC $CFLAGS $cppflags -c {} -o "$o"'
rm -f "$obj/libtc.a"
ar rcs "$obj/libtc.a" $(for f in $lib_src; do echo "$obj/$(echo "$f" | tr / _).o"; done)
sup_obj=$(for f in $sup_src; do echo "$obj/$(echo "$f" | tr / _).o"; done)

# libpcap statically when it can be (the runner image need not have it);
# the archive contributes only what a target references.
pcap=-lpcap
for d in /usr/lib/x86_64-linux-gnu /usr/lib /usr/local/lib; do
	[ -f "$d/libpcap.a" ] && pcap="-Wl,-Bstatic -lpcap -Wl,-Bdynamic" && break
done

# Largest input and per-input time limit, as mk/fuzz.mk sets them.
max_len() {
	local v
	v=$(sed -n "s/^FUZZ_MAXLEN_$1 *:= *\([0-9]*\).*/\1/p" mk/fuzz.mk 2>/dev/null | head -n 1)
	echo "${v:-4096}"
}

# Per-target link flags of mk/fuzz.mk (FUZZ_LD_NAME; fuzz_engine wraps the
# malloc family for its allocation-failure injection, harness/failalloc.h).
ld_flags() {
	local wrap
	wrap=$(sed -n 's/^FUZZ_WRAP *:= *//p' mk/fuzz.mk | head -n 1)
	sed -n "s/^FUZZ_LD_$1 *:= *//p" mk/fuzz.mk | head -n 1 | sed "s/\$(FUZZ_WRAP)/$wrap/"
}

for t in $targets; do
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS $LIB_FUZZING_ENGINE "$obj/harness_$t.c.o" $sup_obj "$obj/libtc.a" $pcap -lm \
		$(ld_flags "$t") -o "$OUT/$t"

	seeds=$WORK/seeds-$t
	rm -rf "$seeds"
	mkdir -p "$seeds"
	for d in corpus/$t corpus/regressions/$t; do
		[ -d "$d" ] || continue
		find "$d" -type f ! -name '.*' -print0 | while IFS= read -r -d '' f; do
			cp "$f" "$seeds/$(sha1sum "$f" | cut -c1-40)"
		done
	done
	rm -f "$OUT/${t}_seed_corpus.zip"
	if [ -n "$(ls -A "$seeds")" ]; then
		(cd "$seeds" && zip -q -X "$OUT/${t}_seed_corpus.zip" ./*)
	fi
	[ -f "corpus/$t.dict" ] && cp "corpus/$t.dict" "$OUT/$t.dict"
	printf '[libfuzzer]\nmax_len = %s\ntimeout = 10\n' "$(max_len "$t")" > "$OUT/$t.options"
	echo "build.sh: $OUT/$t"
done
