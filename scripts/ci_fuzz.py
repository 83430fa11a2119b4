#!/usr/bin/python3
"""ci_fuzz.py - the CI fuzz job's runner (make ci-fuzz -> scripts/ci_fuzz.sh -> here).

Runs every target with each engine for FUZZ_SECONDS, then triages what the
engines saved through fuzzlib.py (the same code as scripts/triage.sh) and
writes out/ci-fuzz/report.{json,junit.xml,sarif} plus a summary table on
stdout. Exit 0: no new crash; 1: a new unique crash (or a replayed scenario
no longer matches its expected output); 2: the job could not run (bad
setting, unwritable report folder, no run could start) or was interrupted
without a finding.

Scheduling. The (target, engine) runs share the cores (JOBS, default all):
up to JOBS runs at once, each with JOBS/concurrent workers, so every core
fuzzes all the time and the job takes about FUZZ_SECONDS x runs / cores.
A run with several workers is libFuzzer -fork=N, or AFL++ with one -M main
and one -S secondary per remaining worker (the first secondary with
CMPLOG, the others with other power schedules / MOpt); all instances of a
run share one sync folder.

Corpora. libFuzzer writes new inputs only into its first folder, which is
out/ci-fuzz/work/...; corpus/NAME/ and corpus/regressions/NAME/ are only
read, and AFL++ gets a copy of them. Only with CORPUS_WRITEBACK=1 is new
coverage merged back (libFuzzer -merge=1; afl-cmin, then the inputs it
keeps that corpus/NAME/ lacks, named by their sha1).

Progress. Every few seconds one line per active run: target, engine,
elapsed, exec/s, corpus size, crashes. libFuzzer's figures come from its
fork-mode status lines; AFL++ 4.04c refreshes fuzzer_stats only once a
minute, so its live figures come from its StatsD output (AFL_STATSD), sent
to a UDP socket this process listens on.

Interrupts. SIGINT/SIGTERM (Ctrl-C, a CI time limit): the engines' process
groups are stopped, what they saved is triaged and the reports are written,
marked interrupted. A second signal skips minimization, a third skips what
is left of triage. An interrupted job is never a pass: a new crash found
before the signal still exits 1, anything else exits 2 (SARIF
executionSuccessful false, a JUnit error for each run cut short or not
started). mk/ci-fuzz.mk execs scripts/ci_fuzz.sh, which execs this, so
make's recipe is this process and make returns only after the reports
are written.

AFL++'s queue. The AFL++ builds carry no sanitizer, so after each AFL++ run
its new queue entries are replayed through the repro driver in batches
(fuzzlib.screen); those it fails on are crash candidates, and write-back
(both engines) adds only inputs the repro driver runs clean.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzlib as fl  # noqa: E402

ROOT = fl.ROOT


class Job:
    """Signals and shared state."""

    def __init__(self):
        self.signals = 0
        self.interrupted = ""

    def on_signal(self, signum, _frame):
        self.signals += 1
        if not self.interrupted:
            self.interrupted = signal.Signals(signum).name
        msg = {1: "stopping the fuzzers, then triage and reports",
               2: "skipping minimization", 3: "skipping the rest of triage"}.get(self.signals, "")
        if msg:
            os.write(2, ("\nci-fuzz: %s received: %s\n" % (signal.Signals(signum).name, msg)).encode())


JOB = Job()


def count_files(d, pattern="*"):
    d = Path(d)
    return sum(1 for p in d.glob(pattern) if p.is_file()) if d.is_dir() else 0


def flatten_seeds(srcs, dst, limit=1 << 20):
    """Copy every file under srcs into dst (flat, sha1 names, AFL's 1 MB cap).
    Returns the number copied."""
    dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for s in srcs:
        s = Path(s)
        if not s.is_dir():
            continue
        for f in sorted(s.rglob("*")):
            if f.is_file() and not f.name.startswith(".") and f.stat().st_size <= limit:
                tgt = dst / fl.sha1_file(f)
                if not tgt.exists():
                    shutil.copyfile(f, tgt)
                    n += 1
    return n


# =============================================================================
# Engines
# =============================================================================

class Run:
    """One target with one engine. Subclasses start, poll and collect."""

    engine = "?"

    def __init__(self, cfg, target):
        self.cfg = cfg
        self.target = target
        self.bins = fl.Bins(target, cfg.bin_dir)
        self.work = Path(cfg.out) / "work" / target / self.engine
        self.logdir = Path(cfg.out) / "logs"
        self.procs = []
        self.workers = 1
        self.status = "pending"
        self.error = ""
        self.t_start = None
        self.t_end = None
        self.live = {"execs": 0, "exec_per_sec": 0, "corpus_size": 0, "crashes": 0}
        self.result = {}
        self.extra_candidates = []   # inputs the repro driver fails on, found after the run

    # Resources shared by both engines --------------------------------------
    def dict_file(self):
        for d in (self.bins.dir / (self.target + ".dict"),
                  Path(self.cfg.corpus) / (self.target + ".dict")):
            if d.is_file():
                return d
        return None

    def seed_dirs(self):
        return [d for d in (Path(self.cfg.corpus) / self.target,
                            Path(self.cfg.regressions) / self.target) if d.is_dir()]

    def max_len(self):
        return self.cfg.max_len.get(self.target, 4096)

    def elapsed(self):
        if self.t_start is None:
            return 0.0
        return (self.t_end or time.time()) - self.t_start

    def running(self):
        return any(p.poll() is None for p in self.procs)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                fl.kill_group(p)

    def check_deadline(self):
        """Engines stop themselves; this is the safety net (hung start-up,
        a slow wrap-up)."""
        if self.running() and self.elapsed() > self.cfg.seconds + self.cfg.grace:
            fl.log("ci-fuzz: %s/%s overran its time, stopping it" % (self.target, self.engine))
            self.stop()

    def spawn(self, cmd, env, log_name):
        self.logdir.mkdir(parents=True, exist_ok=True)
        logf = open(self.logdir / log_name, "wb")
        p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=env, cwd=str(self.work), start_new_session=True)
        logf.close()
        self.procs.append(p)
        return p

    def reap_group(self, wait=10.0):
        """The engine's main process has exited; its children (libFuzzer
        fork jobs, AFL++'s fork server) may still be writing an artifact.
        Wait for the process group to empty, then kill what is left, so
        triage never reads a half-written file."""
        deadline = time.time() + wait
        for p in self.procs:
            while time.time() < deadline:
                try:
                    os.killpg(p.pid, 0)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.1)
            else:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def finish(self):
        self.reap_group()
        self.t_end = self.t_end or time.time()
        if self.status == "running":
            self.status = "interrupted" if JOB.interrupted else "ok"
        self.final_stats()

    def add_verified(self, files, dst):
        """Copy into dst, named by sha1, every file of files that the repro
        driver (ASan+UBSan) runs clean; dst never receives an input that
        crashes it, whatever the engine's build saw. The others become
        crash candidates of this run. Returns how many were added."""
        have = {fl.sha1_file(f) for f in dst.iterdir() if f.is_file()}
        new, seen = [], set()
        for f in files:
            h = fl.sha1_file(f)
            if h not in have and h not in seen:
                seen.add(h)
                new.append((f, h))
        failing, unchecked = fl.screen(self.bins, [f for f, _ in new], timeout=self.cfg.timeout,
                                       deadline=time.time() + max(60, self.cfg.seconds))
        refused = {f for f, _ in failing} | set(unchecked)
        added = 0
        for f, h in new:
            if str(f) not in refused:
                shutil.copyfile(f, dst / h)
                added += 1
        self.extra_candidates += self.save_candidates([(Path(f), k) for f, k in failing])
        self.result["merged_into_corpus"] = added
        if failing:
            self.result["writeback_refused_crashing"] = len(failing)
        if unchecked:
            self.result["writeback_unchecked"] = len(unchecked)
            if not fl.Bins.ok(self.bins.repro):
                self.result["writeback_error"] = "no repro driver at %s to check the inputs" % fl.rel(self.bins.repro)
        return added

    def save_candidates(self, failing):
        """Copies of (path, kind) pairs under safe names in work/saved/ (':'
        and ',' of AFL++'s names are not allowed in CI artifacts), named by
        their path in the work folder, as crash candidates of this run."""
        safe = self.work / "saved"
        safe.mkdir(parents=True, exist_ok=True)
        out = []
        for f, kind in failing:
            rel = f.relative_to(self.work) if self.work in f.parents else Path(f.name)
            dst = safe / fl.safe_name("-".join(rel.parts), 120)
            shutil.copyfile(f, dst)
            out.append(fl.Candidate(self.target, self.engine, kind, dst))
        return out

    def summary(self):
        r = {"target": self.target, "engine": self.engine, "workers": self.workers,
             "status": self.status, "seconds": round(self.elapsed(), 1)}
        r.update(self.result)
        if self.error:
            r["error"] = self.error
        return r


class LibFuzzerRun(Run):
    engine = "libfuzzer"
    STATUS = re.compile(r"^#(\d+): cov: (\d+) ft: (\d+) corp: (\d+) exec/s:? (\d+) "
                        r"oom/timeout/crash: (\d+)/(\d+)/(\d+)")

    def start(self, workers):
        self.workers = workers
        if not fl.Bins.ok(self.bins.libfuzzer):
            self.status, self.error = "error", "no libFuzzer build at %s" % fl.rel(self.bins.libfuzzer)
            return False
        shutil.rmtree(self.work, ignore_errors=True)
        for d in ("corpus", "artifacts", "tmp"):
            (self.work / d).mkdir(parents=True, exist_ok=True)
        cmd = [str(self.bins.libfuzzer.resolve()), "-fork=%d" % workers,
               "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
               "-max_total_time=%d" % self.cfg.seconds, "-timeout=%d" % self.cfg.timeout,
               "-rss_limit_mb=2560", "-max_len=%d" % self.max_len(),
               "-artifact_prefix=%s/" % (self.work / "artifacts"), "-print_final_stats=1"]
        d = self.dict_file()
        if d:
            cmd.append("-dict=%s" % d.resolve())
        cmd.append(str(self.work / "corpus"))
        cmd += [str(s.resolve()) for s in self.seed_dirs()]
        env = fl.sanitizer_env(asan="symbolize=1:detect_leaks=1:allocator_may_return_null=1:"
                                    "handle_abort=1:dedup_token_length=3")
        env["TMPDIR"] = str(self.work / "tmp")
        self.seed_hashes = {fl.sha1_file(f) for d in self.seed_dirs() for f in d.rglob("*") if f.is_file()}
        self.log_path = self.logdir / ("%s.libfuzzer.log" % self.target)
        self.t_start = time.time()
        self.status = "running"
        self.spawn(cmd, env, self.log_path.name)
        self._seen = 0
        return True

    def check_deadline(self):
        """Fork mode checks its time only between jobs, and job N runs N
        seconds, so it would overrun by up to a job's length: at the
        deadline the jobs are interrupted (SIGINT, what libFuzzer handles as
        a normal stop; a crash a job found is already in artifacts/)."""
        if self.running() and not getattr(self, "_soft", False) and self.elapsed() > self.cfg.seconds + 1:
            self._soft = True
            for p in self.procs:
                try:
                    os.killpg(p.pid, signal.SIGINT)
                except (ProcessLookupError, PermissionError):
                    pass
        Run.check_deadline(self)

    def poll_stats(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._seen)
                data = f.read()
        except OSError:
            return
        last = data.rfind(b"\n")
        if last < 0:
            return
        self._seen += last + 1
        for line in data[:last].decode("utf-8", "replace").splitlines():
            m = self.STATUS.match(line)
            if m:
                execs = int(m.group(1))
                self.live.update(execs=execs, corpus_size=int(m.group(4)),
                                 exec_per_sec=int(execs / max(1.0, self.elapsed())))
        self.live["crashes"] = count_files(self.work / "artifacts")

    def final_stats(self):
        self.poll_stats()
        rc = self.procs[0].poll() if self.procs else None
        if self.status == "ok" and rc not in (0, None) and self.live["execs"] == 0:
            # It never fuzzed (bad flag, unreadable folder, crash on start-up).
            try:
                lines = [l for l in self.log_path.read_text(errors="replace").splitlines() if l.strip()]
            except OSError:
                lines = []
            err = [l for l in lines if "ERROR" in l]
            self.status = "error"
            self.error = "libFuzzer exited %s before fuzzing: %s" % (rc, (err or lines or ["no output"])[-1].strip()[:200])
        art = self.work / "artifacts"
        self.result = {
            "execs": self.live["execs"],
            "exec_per_sec": int(self.live["execs"] / max(1.0, self.elapsed())),
            "corpus_size": max(self.live["corpus_size"], count_files(self.work / "corpus")),
            "new_corpus": sum(1 for f in (self.work / "corpus").iterdir()
                              if f.is_file() and fl.sha1_file(f) not in self.seed_hashes),
            "crashes": count_files(art, "crash-*") + count_files(art, "oom-*"),
            "timeouts": count_files(art, "timeout-*"),
            "leaks": count_files(art, "leak-*"),
            "log": fl.rel(self.log_path),
        }

    def candidates(self):
        out = []
        art = self.work / "artifacts"
        if art.is_dir():
            for f in sorted(art.iterdir()):
                if f.is_file() and re.match(r"^(crash|leak|timeout|oom)-", f.name):
                    out.append(fl.Candidate(self.target, self.engine, fl.kind_from_name(f.name), f))
        return out + self.extra_candidates

    def writeback(self):
        """Merge inputs with new coverage into corpus/NAME: libFuzzer
        -merge=1 into a staging copy of it (hard links), then the inputs the
        merge added go in through add_verified."""
        dst = Path(self.cfg.corpus) / self.target
        dst.mkdir(parents=True, exist_ok=True)
        stage = self.work / "merge"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        for f in dst.iterdir():
            if f.is_file():
                try:
                    os.link(f, stage / f.name)
                except OSError:
                    shutil.copyfile(f, stage / f.name)
        before = {f.name for f in stage.iterdir()}
        rc, out = fl.run_capture([str(self.bins.libfuzzer.resolve()), "-merge=1",
                                  "-max_len=%d" % max(self.max_len(), 1 << 20),
                                  "-timeout=%d" % self.cfg.timeout, str(stage.resolve()),
                                  str((self.work / "corpus").resolve())],
                                 600, env=fl.sanitizer_env(asan="symbolize=0:detect_leaks=0"),
                                 cwd=str(self.work))
        added = self.add_verified(sorted(f for f in stage.iterdir() if f.name not in before and f.is_file()), dst)
        if rc != 0:
            self.result["writeback_error"] = "libFuzzer -merge exited %s" % rc
        return added, rc


class AflRun(Run):
    engine = "afl"

    def start(self, workers):
        self.workers = workers
        if not fl.Bins.ok(self.bins.afl):
            self.status, self.error = "error", "no AFL++ build at %s" % fl.rel(self.bins.afl)
            return False
        if not shutil.which("afl-fuzz"):
            self.status, self.error = "error", "afl-fuzz not installed"
            return False
        shutil.rmtree(self.work, ignore_errors=True)
        seeds = self.work / "seeds"
        n = flatten_seeds(self.seed_dirs(), seeds, limit=min(1 << 20, max(self.max_len(), 1 << 16)))
        if n == 0:
            (seeds / "empty-ish").write_bytes(b"\0")
        (self.work / "sync").mkdir(parents=True, exist_ok=True)
        cmplog = self.bins.afl_cmplog if fl.Bins.ok(self.bins.afl_cmplog) else None
        d = self.dict_file()
        self.t_start = time.time()
        self.status = "running"
        self.instances = []
        # Secondaries differ from each other (fuzzing_in_depth.md 3c): one
        # with CMPLOG, then other power schedules and MOpt.
        variants = [["-p", "explore"], ["-L", "0"], ["-p", "exploit"], ["-p", "coe"], ["-Z"]]
        for i in range(workers):
            name = "main" if i == 0 else "s%d" % i
            cmd = ["afl-fuzz", "-M" if i == 0 else "-S", name, "-i", str(seeds.resolve()),
                   "-o", str((self.work / "sync").resolve()), "-V", str(self.cfg.seconds),
                   "-t", "%d+" % (self.cfg.timeout * 1000), "-G", str(self.max_len()),
                   "-T", "%s.%s" % (self.target, name)]
            if d:
                cmd += ["-x", str(d.resolve())]
            if cmplog and (i == 1 or workers == 1):
                cmd += ["-c", str(cmplog.resolve()), "-l", "2AT"]
            elif i >= 2:
                cmd += variants[(i - 2) % len(variants)]
            cmd += ["--", str(self.bins.afl.resolve())]
            env = dict(os.environ, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1",
                       AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_FAST_CAL="1",
                       AFL_CMPLOG_ONLY_NEW="1", AFL_STATSD="1", AFL_STATSD_HOST="127.0.0.1",
                       AFL_STATSD_PORT=str(self.cfg.statsd_port),
                       AFL_STATSD_TAGS_FLAVOR="dogstatsd",
                       ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1",
                       UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:symbolize=0")
            env.pop("AFL_AUTORESUME", None)
            self.spawn(cmd, env, "%s.afl.%s.log" % (self.target, name))
            self.instances.append(name)
        self.statsd = {}
        return True

    def on_statsd(self, banner, metrics):
        self.statsd[banner] = metrics

    def finish(self):
        super().finish()
        n = fl.reap_orphans([self.bins.afl, self.bins.afl_cmplog])
        if n:
            fl.log("ci-fuzz: %s/afl: killed %d fork-server child(ren) left behind" % (self.target, n))

    def poll_stats(self):
        if self.statsd:
            vals = list(self.statsd.values())
            # execs_per_sec is meaningless in the first second (calibration):
            # the rate over the run so far, as for libFuzzer.
            self.live["execs"] = int(sum(v.get("execs_done", 0) for v in vals))
            self.live["exec_per_sec"] = int(self.live["execs"] / max(1.0, self.elapsed()))
            self.live["corpus_size"] = int(max(v.get("corpus_count", 0) for v in vals))
        sync = self.work / "sync"
        self.live["crashes"] = (len(list(sync.glob("*/crashes/id:*"))) +
                                len(list(sync.glob("*/hangs/id:*"))))

    def final_stats(self):
        self.poll_stats()
        execs = eps = corpus = found = 0
        crashes = hangs = 0
        for inst in self.instances:
            st = self.work / "sync" / inst / "fuzzer_stats"
            if not st.is_file():
                continue
            kv = dict((k.strip(), v.strip()) for k, _, v in
                      (l.partition(":") for l in st.read_text().splitlines()))
            execs += int(kv.get("execs_done", 0))
            eps += float(kv.get("execs_per_sec", 0))
            corpus = max(corpus, int(kv.get("corpus_count", 0)))
            found += int(kv.get("corpus_found", 0))
            crashes += int(kv.get("saved_crashes", 0))
            hangs += int(kv.get("saved_hangs", 0))
        if not execs and self.live["execs"]:
            execs, eps = self.live["execs"], self.live["exec_per_sec"]
        self.result = {"execs": execs, "exec_per_sec": int(eps) if eps else int(execs / max(1.0, self.elapsed())),
                       "corpus_size": corpus or self.live["corpus_size"], "new_corpus": found,
                       "crashes": crashes, "timeouts": hangs, "leaks": 0,
                       "log": fl.rel(self.logdir / ("%s.afl.main.log" % self.target))}
        if self.status in ("ok", "interrupted") and not (self.work / "sync" / "main" / "fuzzer_stats").exists():
            # afl-fuzz gave up before fuzzing (bad seeds, no fork server...).
            tail = ""
            try:
                txt = (self.logdir / ("%s.afl.main.log" % self.target)).read_text(errors="replace")
                txt = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", txt)
                abort = [l for l in txt.splitlines() if "PROGRAM ABORT" in l or l.startswith("[-]")]
                tail = (abort[-1] if abort else txt.strip().splitlines()[-1]).strip()
            except (OSError, IndexError):
                pass
            if not JOB.interrupted:
                self.status, self.error = "error", "afl-fuzz did not start: %s" % tail

    def candidates(self):
        """AFL++'s crashes/ and hangs/ of every instance, then the queue
        entries the repro driver failed on (replay_queue) and the inputs
        write-back refused. Copied under safe names (the original name is
        kept in info.json)."""
        sync = self.work / "sync"
        found = [(f, kind) for sub, kind in (("crashes", "crash"), ("hangs", "timeout"))
                 for f in sorted(sync.glob("*/%s/id:*" % sub))]
        return self.save_candidates(found) + self.extra_candidates

    def replay_queue(self, deadline, stop):
        """The AFL++ builds carry no sanitizer (mk/fuzz.mk), so an input
        that corrupts memory without crashing is only a new path in the
        queue. Every queue entry the run added (not a seed; once per content
        across instances) goes through the repro driver, ASan+UBSan, in
        batches; those it fails on are crash candidates. Returns (replayed,
        failing, not replayed)."""
        seeds = self.work / "seeds"
        seen = {f.name for f in seeds.iterdir()} if seeds.is_dir() else set()
        entries = []
        for f in sorted((self.work / "sync").glob("*/queue/id:*")):
            if f.is_file():
                h = fl.sha1_file(f)
                if h not in seen:
                    seen.add(h)
                    entries.append(f)
        failing, unchecked = fl.screen(self.bins, entries, timeout=self.cfg.timeout,
                                       deadline=deadline, stop=stop)
        self.extra_candidates += self.save_candidates([(Path(f), k) for f, k in failing])
        self.result.update(queue_replayed=len(entries) - len(unchecked), queue_failing=len(failing))
        if unchecked:
            self.result["queue_not_replayed"] = len(unchecked)
            if not fl.Bins.ok(self.bins.repro):
                self.result["queue_error"] = "no repro driver at %s" % fl.rel(self.bins.repro)
        return len(entries) - len(unchecked), len(failing), len(unchecked)

    def writeback(self):
        """afl-cmin over corpus/NAME plus every queue; what it keeps that
        corpus/NAME lacks goes in through add_verified (the AFL++ build has
        no sanitizer: afl-cmin keeps inputs that corrupt memory)."""
        dst = Path(self.cfg.corpus) / self.target
        dst.mkdir(parents=True, exist_ok=True)
        union = self.work / "cmin-in"
        shutil.rmtree(union, ignore_errors=True)
        flatten_seeds([dst], union)
        queues = [q for q in (self.work / "sync").glob("*/queue") if q.is_dir()]
        flatten_seeds(queues, union)
        outd = self.work / "cmin-out"
        shutil.rmtree(outd, ignore_errors=True)
        # AFL_ALLOW_TMP: afl-cmin refuses folders under /tmp (a guard against
        # other users' symlinks); ours are private to this job.
        env = dict(os.environ, AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1", AFL_ALLOW_TMP="1",
                   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1",
                   ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0")
        rc, out = fl.run_capture(["afl-cmin", "-i", str(union.resolve()), "-o", str(outd.resolve()),
                                  "-t", str(self.cfg.timeout * 1000), "--",
                                  str(self.bins.afl.resolve())], 900, env=env, cwd=str(self.work))
        kept = sorted(f for f in outd.iterdir() if f.is_file()) if outd.is_dir() else []
        added = self.add_verified(kept, dst)
        if rc != 0:
            self.result["writeback_error"] = "afl-cmin exited %s: %s" % (
                rc, (out.strip().splitlines() or [""])[-1][-200:])
        return added, rc


class StatsdListener:
    """UDP socket for AFL++'s StatsD lines: metric:value|g|#banner:NAME,..."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def drain(self, runs_by_target):
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            per_banner = {}
            for line in data.decode("utf-8", "replace").splitlines():
                m = re.match(r"^fuzzing\.([a-z_]+):([0-9.]+|inf|nan)\|g\|#(.*)$", line)
                if not m:
                    continue
                tags = dict(t.split(":", 1) for t in m.group(3).split(",") if ":" in t)
                banner = tags.get("banner", "")
                try:
                    v = float(m.group(2))
                except ValueError:
                    continue
                if v != v or v == float("inf"):
                    v = 0.0
                per_banner.setdefault(banner, {})[m.group(1)] = v
            for banner, metrics in per_banner.items():
                target = banner.rsplit(".", 1)[0]
                run = runs_by_target.get(target)
                if run is not None:
                    run.on_statsd(banner, metrics)


# =============================================================================
# Replay of the bundled scenario captures
# =============================================================================

def replay(cfg):
    """Check every scenario capture of corpus/pcaps/MANIFEST.tsv: the rules
    that must and must not fire, the host classes, and the whole output
    against the committed NAME.expected.jsonl. These are checks 1 and 2 of
    tests/t_scenarios.sh (same command line, same byte-exact comparison),
    done here per scenario so that each becomes a JUnit test case and a
    line of report.json; the script's third check (the generator
    reproduces the captures) is a unit test, not a job step. Returns the
    report's "replay" section."""
    t0 = time.time()
    pcaps = Path(cfg.pcaps)
    manifest = pcaps / "MANIFEST.tsv"
    if cfg.no_replay:
        return {"status": "skipped", "reason": "disabled (--no-replay)", "scenarios": []}
    if not manifest.is_file():
        return {"status": "skipped", "reason": "no %s yet" % fl.rel(manifest), "scenarios": []}
    tc = Path(cfg.tuplecheck)
    if not fl.Bins.ok(tc):
        return {"status": "error", "reason": "no %s" % fl.rel(tc), "scenarios": []}
    scenarios = []
    for row in parse_manifest(manifest):
        s = {"name": row["name"], "pcap": fl.rel(row["pcap"])}
        t1 = time.time()
        if not row["pcap"].is_file():
            s.update(status="error", message="missing %s" % fl.rel(row["pcap"]))
        else:
            # As tests/t_scenarios.sh runs it: fixed hash seed, the path
            # relative to the repository (it is in every record's "file").
            cmd = [str(tc), "replay", "--format", "jsonl", "--seed", "1"] + row["args"] + [fl.rel(row["pcap"])]
            rc, out = run_split(cmd, 60)
            if rc is None or rc not in (0, 1):
                s.update(status="error", message="tuplecheck replay exited %s" % rc, diff=out[-2000:])
            else:
                problems = check_scenario(row, out)
                s["checked"] = row["checks"]
                if problems:
                    s.update(status="fail", message=problems[0].splitlines()[0],
                             diff="\n".join(problems[:40]))
                else:
                    s.update(status="pass")
        s["seconds"] = round(time.time() - t1, 3)
        scenarios.append(s)
    bad = [s for s in scenarios if s["status"] != "pass"]
    return {"status": "fail" if bad else "pass", "manifest": fl.rel(manifest), "scenarios": scenarios,
            "seconds": round(time.time() - t0, 1)}


def check_scenario(row, out):
    """Problems (text) of one replay output against its manifest row."""
    problems = []
    recs = []
    for line in out.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            problems.append("not JSON: %s" % line[:200])
    fired = {r.get("rule") for r in recs if r.get("type") == "finding"}
    for rule in row["must_fire"]:
        if rule not in fired:
            problems.append("rule %s did not fire" % rule)
    for rule in row["must_not_fire"]:
        if rule in fired:
            problems.append("rule %s fired but must not" % rule)
    hosts = {r.get("host"): r.get("port_selection") for r in recs if r.get("type") == "host"}
    for host, cls in row["hosts"].items():
        if hosts.get(host) != cls:
            problems.append("host %s classified %s, expected %s" % (host, hosts.get(host), cls))
    if row["expected"].is_file():
        want = row["expected"].read_text()
        if want != out:          # byte for byte, as t_scenarios.sh compares
            problems += compare_jsonl(want.splitlines(), out.splitlines()) or \
                ["output differs from %s (spacing or key order)" % fl.rel(row["expected"])]
    return problems


def parse_manifest(path):
    """MANIFEST.tsv rows (the oracle's scenario list, written by
    scripts/gen_scenarios.py): columns named by the '#' header line:
    capture, options, must_fire, must_not_fire, hosts ('-' = none; lists
    comma-separated; hosts as ADDR=CLASS). NAME.expected.jsonl beside the
    capture, when present, is its full expected output."""
    rows = []
    header = None
    for raw in Path(path).read_text().splitlines():
        if not raw.strip():
            continue
        cells = raw.split("\t")
        if raw.startswith("#"):
            if header is None:
                header = [c.strip().lstrip("#").strip().lower() for c in cells]
            continue
        cols = header or ["capture", "options", "must_fire", "must_not_fire", "hosts"]
        rec = {k: (v.strip() if v.strip() != "-" else "") for k, v in zip(cols, cells)}
        f = rec.get("capture") or rec.get("file") or rec.get("pcap") or ""
        pcap = Path(path).parent / f
        stem = pcap.name
        for ext in (".pcapng", ".pcap"):
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
                break
        lst = lambda k: [x for x in rec.get(k, "").split(",") if x]
        hosts = dict(h.split("=", 1) for h in lst("hosts") if "=" in h)
        expected = Path(path).parent / (stem + ".expected.jsonl")
        checks = ["must_fire", "must_not_fire"] + (["hosts"] if hosts else []) + \
            (["expected.jsonl"] if expected.is_file() else [])
        rows.append({"name": stem, "pcap": pcap, "expected": expected,
                     "args": rec.get("options", "").split(), "must_fire": lst("must_fire"),
                     "must_not_fire": lst("must_not_fire"), "hosts": hosts, "checks": checks})
    return rows


def run_split(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, cwd=str(ROOT))
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, ""


def compare_jsonl(want, got):
    """The lines that differ, as parsed JSON (so the message names real
    differences, not spacing)."""
    def norm(line):
        try:
            return json.dumps(json.loads(line), sort_keys=True)
        except ValueError:
            return line
    diff = []
    for i in range(max(len(want), len(got))):
        w = norm(want[i]) if i < len(want) else None
        g = norm(got[i]) if i < len(got) else None
        if w != g:
            diff.append("line %d:\n  expected %s\n  got      %s" % (
                i + 1, want[i] if i < len(want) else "(nothing)", got[i] if i < len(got) else "(nothing)"))
    return diff


# =============================================================================
# The job
# =============================================================================

def progress_line(run, cfg):
    return "[ci-fuzz %4ds/%ds] %-16s %-9s x%-2d exec/s %7d  corpus %6d  crashes %d" % (
        run.elapsed(), cfg.seconds, run.target, run.engine, run.workers,
        run.live["exec_per_sec"], run.live["corpus_size"], run.live["crashes"])


def schedule(cfg, runs, statsd):
    """Run everything, JOBS cores shared as described in the file comment."""
    pending = list(runs)
    active = []
    conc = max(1, min(cfg.jobs, len(runs)))
    base, extra = divmod(cfg.jobs, conc)
    shares = [base + (1 if i < extra else 0) for i in range(conc)]
    free = list(shares)
    last_progress = 0.0
    runs_by_target = {}
    while (pending or active) and not JOB.interrupted:
        while pending and free and not JOB.interrupted:
            r = pending.pop(0)
            w = max(1, free.pop(0))
            if r.start(w):
                r.share = w
                active.append(r)
                if r.engine == "afl":
                    runs_by_target[r.target] = r
                print("[ci-fuzz] started %s/%s with %d worker%s" % (r.target, r.engine, w, "s" if w > 1 else ""),
                      flush=True)
            else:
                print("[ci-fuzz] %s/%s: %s" % (r.target, r.engine, r.error), flush=True)
                free.insert(0, w)
        time.sleep(0.5)
        statsd.drain(runs_by_target)
        for r in list(active):
            r.poll_stats()
            r.check_deadline()
            if not r.running():
                r.finish()
                active.remove(r)
                free.append(r.share)
                print("[ci-fuzz] finished %s/%s after %ds: %s" % (r.target, r.engine, r.elapsed(),
                      r.status if r.status != "error" else r.error), flush=True)
        now = time.time()
        if active and now - last_progress >= cfg.progress:
            last_progress = now
            for r in active:
                print(progress_line(r, cfg), flush=True)
    if JOB.interrupted:
        for r in active:
            r.stop()
        statsd.drain(runs_by_target)
        for r in active:
            r.t_end = time.time()
            r.finish()
        for r in pending:
            r.status, r.error = "skipped", "job interrupted before it started"


# Numeric settings: (option, smallest valid value, what it means). They
# are checked here as well as in ci_fuzz.sh, so that a direct call with a
# bad value gets the same report of a setup error, not an argparse usage.
INT_SETTINGS = [("seconds", 1, "FUZZ_SECONDS", "seconds of fuzzing per target and engine"),
                ("jobs", 1, "JOBS", "cores the runs share"),
                ("timeout", 1, "FUZZ_TIMEOUT", "seconds one input may run"),
                ("minimize_seconds", 0, "MINIMIZE_SECONDS", "seconds of minimization per crash")]


def check_settings(cfg):
    """Turn the numeric settings into ints; returns the first problem as a
    one-line reason, or "". Values that are bad keep their text (reports)."""
    problem = ""
    for attr, low, name, meaning in INT_SETTINGS:
        raw = str(getattr(cfg, attr)).strip()
        if attr == "jobs" and raw == "":
            setattr(cfg, attr, os.cpu_count() or 1)
            continue
        if re.fullmatch(r"[0-9]{1,9}", raw) and not (len(raw) > 1 and raw[0] == "0") and int(raw) >= low:
            setattr(cfg, attr, int(raw))
        elif not problem:
            problem = "%s=%s: not a %s integer (%s)" % (name, raw, "positive" if low else "non-negative", meaning)
    return problem


def out_dir_problem(out):
    """Why reports cannot be written to out (one phrase), or ""."""
    if out.exists() and not out.is_dir():
        return "it exists and is not a directory"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return "cannot create it (%s)" % (e.strerror or e)
    probe = out / ".ci-fuzz-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        return "cannot write in it (%s)" % (e.strerror or e)
    return ""


def main(argv=None):
    ap = argparse.ArgumentParser(description="the CI fuzz job (see make ci-fuzz)")
    ap.add_argument("--targets", default="")
    ap.add_argument("--engines", default="both", help="libfuzzer|afl|both|none")
    ap.add_argument("--seconds", default="30")
    ap.add_argument("--jobs", default="", help="cores the runs share (default: all)")
    ap.add_argument("--out", default=str(ROOT / "out/ci-fuzz"))
    ap.add_argument("--bin-dir", default=str(ROOT / "build/fuzz"))
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--regressions", default=str(ROOT / "corpus/regressions"))
    ap.add_argument("--pcaps", default=str(ROOT / "corpus/pcaps"))
    ap.add_argument("--tuplecheck", default=str(ROOT / "build/tuplecheck"))
    ap.add_argument("--no-replay", action="store_true")
    ap.add_argument("--writeback", action="store_true")
    ap.add_argument("--timeout", default="10", help="seconds per input before it is a timeout")
    ap.add_argument("--max-len", default="", help="NAME=N,... (from mk/fuzz.mk)")
    ap.add_argument("--minimize-seconds", default="20")
    ap.add_argument("--progress", type=float, default=5.0)
    ap.add_argument("--grace", type=int, default=45)
    ap.add_argument("--setup-error", default="", help="write an error report and exit 2")
    cfg = ap.parse_args(argv)
    lens = {}
    for item in filter(None, re.split(r"[ ,]+", cfg.max_len)):
        name, _, n = item.partition("=")
        if n.isdigit():
            lens[name] = int(n)
    cfg.max_len = lens
    bad = check_settings(cfg)
    if bad and not cfg.setup_error:
        fl.log("ci-fuzz: %s" % bad)
        cfg.setup_error = bad
    problem = out_dir_problem(Path(cfg.out))
    if problem:
        fl.log("ci-fuzz: cannot write the reports to CI_FUZZ_OUT=%s: %s" % (cfg.out, problem))
        code = 2
    else:
        code = run_job(cfg)
    if code and os.environ.get("CI_FUZZ_VIA_MAKE") == "1":
        fl.log("make ci-fuzz: the job exited %d (1 new crash or oracle mismatch, 2 job error); "
               "make reports any failure as 2, scripts/ci_fuzz.sh returns the job's own status" % code)
    return code


def clear_previous(out):
    """Remove what an earlier job left in out (reports, crash folders, work
    and logs; build.log is this job's), so a job that stops early never
    sits next to an earlier verdict or its crashes."""
    for name in ("report.json", "report.junit.xml", "report.sarif"):
        try:
            (out / name).unlink()
        except FileNotFoundError:
            pass
    for sub in ("crashes", "work", "logs"):
        shutil.rmtree(out / sub, ignore_errors=True)


def run_job(cfg):
    started = fl.now_iso()
    t0 = time.time()
    # Absolute: the engines run in their own work folders.
    out = Path(cfg.out).resolve()
    cfg.out = str(out)
    clear_previous(out)
    engines = (["libfuzzer", "afl"] if cfg.engines == "both" else
               [] if cfg.engines == "none" else [e for e in cfg.engines.split(",") if e])
    targets = [t for t in re.split(r"[ ,]+", cfg.targets) if t]
    report = {"schema": "tuplecheck-ci-fuzz/1", "tool": fl.TOOL_NAME, "mode": "ci-fuzz",
              "started": started, "out_dir": fl.rel(out), "fuzz_seconds": cfg.seconds,
              "engines": engines, "targets": targets, "jobs": cfg.jobs,
              "corpus_writeback": bool(cfg.writeback), "runs": [], "crashes": [],
              "unreproducible": [], "replay": {"status": "skipped", "reason": "not run", "scenarios": []},
              "interrupted": "", "setup_error": ""}

    def finish(code, reason):
        report["duration"] = round(time.time() - t0, 1)
        report["exit_code"] = code
        report["reason"] = reason
        report["interrupted"] = JOB.interrupted
        fl.write_reports(out, report)
        print("")
        print(fl.summary_table(report), flush=True)
        return code

    bad = [e for e in engines if e not in ("libfuzzer", "afl")]
    if cfg.engines == "none":
        targets = []      # replay only
    elif not targets and not cfg.setup_error:
        bad = bad or ["(no fuzz targets)"]
    if cfg.setup_error or bad:
        reason = cfg.setup_error or ("no fuzz targets" if bad == ["(no fuzz targets)"]
                                     else "unknown engine %s" % ",".join(bad))
        report["setup_error"] = reason
        return finish(2, reason)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, JOB.on_signal)

    print("[ci-fuzz] %d target%s x %d engine%s, %d s each, %d core%s; reports in %s/" % (
        len(targets), "s" if len(targets) > 1 else "", len(engines), "s" if len(engines) > 1 else "",
        cfg.seconds, cfg.jobs, "s" if cfg.jobs > 1 else "", fl.rel(out)), flush=True)

    report["replay"] = replay(cfg)
    rp = report["replay"]
    if rp["status"] != "skipped":
        ok = sum(1 for s in rp["scenarios"] if s["status"] == "pass")
        print("[ci-fuzz] replay: %d/%d scenarios match their expected output" % (ok, len(rp["scenarios"])),
              flush=True)
    else:
        print("[ci-fuzz] replay: skipped (%s)" % rp["reason"], flush=True)

    statsd = StatsdListener()
    cfg.statsd_port = statsd.port
    runs = []
    for t in targets:
        for e in engines:
            runs.append(LibFuzzerRun(cfg, t) if e == "libfuzzer" else AflRun(cfg, t))
    schedule(cfg, runs, statsd)

    # AFL++'s queue through the repro driver: the memory errors its
    # uninstrumented build ran past (AflRun.replay_queue), within a budget.
    for r in runs:
        if r.engine == "afl" and r.status in ("ok", "interrupted") and JOB.signals < 3:
            n, bad, left = r.replay_queue(time.time() + max(30, cfg.seconds), lambda: JOB.signals >= 3)
            print("[ci-fuzz] %s/afl: %d new queue entr%s replayed through the repro driver, %d fail%s" % (
                r.target, n, "y" if n == 1 else "ies", bad,
                "; %d not replayed (time budget or interrupt)" % left if left else ""), flush=True)

    if cfg.writeback and not JOB.interrupted:
        for r in runs:
            if r.status == "ok":
                added, rc = r.writeback()
                refused = r.result.get("writeback_refused_crashing", 0)
                print("[ci-fuzz] corpus write-back %s/%s: %d new input%s in %s/%s%s" % (
                    r.target, r.engine, added, "" if added == 1 else "s",
                    fl.rel(Path(cfg.corpus) / r.target),
                    " (%d refused: the repro driver fails on them)" % refused if refused else "",
                    r.result.get("writeback_error", "")), flush=True)

    cands = []
    for r in runs:
        if r.status in ("ok", "interrupted"):
            cands += r.candidates()
    if cands and JOB.signals < 3:
        print("[ci-fuzz] triage: %d saved input%s" % (len(cands), "s" if len(cands) > 1 else ""), flush=True)
    crashes, unrepro, skipped = fl.triage(cands, cfg.bin_dir, out, cfg.regressions,
                                          minimize_seconds=cfg.minimize_seconds,
                                          repro_timeout=cfg.timeout + 15,
                                          stop=lambda: JOB.signals >= 3, fast=lambda: JOB.signals >= 2)
    report["runs"] = [r.summary() for r in runs]
    report["crashes"] = crashes
    report["unreproducible"] = unrepro
    report["not_triaged"] = skipped

    nnew = sum(1 for c in crashes if not c["known"])
    errors = [r for r in runs if r.status == "error"]
    # An interrupted job never reads green: what it found is reported as
    # usual (exit 1), and without a finding it is a job error (exit 2).
    cut = ""
    if JOB.interrupted:
        short = sum(1 for r in runs if r.status == "interrupted")
        unstarted = sum(1 for r in runs if r.status == "skipped")
        cut = "interrupted by %s: %d run%s cut short, %d not started" % (
            JOB.interrupted, short, "" if short == 1 else "s", unstarted)
    note = " (%s)" % cut if cut else ""
    if nnew:
        return finish(1, "%d new unique crash%s" % (nnew, "es" if nnew > 1 else "") + note)
    if rp["status"] == "fail":
        return finish(1, "replayed scenarios differ from their expected output" + note)
    if rp["status"] == "error" and rp.get("scenarios"):
        return finish(1, "replay of the scenario captures failed" + note)
    if cut:
        return finish(2, cut)
    if not runs and rp["status"] == "skipped" and not cfg.no_replay:
        return finish(2, "nothing to do: no runs and no scenarios")
    if errors and len(errors) == len(runs):
        return finish(2, "no run could start")
    if errors:
        return finish(2, "%d run%s could not start" % (len(errors), "s" if len(errors) > 1 else ""))
    if rp["status"] == "error":
        return finish(2, rp.get("reason", "replay could not run"))
    known = len(crashes)
    return finish(0, "no new crash" + (" (%d known)" % known if known else ""))


if __name__ == "__main__":
    sys.exit(main())
