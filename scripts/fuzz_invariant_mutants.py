#!/usr/bin/python3
"""fuzz_invariant_mutants.py - prove that the fuzz harnesses' invariants can fail.

Each entry of EXP breaks the code under test on purpose (one source
pattern replaced), in a throwaway copy of HEAD (git archive into a
temporary folder; the work tree is never touched), rebuilds that target's
repro driver (gcc, ASan+UBSan), replays the committed corpus and prints the
first FUZZ_CHECK or sanitizer report, or "NO ABORT". A pattern that no
longer matches (the code moved on) prints "PATTERN NOT FOUND".
docs/fuzz-invariants.md records a run.

    scripts/fuzz_invariant_mutants.py [NAME-PREFIX...]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXP = [
 ("E1 stream numbers", "targets/engine.c", "f->stream = e->next_stream[tcp ? 0 : 1]++;", "f->stream = e->next_stream[0]++;", "fuzz_engine"),
 ("E2 reaper per pass", "targets/engine.c", "#define REAP_PER_PASS 12", "#define REAP_PER_PASS 11", "fuzz_engine"),
 ("E21 reaper list by list, not by expiry time", "targets/engine.c", "if (f != NULL && (best == NULL || expiry_of(e, f) < *at)) {", "if (f != NULL && best == NULL) {", "fuzz_engine"),
 ("E22 flush expires nothing", "targets/engine.c", "(void)expire_merged(e, UINT64_MAX, &next);\n\te->reap_at = next;\n\tn = e->ft.count;", "next = 0;\n\te->reap_at = next;\n\tn = e->ft.count;", "fuzz_engine"),
 ("E3 eviction victim", "targets/engine.c", "if (best == NULL || f->last_frame < best->last_frame ||", "if (best == NULL || f->last_frame > best->last_frame ||", "fuzz_engine"),
 ("E4 incarnation rule", "targets/tcpstate.h", "(s->flags & TSF_BASE) != 0 && sg->seq != s->isn", "(s->flags & TSF_SYN) != 0 && sg->seq != s->isn", "fuzz_engine"),
 ("E5 2*MSL timeout", "targets/engine.c", "e->timeout[L_TCP_CLOSED] = 2 * (int64_t)cfg->msl_sec * NS_PER_SEC;", "e->timeout[L_TCP_CLOSED] = (int64_t)cfg->msl_sec * NS_PER_SEC;", "fuzz_engine"),
 ("E6 lookup misses chained entries", "targets/flowtable.c", "\tidx = e->next;\n\t}\n\treturn NULL;", "\tidx = e->next;\n\t\tbreak;\n\t}\n\treturn NULL;", "fuzz_engine"),
 ("E7a per-flow packet counts (engine)", "targets/engine.c", "f->pkts[dir]++;", "if (dir == FLOW_DIR_ORIG) f->pkts[dir]++;", "fuzz_engine"),
 ("E7b per-flow packet counts (pcap)", "targets/engine.c", "f->pkts[dir]++;", "if (dir == FLOW_DIR_ORIG) f->pkts[dir]++;", "fuzz_pcap"),
 ("E8 key-dependent findings", "oracle/oracle.c", "if (!o->cfg.rules.on[h->rule] || o->sink.finding == NULL)\n\t\treturn;\n\tfinding_from_packet", "if (!o->cfg.rules.on[h->rule] || o->sink.finding == NULL || (h->rule == R_PORT_EPHEMERAL_RANGE && (o->cfg.engine.hash_key.k0 & 1)))\n\t\treturn;\n\tfinding_from_packet", "fuzz_pcap"),
 ("E9 oracle_advance does nothing", "oracle/oracle.c", "\treturn engine_expire(o->eng, limit);", "\t(void)limit;\n\treturn 0;", "fuzz_engine"),
 ("E10 reader returns a cut record", "targets/capture.c", "\tif (cur_left(&c) < caplen)\n\t\treturn pcap_rec_fail(r, REC_SHORT_DATA, caplen, cur_left(&c));", "\tif (cur_left(&c) < caplen)\n\t\tcaplen = (uint32_t)cur_left(&c);\n\tif (cur_left(&c) < caplen)\n\t\treturn pcap_rec_fail(r, REC_SHORT_DATA, caplen, cur_left(&c));", "fuzz_pcap"),
 ("E11 reader frame counter", "targets/capture.c", "static enum tc_rc pcap_next_rec(struct cap_reader *r, struct cap_packet *pkt)\n{", "static enum tc_rc pcap_next_rec(struct cap_reader *r, struct cap_packet *pkt)\n{\n\tif (r->frame == 3) r->frame++;", "fuzz_pcap"),
 ("E12 leak in ft_destroy", "targets/flowtable.c", "\tfor (i = 0; i < t->n_chunks; i++)\n\t\tfree(t->chunks[i]);", "\tfor (i = 1; i < t->n_chunks; i++)\n\t\tfree(t->chunks[i]);", "fuzz_engine"),
 ("E13 NOMEM not counted", "targets/engine.c", "\t\t\te->st.nomem++;\n", "", "fuzz_engine"),
 ("E14 NOMEM swallowed", "targets/engine.c", "\t\tif (v == NULL)\n\t\t\treturn TC_NOMEM;", "\t\tif (v == NULL)\n\t\t\treturn TC_OK;", "fuzz_engine"),
 ("E15 both FINs counted open", "targets/engine.c", "\t\treturn PREV_FIN;\n\tif (((f0 & TSF_FIN)", "\t\treturn PREV_OPEN;\n\tif (((f0 & TSF_FIN)", "fuzz_engine"),
 ("E16 one direction's FIN counted open", "targets/engine.c", "\t\treturn PREV_FIN_ONE_SIDED;", "\t\treturn PREV_OPEN;", "fuzz_engine"),
 ("E17 a SYN+ACK alone completes the handshake", "targets/engine.c", "return any_established(c) && (c->side[f->orig_side].flags & TSF_ACKED_ANY)", "return any_established(c)", "fuzz_engine"),
 ("E18 initiator findings named from the SYN+ACK's side", "oracle/oracle.c", "emit_as(o, cp, p, h, dir == FLOW_DIR_RESP);", "emit_as(o, cp, p, h, false);", "fuzz_engine"),
 ("E19 a probe with invalid flags opens a connection", "oracle/oracle.c", "&& !res->midstream && !probe)", "&& !res->midstream)", "fuzz_engine"),
 ("E20 a SYN+ACK with FIN or RST flipped", "targets/engine.c", "(flags & (TH_SYN | TH_ACK | TH_FIN | TH_RST)) == (TH_SYN | TH_ACK)", "(flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)", "fuzz_engine"),
 ("P1 port outside the range", "targets/portalloc.c", "uint32_t next = c->low + pa_rng_below(rng, num);", "uint32_t next = c->low + pa_rng_below(rng, num + 1);", "fuzz_portalloc"),
 ("P2 duplicate 4-tuple", "targets/portalloc.c", "\treturn !is_candidate_taken(s->a, &s->cand, s->is_in_use, s->ctx);", "\t(void)is_candidate_taken;\n\treturn true;", "fuzz_portalloc"),
 ("P2b live 4-tuple ignored", "targets/portalloc.c", "\t} else if (chain_find(a, cand) != PA_NONE) {\n\t\treturn true;\n\t}", "\t} else if (0 && chain_find(a, cand) != PA_NONE) {\n\t\treturn true;\n\t}", "fuzz_portalloc"),
 ("P3 legacy not the lowest free port", "targets/portalloc.c", "IPPORT_RESERVED + 1;\n\n\tfor (uint32_t port = start; port < c->high; port++)", "IPPORT_RESERVED + 2;\n\n\tfor (uint32_t port = start; port < c->high; port++)", "fuzz_portalloc"),
 ("P4 exhausted range scanned past its size", "targets/portalloc.c", "\tfor (uint32_t count = num; count > 0; count--) {\n\t\tif (is_port_free(s, next))", "\tfor (uint32_t count = num + 1; count > 0; count--) {\n\t\tif (is_port_free(s, next))", "fuzz_portalloc"),
 ("P5 legacy hands out 1024", "targets/portalloc.c", "uint32_t start = c->low > IPPORT_RESERVED ? c->low : IPPORT_RESERVED + 1;", "uint32_t start = c->low > IPPORT_RESERVED ? c->low : IPPORT_RESERVED;", "fuzz_portalloc"),
 ("P6 16-bit legacy scan variable", "targets/portalloc.c", "for (uint32_t port = start; port < c->high; port++)", "for (uint16_t port = (uint16_t)start; port < c->high; port++)", "fuzz_portalloc"),
]


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="tc-mutants.")
    try:
        subprocess.run("git -C %s archive HEAD | tar -x -C %s" % (repo, tmp), shell=True, check=True)
        os.chdir(tmp)
        subprocess.run(["nice", "make", "-j2", "fuzz-repro"], capture_output=True, check=True)
        only = sys.argv[1:]
        for name, f, old, new, tgt in EXP:
            if only and not any(name.startswith(o) for o in only):
                continue
            src = open(f).read()
            if old not in src:
                print("%s: PATTERN NOT FOUND in %s" % (name, f))
                continue
            shutil.copy(f, f + ".orig")
            open(f, "w").write(src.replace(old, new, 1))
            try:
                b = subprocess.run(["nice", "make", "build/fuzz/repro/" + tgt], capture_output=True, text=True)
                if b.returncode != 0:
                    print("%s: BUILD FAILED %s" % (name, b.stderr[-300:]))
                    continue
                r = subprocess.run(["nice", "build/fuzz/repro/" + tgt, "-q", "-t", "60", "corpus/" + tgt],
                                   capture_output=True, text=True)
                out = r.stdout + r.stderr
                m = re.search(r"(\S+:\d+): FUZZ_CHECK failed: .*\n\s+input: (\S+)\n\s+why:\s+(.*)", out)
                if m:
                    print("%s [%s]: %s -- %s" % (name, tgt, m.group(1), m.group(3)[:160]))
                else:
                    s = re.search(r"(ERROR: \w+Sanitizer: [^\n]*|runtime error: [^\n]*)", out)
                    print("%s [%s]: %s" % (name, tgt, s.group(1) if s else "NO ABORT"))
            finally:
                shutil.copy(f + ".orig", f)
                os.remove(f + ".orig")
                os.utime(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
