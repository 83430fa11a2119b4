# mk/replay.mk - make replay PCAPS=DIR: replay every capture under DIR through
# the oracle and report findings per file, the unique signatures and a
# reduced example of each (scripts/replay_dir.sh does the work).
#
#   make replay PCAPS=DIR [REPLAY_OUT=out/replay] [REPLAY_OPTS='--profile linux']
#               [REDUCE=0]          skip the reduced examples
#               [REPLAY_STRICT=1]   fail (exit 1/2) on findings at or above
#                                   --fail-on or on unreadable captures
# Outputs in REPLAY_OUT: findings.jsonl, report.junit.xml, report.sarif,
# table.txt (files x rules, signatures) and reduced/SIGNATURE.pcap.
# By default the target is a survey: it fails only when the replay itself
# cannot run (no captures, the tool missing or killed, an internal error:
# replay_dir.sh exit 3).

PCAPS ?= corpus/pcaps
REPLAY_OUT ?= out/replay
REPLAY_OPTS ?=
REDUCE ?= 1
REPLAY_STRICT ?= 0

.PHONY: replay
replay: build/tuplecheck
	@TC_BIN=$(CURDIR)/build/tuplecheck REDUCE=$(REDUCE) \
		bash scripts/replay_dir.sh "$(PCAPS)" "$(REPLAY_OUT)" $(REPLAY_OPTS); \
	rc=$$?; if [ $(REPLAY_STRICT) = 1 ] || [ $$rc -gt 2 ]; then exit $$rc; fi
