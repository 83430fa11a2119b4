#!/usr/bin/python3
"""fuzzlib.py - crash triage shared by the CI fuzz job, triage.sh and bisect.sh.

One implementation of the steps every crash goes through, whoever found it
(libFuzzer, AFL++, ClusterFuzzLite, a user's report):

  reproduce   run the input through the gcc ASan+UBSan repro driver
              (build/fuzz/repro/NAME), falling back to the clang libFuzzer
              build for what only it sees (its own timeout and OOM checks);
  identify    parse the sanitizer report into ClusterFuzz's crash identity:
              crash type ("Heap-buffer-overflow READ 1") plus crash state
              (the top three frames inside the project, after dropping
              sanitizer, libc, libFuzzer and driver frames); the signature
              is a slug of both with a short hash, safe as a file name;
  deduplicate one entry per (target, signature), the smallest input kept:
              the same stack reached through two targets is two findings,
              each known or new by its own target's regressions;
  minimize    libFuzzer -minimize_crash, or afl-tmin when only the AFL++
              build crashes; the result must keep the signature, else the
              original is kept and the report says so;
  classify    a signature already named by a file in corpus/regressions/NAME/
              is known, anything else is new;
  report      out/.../crashes/TARGET/SIGNATURE/{input.bin,minimized.bin,
              report.txt,info.json} and the job reports: report.json, report.junit.xml
              (one test case per target and engine), report.sarif (SARIF
              2.1.0, one result per unique crash at its top frame).

Only the standard library is used, and /usr/bin/python3 is the interpreter
(see notes/PREAMBLE.md). Command line, for scripts/triage.sh and
scripts/bisect.sh: `fuzzlib.py signature ...`, `fuzzlib.py triage ...`, see
main() at the end.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL_NAME = "tuplecheck-ci-fuzz"
MAX_STATE_FRAMES = 3          # ClusterFuzz MAX_CRASH_STATE_FRAMES
SYMBOLIZER = shutil.which("llvm-symbolizer-14") or shutil.which("llvm-symbolizer") or ""

# Folders whose files are "inside the project" for the crash state.
PROJECT_DIRS = ("targets", "oracle", "harness", "tests/planted")
# Project files that are drivers or failure plumbing, not where a bug lives:
# dropped from the crash state the way ClusterFuzz drops libFuzzer's frames.
DRIVER_FILES = {"harness/repro_main.c", "harness/afl_driver.c", "harness/common.c"}
DRIVER_FUNCS = {"fuzz_check_failed", "main"}

# Sanitizer settings for triage runs: symbolized, a stack on abort() (so a
# FUZZ_CHECK failure and the repro driver's timeout carry a stack), leaks on.
ASAN_TRIAGE = ("symbolize=1:handle_abort=1:detect_leaks=1:allocator_may_return_null=1:"
               "abort_on_error=1:print_summary=1:dedup_token_length=3:"
               "detect_stack_use_after_return=0")
UBSAN_TRIAGE = "print_stacktrace=1:halt_on_error=1:symbolize=1:print_summary=1"


def log(msg):
    """Progress and diagnostics go to stderr; stdout is the summary table."""
    print(msg, file=sys.stderr, flush=True)


def sanitizer_env(base=None, asan=ASAN_TRIAGE, ubsan=UBSAN_TRIAGE):
    """Environment for a symbolized sanitizer run (copy of base or os.environ)."""
    env = dict(os.environ if base is None else base)
    env["ASAN_OPTIONS"] = asan
    env["UBSAN_OPTIONS"] = ubsan
    env["LSAN_OPTIONS"] = "symbolize=1:print_suppressions=0"
    if SYMBOLIZER:
        env["ASAN_SYMBOLIZER_PATH"] = SYMBOLIZER
        env["UBSAN_SYMBOLIZER_PATH"] = SYMBOLIZER
    return env


def sha1_file(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_name(text, limit=80):
    """A name CI artifact uploaders accept: [A-Za-z0-9._-], no ':' or ','."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return s[:limit] or "x"


# =============================================================================
# Parsing sanitizer reports
# =============================================================================

FRAME_SRC = re.compile(r"^\s*#(\d+)\s+0x[0-9a-fA-F]+\s+in\s+(.+?)\s+(\S+?):(\d+)(?::\d+)?\s*$")
FRAME_BIN = re.compile(r"^\s*#(\d+)\s+0x[0-9a-fA-F]+\s+(?:in\s+(.+?)\s+)?\(([^()]+)\)(?:\s+\(BuildId: [0-9a-f]+\))?\s*$")
# Searched, not anchored: the repro driver prints "PATH ... " before each
# input and flushes it, so a UBSan report (stderr, same file in triage)
# continues that line: "PATH ... targets/tcp.c:41:16: runtime error: ...".
UB_LINE = re.compile(r"(?:^|\s)(\S+?):(\d+):(\d+): runtime error: (.*)$")

# UBSan message -> ClusterFuzz-style crash type (first match wins).
UB_TYPES = [
    (r"signed integer overflow", "Integer-overflow"),
    (r"unsigned integer overflow", "Unsigned-integer-overflow"),
    (r"negation of", "Integer-overflow"),
    (r"out of bounds for type", "Index-out-of-bounds"),
    (r"shift exponent|left shift of|shift of negative", "Invalid-shift"),
    (r"division by zero", "Divide-by-zero"),
    (r"null pointer", "Null-dereference"),
    (r"misaligned address", "Misaligned-address"),
    (r"pointer overflow|applying .*offset to", "Pointer-overflow"),
    (r"not a valid value for type '(_Bool|bool)'", "Invalid-bool-value"),
    (r"not a valid value for type", "Invalid-enum-value"),
    (r"is outside the range of representable values", "Float-cast-overflow"),
    (r"variable length array bound", "Non-positive-vla-bound-value"),
    (r"function pointer", "Incorrect-function-pointer-type"),
    (r"object size|address .* with insufficient space", "Object-size"),
    (r"implicit conversion", "Implicit-conversion"),
    (r"reached (an )?unreachable|__builtin_unreachable", "Unreachable code"),
    (r"execution reached the end of a value-returning function", "Missing-return"),
]


class Frame:
    """One stack frame: function, source file (repo-relative when inside the
    project, else as printed) and line (0 when unknown)."""

    def __init__(self, func, file="", line=0):
        self.func = normalize_func(func)
        self.file = file
        self.line = int(line or 0)

    def project_file(self):
        """The repo-relative path when the frame is inside targets/, oracle/
        or harness/ (of this tree or any other checkout: bisect worktrees,
        ClusterFuzzLite's $SRC), else None."""
        m = re.search(r"(?:^|/)((?:%s)/[^/]+)$" % "|".join(PROJECT_DIRS), self.file)
        return m.group(1) if m else None

    def in_project(self):
        pf = self.project_file()
        return pf is not None and pf not in DRIVER_FILES and self.func not in DRIVER_FUNCS

    def as_dict(self):
        return {"function": self.func, "file": self.project_file() or self.file, "line": self.line}

    def __repr__(self):
        return "%s %s:%d" % (self.func, self.file, self.line)


def normalize_func(func):
    """ClusterFuzz-style: drop argument lists, [abi:...] tags and clones."""
    f = (func or "").strip()
    f = re.sub(r"\[abi:[^\]]*\]", "", f)
    if "(" in f:
        f = f[: f.index("(")]
    f = re.sub(r"\.(constprop|isra|part|cold|lto_priv)\.\d+$", "", f)
    f = re.sub(r"\.(constprop|isra|part|cold|lto_priv)(\.\d+)*", "", f)
    return f.strip() or "<unknown>"


def parse_stack(lines, start):
    """Frames of the first stack at or after lines[start]. Returns (frames, next_index)."""
    frames = []
    i = start
    # Skip to the first frame line.
    while i < len(lines) and not re.match(r"^\s*#0\s", lines[i]):
        i += 1
    while i < len(lines):
        m = FRAME_SRC.match(lines[i])
        if m:
            frames.append(Frame(m.group(2), m.group(3), m.group(4)))
            i += 1
            continue
        m = FRAME_BIN.match(lines[i])
        if m:
            frames.append(Frame(m.group(2) or "<unknown>", m.group(3), 0))
            i += 1
            continue
        break
    return frames, i


class Crash:
    """The identity of one sanitizer report.

    kind is crash|timeout|leak|oom (what CI counts); crash_type and state are
    ClusterFuzz's crash type and crash state; frames is the whole primary
    stack; summary the SUMMARY line (or the first error line).
    """

    def __init__(self, kind, crash_type, frames, text, summary=""):
        self.kind = kind
        self.crash_type = crash_type
        self.frames = frames
        self.text = text
        self.summary = summary
        # An assertion's condition is part of its identity (ClusterFuzz puts
        # the message first in the crash state): two different FUZZ_CHECKs
        # failing in one function are two bugs.
        self.assertion = ""
        if crash_type == "ASSERT":
            m = re.search(r"FUZZ_CHECK failed: (.*)|Assertion [`'](.*)' failed", text)
            if m:
                self.assertion = (m.group(1) or m.group(2) or "").strip()[:80]
        project = [f for f in frames if f.in_project()]
        if not project:   # a crash wholly outside our code: keep its top frames
            project = [f for f in frames if not ignorable_frame(f)]
        self.state = project[:MAX_STATE_FRAMES]

    def state_lines(self):
        return ([self.assertion] if self.assertion else []) + [f.func for f in self.state]

    def state_text(self):
        return "\n".join(self.state_lines())

    def signature(self):
        """Stable identity, safe as a file name: type, top function, hash."""
        h = hashlib.sha1((self.crash_type + "\n" + self.state_text()).encode()).hexdigest()[:10]
        top = self.state[0].func if self.state else "nostack"
        return safe_name("%s-%s" % (self.crash_type.lower(), top), 60) + "-" + h

    def sig_hash(self):
        return self.signature().rsplit("-", 1)[1]

    def location(self):
        """(file, line) of the first crash-state frame inside the project, else None."""
        for f in self.state:
            pf = f.project_file()
            if pf and f.line:
                return pf, f.line
        for f in self.frames:
            if f.in_project() and f.line:
                return f.project_file(), f.line
        return None

    def as_dict(self):
        loc = self.location()
        return {
            "signature": self.signature(),
            "kind": self.kind,
            "crash_type": self.crash_type,
            "crash_state": self.state_lines(),
            "frames": [f.as_dict() for f in self.state],
            "location": {"file": loc[0], "line": loc[1]} if loc else None,
            "summary": self.summary,
        }


IGNORE_FUNC = re.compile(
    r"^(__asan|__ubsan|__lsan|__sanitizer|__interceptor_|__libc_|__GI_|_start$|"
    r"fuzzer::|LLVMFuzzerRunDriver|malloc$|calloc$|realloc$|free$|operator new|"
    r"operator delete|abort$|raise$|__assert|gsignal|__pthread_kill|pthread_kill|"
    r"__afl_|afl_|<unknown>$|main$|fuzz_check_failed$)")


def ignorable_frame(f):
    if IGNORE_FUNC.match(f.func):
        return True
    return bool(re.search(r"(libc\.so|libasan|libubsan|compiler-rt|/sanitizer_common/|"
                          r"libFuzzer|/fuzzer/Fuzzer|ld-linux)", f.file))


def parse_report(text, hint_kind=None):
    """Parse the output of one sanitizer or libFuzzer run; None when it shows
    no failure. hint_kind ('timeout', 'leak', ...) breaks ties for runs killed
    from outside."""
    lines = text.splitlines()
    summary = next((l.strip() for l in lines if l.startswith("SUMMARY: ")), "")

    for i, line in enumerate(lines):
        # libFuzzer's own findings first: they come with a stack of their own.
        m = re.search(r"ERROR: libFuzzer: (timeout|out-of-memory|deadly signal|fuzz target exited|"
                      r"fuzz target overwrites its const input)", line)
        if m:
            what = m.group(1)
            frames, _ = parse_stack(lines, i + 1)
            if what == "timeout":
                return Crash("timeout", "Timeout", frames, text, summary or line.strip())
            if what == "out-of-memory":
                return Crash("oom", "Out-of-memory", frames, text, summary or line.strip())
            if what == "deadly signal":
                return Crash("crash", abort_type(text), frames, text, summary or line.strip())
            return Crash("crash", "Fuzz-target-" + what.split()[-1], frames, text, line.strip())

        if "repro: TIMEOUT in" in line:
            frames, _ = parse_stack(lines, i + 1)
            return Crash("timeout", "Timeout", frames, text, line.strip())

        m = re.search(r"ERROR: LeakSanitizer: detected memory leaks", line)
        if m:
            return parse_leak(lines, i, text, summary)

        m = re.search(r"ERROR: AddressSanitizer: ([A-Za-z-]+(?: [a-z-]+)*?)(?: on (?:unknown )?address| on |:|$)", line)
        if m:
            raw = m.group(1).strip()
            frames, _ = parse_stack(lines, i + 1)
            return Crash("crash", asan_type(raw, lines, i), frames, text, summary or line.strip())

        m = UB_LINE.search(line.strip())
        if m:
            msg = m.group(4)
            ctype = "Undefined-behavior"
            for pat, name in UB_TYPES:
                if re.search(pat, msg):
                    ctype = name
                    break
            frames, _ = parse_stack(lines, i + 1)
            if not frames:       # UBSan without print_stacktrace: the line is the frame
                frames = [Frame("<unknown>", m.group(1), m.group(2))]
            return Crash("crash", ctype, frames, text, summary or line.strip())

    if hint_kind == "timeout":
        return Crash("timeout", "Timeout", [], text, "no report (killed after the time limit)")
    return None


def asan_type(raw, lines, i):
    """ClusterFuzz-style type from the ASan ERROR line and the access line after it."""
    low = raw.lower()
    if low.startswith("abrt"):
        return abort_type("\n".join(lines))
    if low.startswith("segv"):
        tail = "\n".join(lines[i:i + 6])
        access = re.search(r"caused by a (READ|WRITE) memory access", tail)
        addr = re.search(r"on unknown address (0x[0-9a-fA-F]+)", lines[i])
        rw = (" " + access.group(1)) if access else ""
        if addr and int(addr.group(1), 16) < 4096:
            return "Null-dereference" + rw
        return "Segv on unknown address" + rw
    words = raw.split()
    base = words[0][:1].upper() + words[0][1:]
    if low.startswith("attempting double-free"):
        base = "Heap-double-free"
    elif low.startswith("attempting free on address which was not malloc"):
        base = "Bad-free"
    elif low.startswith("stack-overflow"):
        return "Stack-overflow"
    for nxt in lines[i + 1:i + 3]:
        m = re.match(r"^(READ|WRITE) of size (\d+)", nxt.strip())
        if m:
            return "%s %s %s" % (base, m.group(1), m.group(2))
    return base


def abort_type(text):
    if "FUZZ_CHECK failed" in text or re.search(r"Assertion .* failed", text):
        return "ASSERT"
    if "repro: TIMEOUT in" in text:
        return "Timeout"
    return "Abrt"


def parse_leak(lines, i, text, summary):
    """First direct leak wins (an indirect leak is caused by a direct one)."""
    best = None
    j = i
    while j < len(lines):
        m = re.match(r"^(Direct|Indirect) leak of", lines[j].strip())
        if m:
            frames, nj = parse_stack(lines, j + 1)
            if m.group(1) == "Direct":
                return Crash("leak", "Direct-leak", frames, text, summary)
            if best is None:
                best = frames
            j = nj
            continue
        j += 1
    return Crash("leak", "Indirect-leak", best or [], text, summary)


# =============================================================================
# Running the builds
# =============================================================================

class Bins:
    """The three builds of one target (any may be missing).

    bin_dir is a folder with libfuzzer/, afl/ and repro/ inside (mk/fuzz.mk's
    build/fuzz), or several separated by ':', searched in order for the
    first that has a build of target (build/fuzz-planted:build/fuzz)."""

    def __init__(self, target, bin_dir):
        dirs = [Path(x).resolve() for x in str(bin_dir).split(":") if x]
        d = dirs[0]
        for cand in dirs:
            if any((cand / sub / target).is_file() for sub in ("repro", "libfuzzer", "afl")):
                d = cand
                break
        self.dir = d
        self.target = target
        self.libfuzzer = d / "libfuzzer" / target
        self.afl = d / "afl" / target
        self.afl_cmplog = d / "afl" / (target + ".cmplog")
        self.repro = d / "repro" / target

    @staticmethod
    def ok(p):
        return p.is_file() and os.access(p, os.X_OK)


def run_capture(cmd, timeout, env=None, stdin=None, cwd=None):
    """Run cmd in its own process group, kill the group on timeout.
    Returns (returncode or None on timeout, combined output)."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             cwd=cwd, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(p)
            rc = None
        out.seek(0)
        return rc, out.read().decode("utf-8", "replace")


def reap_orphans(binaries):
    """Kill the processes of the given executables that init has adopted
    (parent pid 1). AFL++'s fork server puts the target in a session of its
    own, so killing afl-fuzz's process group misses it; when afl-fuzz exits
    while a persistent-mode child is stopped between two inputs (CMPLOG's
    above all), that child is left stopped for ever. A live one always has
    its fork server as parent, so only the leftovers match. Linux /proc;
    elsewhere nothing is found. Returns how many were killed."""
    want = set()
    for b in binaries:
        if b:
            want.add(os.path.realpath(str(b)))
    killed = 0
    try:
        pids = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return 0
    for d in pids:
        try:
            exe = os.readlink("/proc/%s/exe" % d)
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        if exe.endswith(" (deleted)"):
            exe = exe[: -len(" (deleted)")]
        fields = stat.rsplit(")", 1)[-1].split()
        if exe in want and len(fields) > 1 and fields[1] == "1":
            try:
                os.kill(int(d), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def kill_group(p, grace=3.0):
    """SIGTERM the process group of p, then SIGKILL what is left."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass


def reproduce(bins, path, timeout=25, hint_kind=None):
    """Run one input; returns (Crash or None, output text, which build saw it).

    The gcc repro driver is the reference (the build `make regress` uses); a
    clean run there is retried on the libFuzzer build, whose -timeout and
    -rss_limit_mb see hangs and memory blow-ups the driver does not."""
    tried = []
    if Bins.ok(bins.repro):
        rc, out = run_capture([str(bins.repro), "-t", str(max(1, timeout - 5)), str(path)],
                              timeout + 10, env=sanitizer_env())
        tried.append(("repro", rc, out))
        if rc is None:
            return parse_report(out, "timeout"), out, "repro"
        if rc != 0:
            c = parse_report(out, hint_kind)
            if c:
                return c, out, "repro"
    if Bins.ok(bins.libfuzzer):
        lf_timeout = max(1, timeout - 5)
        rc, out = run_capture([str(bins.libfuzzer), "-timeout=%d" % lf_timeout, "-rss_limit_mb=2560",
                               "-runs=1", str(path)], timeout + 10,
                              env=sanitizer_env(asan=ASAN_TRIAGE.replace("abort_on_error=1:", "")))
        tried.append(("libfuzzer", rc, out))
        if rc is None:
            return parse_report(out, "timeout"), out, "libfuzzer"
        if rc != 0:
            c = parse_report(out, hint_kind)
            if c:
                return c, out, "libfuzzer"
    text = "\n".join("== %s (exit %s) ==\n%s" % (w, rc, o) for w, rc, o in tried)
    return None, text, None


# Sanitizer settings for screening many inputs: only "does it fail" matters
# (triage then reproduces each failing input alone, symbolized).
ASAN_SCREEN = ("symbolize=0:handle_abort=1:detect_leaks=1:allocator_may_return_null=1:"
               "abort_on_error=1:detect_stack_use_after_return=0")
UBSAN_SCREEN = "print_stacktrace=0:halt_on_error=1:symbolize=0"


def screen(bins, files, timeout=10, deadline=None, batch=200, stop=lambda: False):
    """Run files through the repro driver, many per process, and name the
    ones it fails on (sanitizer report, FUZZ_CHECK, timeout, leak).

    Returns (failing, unchecked): failing is a list of (path, kind) with
    kind crash|timeout|leak; unchecked lists the files not run because the
    deadline (a time.time() value) passed, stop() said so, or a file could
    not be read. The driver runs its arguments in order and prints
    "PATH ... ok (N bytes)" after each, so the first file without that line
    is the one it died on; the run restarts after it. A failure after every
    file ran (LeakSanitizer at exit) is narrowed down by halving the batch.
    Without a repro driver every file is unchecked."""
    files = [str(f) for f in files]
    if not Bins.ok(bins.repro):
        return [], files
    failing, unchecked = [], []
    pending = [files[i:i + batch] for i in range(0, len(files), batch)]
    env = sanitizer_env(asan=ASAN_SCREEN, ubsan=UBSAN_SCREEN)
    while pending:
        chunk = pending.pop(0)
        if not chunk:
            continue
        left = None if deadline is None else deadline - time.time()
        if stop() or (left is not None and left < 1):
            unchecked += chunk + [f for c in pending for f in c]
            break
        limit = (timeout + 5) * len(chunk) + 10
        rc, out = run_capture([str(bins.repro), "-t", str(timeout)] + chunk,
                              limit if left is None else min(limit, left), env=env)
        if rc == 0:
            continue
        ran, pos = 0, 0
        for f in chunk:
            at = out.find("%s ... ok (" % f, pos)
            if at < 0:
                break
            ran, pos = ran + 1, at + len(f)
        if rc is None:                       # out of time in the middle of the batch
            unchecked += chunk[ran:] + [f for c in pending for f in c]
            break
        if ran < len(chunk):
            f = chunk[ran]
            if rc == 2 and ("repro: %s:" % f) in out:    # unreadable (vanished): not a crash
                unchecked.append(f)
            else:
                failing.append((f, "timeout" if "repro: TIMEOUT in" in out else "crash"))
            pending.insert(0, chunk[ran + 1:])
        elif len(chunk) == 1:
            failing.append((chunk[0], "leak" if "LeakSanitizer" in out else "crash"))
        else:
            half = len(chunk) // 2
            pending[0:0] = [chunk[:half], chunk[half:]]
    return failing, unchecked


# Runs of libFuzzer -minimize_crash per crash, while the time budget lasts.
LF_MINIMIZE_TRIES = 3


def minimize(bins, crash, src, dst, seconds, stop=lambda: False):
    """Write a smaller input with the same signature to dst.

    Returns (method, note). Timeouts and OOMs are not minimized (each step
    would cost the whole time limit)."""
    shutil.copyfile(src, dst)
    if crash.kind in ("timeout", "oom") or seconds <= 0 or stop():
        return "none", "not minimized (%s)" % crash.kind if crash.kind in ("timeout", "oom") else "not minimized"
    sig = crash.signature()
    attempts = []
    if Bins.ok(bins.libfuzzer):
        # libFuzzer's -minimize_crash keeps whatever crash it meets first, so
        # from an input that reaches two bugs it may hand back the other one
        # (about 1 run in 20 for the planted target, whose triggers differ in
        # two bytes that its comparison tracing offers it): such a result is
        # not kept, and libFuzzer tries again within the same time budget.
        attempts += ["libfuzzer"] * LF_MINIMIZE_TRIES
    if Bins.ok(bins.afl) and shutil.which("afl-tmin"):
        attempts.append("afl-tmin")
    deadline = time.time() + seconds    # libFuzzer's runs share one budget
    other = 0
    for method in attempts:
        left = int(deadline - time.time()) if method == "libfuzzer" else seconds
        if stop():
            break
        if method == "libfuzzer" and (other == -1 or left < 1):
            continue                    # found nothing smaller, or out of time
        with tempfile.TemporaryDirectory(prefix="tc-min-") as tmp:
            cand = Path(tmp) / "min.bin"
            if method == "libfuzzer":
                cmd = [str(bins.libfuzzer), "-minimize_crash=1", "-runs=100000",
                       "-max_total_time=%d" % left, "-timeout=10",
                       "-exact_artifact_path=%s" % cand, str(src)]
                run_capture(cmd, left + 30,
                            env=sanitizer_env(asan="symbolize=0:detect_leaks=%d:allocator_may_return_null=1"
                                              % (1 if crash.kind == "leak" else 0)), cwd=tmp)
            else:
                env = dict(os.environ, AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1",
                           AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1")
                run_capture(["afl-tmin", "-i", str(src), "-o", str(cand), "-t", "2000",
                             "--", str(bins.afl)], left + 30, env=env, cwd=tmp)
            if not cand.is_file() or cand.stat().st_size >= Path(dst).stat().st_size:
                if method == "libfuzzer":
                    other = -1
                continue
            again, _, _ = reproduce(bins, cand)
            if again is not None and again.signature() == sig:
                shutil.copyfile(cand, dst)
                note = "minimized with %s" % method
                if method == "libfuzzer" and other > 0:
                    note += " (after %d result%s with another crash, not kept)" % (
                        other, "" if other == 1 else "s")
                return method, note
            if method == "libfuzzer":
                other += 1
    if Bins.ok(bins.repro) and not stop():
        if ddmin_repro(bins, sig, dst, seconds, stop):
            return "ddmin", "minimized by chunk removal with the repro driver"
    return "none", "no smaller input kept the signature"


def ddmin_repro(bins, sig, path, seconds, stop):
    """Fallback minimizer when no engine build is at hand (a triage of an
    OSS-Fuzz testcase with only the repro driver built): delete chunks of
    halving size while the signature holds (Zeller's ddmin, complement
    steps only), within the time budget. Rewrites path; True when smaller."""
    data = Path(path).read_bytes()
    orig = len(data)
    deadline = time.time() + seconds
    chunk = max(1, len(data) // 2)
    with tempfile.TemporaryDirectory(prefix="tc-ddmin-") as tmp:
        cand = Path(tmp) / "cand"
        while chunk >= 1 and time.time() < deadline and not stop():
            i, shrunk = 0, False
            while i < len(data) and time.time() < deadline and not stop():
                trial = data[:i] + data[i + chunk:]
                cand.write_bytes(trial)
                c, _, _ = reproduce(bins, cand, timeout=10)
                if c is not None and c.signature() == sig:
                    data, shrunk = trial, True
                else:
                    i += chunk
            if not shrunk:
                chunk //= 2
    if len(data) < orig:
        Path(path).write_bytes(data)
        return True
    return False


# =============================================================================
# Known crashes (corpus/regressions/NAME/)
# =============================================================================

SIG_IN_NAME = re.compile(r"-([0-9a-f]{10})(?:\.[A-Za-z0-9]+)?$")


def known_signatures(regress_dir, target):
    """Signature hashes named by the regression inputs of target.

    A promoted input is named SIGNATURE.EXT, and the signature ends in its
    10-hex-digit hash, so the crash a fixed bug used to cause is recognised
    even though the input no longer crashes."""
    d = Path(regress_dir) / target
    found = {}
    if d.is_dir():
        for p in sorted(d.rglob("*")):
            if p.is_file():
                m = SIG_IN_NAME.search(p.name)
                if m:
                    found[m.group(1)] = str(p.relative_to(ROOT) if p.is_absolute() and ROOT in p.parents else p)
    return found


def regression_name(target, signature):
    ext = "pcap" if target == "fuzz_pcap" else "bin"
    return "%s.%s" % (signature, ext)


def promote(crash_entry, regress_dir):
    """Copy a triaged crash's minimized input into corpus/regressions/NAME/.
    Returns the path written, or None when one with that signature exists."""
    d = Path(regress_dir) / crash_entry["target"]
    d.mkdir(parents=True, exist_ok=True)
    if crash_entry["signature"].rsplit("-", 1)[1] in known_signatures(regress_dir, crash_entry["target"]):
        return None
    dst = d / regression_name(crash_entry["target"], crash_entry["signature"])
    shutil.copyfile(crash_entry["_minimized_path"], dst)
    return dst


# =============================================================================
# Triage: candidates -> unique crashes on disk
# =============================================================================

class Candidate:
    """One file some engine saved: target, engine, kind hint, path."""

    def __init__(self, target, engine, kind, path):
        self.target = target
        self.engine = engine
        self.kind = kind
        self.path = Path(path)


def kind_from_name(name):
    n = name.lower()
    if n.startswith("leak-"):
        return "leak"
    if n.startswith("timeout-") or "hang" in n:
        return "timeout"
    if n.startswith("oom-"):
        return "oom"
    return "crash"


def triage(cands, bin_dir, out_dir, regress_dir, minimize_seconds=15, max_per_target=100,
           stop=lambda: False, fast=lambda: False, bins_for=None, max_timeouts=5, repro_timeout=25):
    """Reproduce, deduplicate, minimize and store every candidate.

    Returns (crashes, unreproducible, skipped): crashes is a list of dicts
    (see Crash.as_dict plus target, engines, known, count, paths, sizes),
    sorted new-first; unreproducible lists candidates no build crashes on;
    skipped those beyond the per-target caps (max_per_target inputs,
    max_timeouts timeouts), which are not reproduced at all.
    Groups are keyed by (target, signature): one bug reached through two
    targets is reported under each, so each target's run fails on its own
    and known-ness comes from that target's regressions folder, whatever
    other targets ran. out_dir/crashes/TARGET/SIGNATURE/ receives
    input.bin, minimized.bin, report.txt and info.json (whose "target"
    scripts/bisect.sh reads). stop() aborts the loop (reports are still
    written for what was done); fast() skips minimization (second Ctrl-C).
    """
    out_dir = Path(out_dir)
    crash_root = out_dir / "crashes"
    crash_root.mkdir(parents=True, exist_ok=True)
    bins_for = bins_for or (lambda t: Bins(t, bin_dir))
    groups = {}        # (target, signature) -> dict
    unrepro = []
    skipped = []
    seen = set()
    per_target = {}
    # Smallest first: the kept input of a group is then the smallest one.
    cands = sorted(cands, key=lambda c: (c.target, c.path.stat().st_size if c.path.exists() else 0))
    for c in cands:
        if stop():
            break
        if not c.path.is_file():
            continue
        digest = sha1_file(c.path)
        key = (c.target, digest)
        if key in seen:
            for g in groups.values():
                if g["target"] == c.target and digest in g["_digests"]:
                    g["count"] += 1
                    if c.engine not in g["engines"]:
                        g["engines"].append(c.engine)
            continue
        seen.add(key)
        # Caps: a run that saves hundreds of files saves the same few bugs;
        # a timeout costs its whole time limit to reproduce.
        cap_key = (c.target, c.kind == "timeout")
        per_target[cap_key] = per_target.get(cap_key, 0) + 1
        if per_target[cap_key] > (max_timeouts if c.kind == "timeout" else max_per_target):
            skipped.append({"target": c.target, "engine": c.engine, "kind": c.kind, "input": rel(c.path)})
            continue
        bins = bins_for(c.target)
        crash, text, by = reproduce(bins, c.path, timeout=repro_timeout,
                                    hint_kind=c.kind if c.kind == "timeout" else None)
        if crash is None:
            tail = [l for l in text.splitlines() if l.strip()][-3:]
            unrepro.append({"target": c.target, "engine": c.engine, "kind": c.kind,
                            "input": rel(c.path), "sha1": digest, "output": "\n".join(tail)[-600:]})
            continue
        sig = crash.signature()
        g = groups.get((c.target, sig))
        if g is None:
            g = crash.as_dict()
            g.update({"target": c.target, "engines": [c.engine], "count": 1,
                      "reproduced_by": by, "_crash": crash, "_src": c.path,
                      "_digests": {digest}, "original_name": c.path.name})
            groups[(c.target, sig)] = g
        else:
            g["count"] += 1
            g["_digests"].add(digest)
            if c.engine not in g["engines"]:
                g["engines"].append(c.engine)

    known_cache = {}
    results = []
    for (target, sig), g in sorted(groups.items()):
        if target not in known_cache:
            known_cache[target] = known_signatures(regress_dir, target)
        known = known_cache[target]
        crash = g.pop("_crash")
        src = g.pop("_src")
        g.pop("_digests")
        d = crash_root / target / sig
        d.mkdir(parents=True, exist_ok=True)
        inp = d / "input.bin"
        shutil.copyfile(src, inp)
        mini = d / "minimized.bin"
        bins = bins_for(target)
        if stop() or fast():
            shutil.copyfile(src, mini)
            method, note = "none", "not minimized (job interrupted)"
        else:
            log("triage: minimizing %s (%s, %d bytes)" % (sig, target, inp.stat().st_size))
            method, note = minimize(bins, crash, inp, mini, minimize_seconds, stop)
        # The stored report is the one for the minimized input.
        final, text, by = reproduce(bins, mini)
        if final is None or final.signature() != sig:
            shutil.copyfile(inp, mini)
            final, text, by = reproduce(bins, mini)
            note += "; minimized input lost the crash, original kept"
        (d / "report.txt").write_text(text if final is None else final.text)
        hsh = sig.rsplit("-", 1)[1]
        g.update({
            "known": hsh in known,
            "known_as": known.get(hsh),
            "reproduced_by": by or g["reproduced_by"],
            "input": rel(inp),
            "minimized": rel(mini),
            "report": rel(d / "report.txt"),
            "size": inp.stat().st_size,
            "minimized_size": mini.stat().st_size,
            "minimize": note,
        })
        info = dict(g)
        (d / "info.json").write_text(json.dumps(info, indent=2) + "\n")
        g["_minimized_path"] = mini
        results.append(g)
    results.sort(key=lambda g: (g["known"], g["target"], g["signature"]))
    return results, unrepro, skipped


# =============================================================================
# Reports
# =============================================================================

SARIF_HELP = {   # CWE pages for the types CIFuzz's sarif_utils.py also lists
    "heap-buffer-overflow": "https://cwe.mitre.org/data/definitions/122.html",
    "stack-buffer-overflow": "https://cwe.mitre.org/data/definitions/121.html",
    "global-buffer-overflow": "https://cwe.mitre.org/data/definitions/788.html",
    "heap-use-after-free": "https://cwe.mitre.org/data/definitions/416.html",
    "stack-use-after-return": "https://cwe.mitre.org/data/definitions/562.html",
    "stack-use-after-scope": "https://cwe.mitre.org/data/definitions/562.html",
    "direct-leak": "https://cwe.mitre.org/data/definitions/401.html",
    "indirect-leak": "https://cwe.mitre.org/data/definitions/401.html",
    "null-dereference": "https://cwe.mitre.org/data/definitions/476.html",
    "integer-overflow": "https://cwe.mitre.org/data/definitions/190.html",
    "index-out-of-bounds": "https://cwe.mitre.org/data/definitions/129.html",
    "timeout": "https://cwe.mitre.org/data/definitions/835.html",
    "out-of-memory": "https://cwe.mitre.org/data/definitions/400.html",
    "assert": "https://cwe.mitre.org/data/definitions/617.html",
}


def rule_id(crash_type):
    """SARIF rule for a crash type: its first word, lower case ("heap-buffer-overflow")."""
    return safe_name(crash_type.split()[0].lower())


def rel(path):
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def public_crash(g):
    return {k: v for k, v in g.items() if not k.startswith("_")}


def write_json(path, report):
    Path(path).write_text(json.dumps(report, indent=2) + "\n")


def write_junit(path, report):
    """JUnit XML: one test case per target and engine (failure = new crash
    found by it; error = the run could not start, or was cut short or never
    started because the job was interrupted), plus one per replayed
    scenario. A triage report has one test case per target instead
    (failure = a new crash of that target). A job that could not run (bad
    setting, missing tools, build failure) or ended in a job error that no
    test case shows gets an error test case "ci-fuzz.job" with the reason,
    so a red job never reads as 0 tests, 0 failures, 0 errors. Follows the
    Jenkins/Ant junit schema's shape."""
    suites = ET.Element("testsuites", name=TOOL_NAME)
    groups = [("ci-fuzz", []), ("replay", [])]
    new_by_run = {}
    for c in report["crashes"]:
        if not c["known"]:
            for e in c["engines"]:
                new_by_run.setdefault((c["target"], e), []).append(c)
    interrupted = report.get("interrupted", "")

    def crash_text(news):
        return "\n\n".join("%s\n%s\n%s" % (c["signature"], c["crash_type"], "\n".join(c["crash_state"]))
                           for c in news)

    for r in report["runs"]:
        tc = {"classname": "ci-fuzz.%s" % r["target"], "name": r["engine"],
              "time": "%.3f" % r.get("seconds", 0.0)}
        body = None
        news = new_by_run.get((r["target"], r["engine"]), [])
        if r["status"] == "error":
            body = ("error", {"message": r.get("error", "run failed"), "type": "RunError"},
                    r.get("error", ""))
        elif news:
            body = ("failure", {"message": "%d new unique crash%s%s" % (
                len(news), "es" if len(news) > 1 else "",
                " (run cut short by %s)" % interrupted if r["status"] == "interrupted" else ""),
                "type": "NewCrash"}, crash_text(news))
        elif r["status"] == "interrupted":
            msg = "cut short by %s after %ss of %ss" % (interrupted or "a signal", r.get("seconds", 0),
                                                       report.get("fuzz_seconds", "?"))
            body = ("error", {"message": msg, "type": "Interrupted"}, msg)
        elif r["status"] == "skipped" and interrupted:
            msg = "not started: the job was interrupted by %s" % interrupted
            body = ("error", {"message": msg, "type": "Interrupted"}, msg)
        elif r["status"] == "skipped":
            body = ("skipped", {"message": r.get("error", "skipped")}, None)
        out = ("execs=%s exec_per_sec=%s corpus=%s new_corpus=%s crashes=%s timeouts=%s leaks=%s" %
               (r.get("execs", 0), r.get("exec_per_sec", 0), r.get("corpus_size", 0),
                r.get("new_corpus", 0), r.get("crashes", 0), r.get("timeouts", 0), r.get("leaks", 0)))
        if "queue_replayed" in r:
            out += " queue_replayed=%s queue_failing=%s" % (r["queue_replayed"], r.get("queue_failing", 0))
        groups[0][1].append((tc, body, out))
    if report.get("mode") == "triage":
        for t in report.get("triage_targets", []):
            news = [c for c in report["crashes"] if c["target"] == t and not c["known"]]
            known = sum(1 for c in report["crashes"] if c["target"] == t and c["known"])
            body = None
            if news:
                body = ("failure", {"message": "%d new unique crash%s" % (len(news), "es" if len(news) > 1 else ""),
                                    "type": "NewCrash"}, crash_text(news))
            groups[0][1].append(({"classname": "triage.%s" % t, "name": "crashes",
                                  "time": "%.3f" % report.get("duration", 0.0)}, body,
                                 "new=%d known=%d" % (len(news), known)))
    for s in report.get("replay", {}).get("scenarios", []):
        tc = {"classname": "replay", "name": s["name"], "time": "%.3f" % s.get("seconds", 0.0)}
        body = None
        if s["status"] == "fail":
            body = ("failure", {"message": s.get("message", "output differs"), "type": "OracleMismatch"},
                    s.get("diff", ""))
        elif s["status"] == "error":
            body = ("error", {"message": s.get("message", "error"), "type": "RunError"}, s.get("diff", ""))
        groups[1][1].append((tc, body, None))
    shown = any(body and body[0] == "error" for _, cases in groups for _, body, _ in cases)
    if report.get("setup_error") or (report.get("exit_code") == 2 and not shown):
        kind = "SetupError" if report.get("setup_error") else ("Interrupted" if interrupted else "JobError")
        reason = report.get("reason", "") or "job error"
        groups[0][1].insert(0, ({"classname": "ci-fuzz", "name": "job", "time": "%.3f" % report.get("duration", 0.0)},
                                ("error", {"message": reason, "type": kind}, reason), None))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    stamp = report.get("started", "")
    host = socket.gethostname()
    for name, cases in groups:
        if not cases:
            continue
        counts = {"failure": 0, "error": 0, "skipped": 0}
        t = 0.0
        for tc, body, _ in cases:
            t += float(tc["time"])
            if body:
                counts[body[0]] += 1
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(cases)),
                              failures=str(counts["failure"]), errors=str(counts["error"]),
                              skipped=str(counts["skipped"]), time="%.3f" % t,
                              timestamp=stamp[:19], hostname=host)
        for tc, body, out in cases:
            el = ET.SubElement(suite, "testcase", **tc)
            if body:
                b = ET.SubElement(el, body[0], **body[1])
                if body[2]:
                    b.text = body[2]
            if out:
                ET.SubElement(el, "system-out").text = out
        totals["tests"] += len(cases)
        totals["failures"] += counts["failure"]
        totals["errors"] += counts["error"]
        totals["skipped"] += counts["skipped"]
        totals["time"] += t
    for k in ("tests", "failures", "errors", "skipped"):
        suites.set(k, str(totals[k]))
    suites.set("time", "%.3f" % totals["time"])
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_sarif(path, report):
    """SARIF 2.1.0 in the shape of CIFuzz's sarif_utils.py: one rule per
    crash type, one result per unique crash at the file and line of its
    first crash-state frame; known crashes carry baselineState unchanged."""
    rules, index = [], {}
    results = []
    for c in report["crashes"]:
        rid = rule_id(c["crash_type"])
        if rid not in index:
            index[rid] = len(rules)
            rule = {"id": rid, "name": safe_name(c["crash_type"].split()[0]),
                    "shortDescription": {"text": c["crash_type"].split()[0]},
                    "fullDescription": {"text": "%s found by fuzzing" % c["crash_type"].split()[0]},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["fuzzing", "security"]}}
            if rid in SARIF_HELP:
                rule["helpUri"] = SARIF_HELP[rid]
            rules.append(rule)
        msg = "%s in %s (%s). Crash state: %s. Input: %s (%d bytes minimized)." % (
            c["crash_type"], c["frames"][0]["function"] if c.get("frames") else "?", c["target"],
            " / ".join(c["crash_state"]) or "-", rel(c["minimized"]), c["minimized_size"])
        res = {"ruleId": rid, "ruleIndex": index[rid], "level": "error",
               "message": {"text": msg},
               "partialFingerprints": {"crashSignature/v1": c["signature"]},
               "baselineState": "unchanged" if c["known"] else "new",
               "properties": {"target": c["target"], "engines": c["engines"], "kind": c["kind"],
                              "signature": c["signature"], "known": c["known"]}}
        loc = c.get("location")
        if loc:
            res["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": loc["file"], "uriBaseId": "SRCROOT"},
                "region": {"startLine": int(loc["line"])}}}]
        else:
            res["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": "harness/%s.c" % c["target"], "uriBaseId": "SRCROOT"},
                "region": {"startLine": 1}}}]
        results.append(res)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "informationUri": "https://github.com/tuplecheck",
                                "version": report.get("version", "1"), "rules": rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": ROOT.as_uri() + "/"}},
            "invocations": [invocation(report)],
            "results": results,
        }],
    }
    Path(path).write_text(json.dumps(sarif, indent=2) + "\n")


def invocation(report):
    """SARIF invocation: executionSuccessful only when the job ran to its
    end (not a job error, not interrupted); why not, as a notification."""
    ok = report["exit_code"] != 2 and not report.get("interrupted")
    inv = {"executionSuccessful": ok, "exitCode": report["exit_code"]}
    if not ok:
        inv["exitCodeDescription"] = report.get("reason", "")
        inv["toolExecutionNotifications"] = [{"level": "error", "message": {"text": report.get("reason", "") or
                                                                            "job error"}}]
    return inv


def summary_table(report):
    """The text summary: one row per run, then crashes and the verdict."""
    out = []
    if not report["runs"]:
        return "\n".join(crash_lines(report))
    hdr = "%-16s %-10s %6s %10s %8s %8s %8s %4s  %s" % (
        "target", "engine", "time", "exec/s", "corpus", "+corpus", "crashes", "new", "status")
    out.append(hdr)
    out.append("-" * len(hdr))
    new_by_run = {}
    for c in report["crashes"]:
        for e in c["engines"]:
            if not c["known"]:
                new_by_run[(c["target"], e)] = new_by_run.get((c["target"], e), 0) + 1
    for r in report["runs"]:
        raw = r.get("crashes", 0) + r.get("timeouts", 0) + r.get("leaks", 0) + r.get("queue_failing", 0)
        out.append("%-16s %-10s %5ds %10s %8s %8s %8d %4d  %s" % (
            r["target"], r["engine"], round(r.get("seconds", 0)), r.get("exec_per_sec", 0),
            r.get("corpus_size", 0), r.get("new_corpus", 0), raw,
            new_by_run.get((r["target"], r["engine"]), 0),
            r["status"] if r["status"] != "error" else "error: " + r.get("error", "")[:60]))
    out.append("")
    return "\n".join(out + crash_lines(report))


def crash_lines(report):
    out = []
    crashes = report["crashes"]
    if report.get("setup_error"):     # nothing ran: only the verdict
        return ["result: ERROR (%s), exit %d; reports in %s/" % (
            report.get("reason", ""), report["exit_code"], rel(report["out_dir"]))]
    nnew = sum(1 for c in crashes if not c["known"])
    out.append("unique crashes: %d (%d new, %d known)" % (len(crashes), nnew, len(crashes) - nnew))
    for c in crashes:
        loc = c.get("location")
        out.append("  %-5s %s" % ("NEW" if not c["known"] else "known", c["signature"]))
        out.append("        %s in %s at %s; %d -> %d bytes; %s" % (
            c["crash_type"], c["target"], "%s:%s" % (loc["file"], loc["line"]) if loc else "?",
            c["size"], c["minimized_size"], rel(Path(c["minimized"]).parent)))
    if report.get("unreproducible"):
        out.append("unreproducible inputs: %d (listed in report.json)" % len(report["unreproducible"]))
    if report.get("not_triaged"):
        out.append("inputs over the triage caps, not reproduced: %d (listed in report.json)" % len(report["not_triaged"]))
    rp = report.get("replay")
    if rp and rp.get("status") != "skipped":
        sc = rp.get("scenarios", [])
        ok = sum(1 for s in sc if s["status"] == "pass")
        out.append("replay: %d/%d scenarios match their expected output%s" % (
            ok, len(sc), "" if ok == len(sc) else " -- " + ", ".join(s["name"] for s in sc if s["status"] != "pass")))
    elif rp:
        out.append("replay: skipped (%s)" % rp.get("reason", ""))
    if report.get("interrupted"):
        out.append("interrupted: %s (reports cover what ran)" % report["interrupted"])
    verdict = {0: "PASS", 1: "FAIL", 2: "ERROR"}[report["exit_code"]]
    out.append("result: %s (%s), exit %d; reports in %s/" % (
        verdict, report.get("reason", ""), report["exit_code"], rel(report["out_dir"])))
    return out


def write_reports(out_dir, report):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report["crashes"] = [public_crash(c) for c in report["crashes"]]
    write_json(out / "report.json", report)
    write_junit(out / "report.junit.xml", report)
    write_sarif(out / "report.sarif", report)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# =============================================================================
# Command line (triage.sh, bisect.sh)
# =============================================================================

TARGET_IN_PATH = re.compile(r"(fuzz_[a-z0-9]+)")


def info_target(path):
    """The "target" of the info.json beside path (a triaged crash folder:
    crashes/TARGET/SIGNATURE/minimized.bin, or a copy of that folder), else
    None."""
    try:
        t = json.loads((Path(path).parent / "info.json").read_text()).get("target")
    except (OSError, ValueError, AttributeError):
        return None
    return t if isinstance(t, str) and t else None


def guess_target(path, known_targets):
    """Target of a crash file: the info.json of its triaged crash folder,
    else the target the path names (out/.../fuzz_decode/..., OSS-Fuzz's
    clusterfuzz-testcase-minimized-fuzz_decode-123), else None."""
    t = info_target(path)
    if t in known_targets:
        return t
    for m in TARGET_IN_PATH.finditer(str(path)):
        if m.group(1) in known_targets:
            return m.group(1)
    return None


def expand_inputs(paths):
    """Files named, and every file under folders named. Inside an AFL++
    instance folder (one with fuzzer_stats or queue/) only crashes/ and
    hangs/ are taken, without their README.txt."""
    files = []
    for p in map(Path, paths):
        if p.is_file():
            files.append(p)
            continue
        if not p.is_dir():
            raise FileNotFoundError(str(p))
        for f in sorted(p.rglob("*")):
            if not f.is_file() or f.name.startswith("."):
                continue
            afl_inst = None
            for anc in f.parents:
                if (anc / "fuzzer_stats").is_file() or (anc / "queue").is_dir():
                    afl_inst = anc
                    break
                if anc == p:
                    break
            if afl_inst is not None:
                if f.parent.parent != afl_inst or f.parent.name not in ("crashes", "hangs") \
                        or f.name == "README.txt":
                    continue
            files.append(f)
    return files


def cmd_triage(a):
    targets = [t for t in a.all_targets.split(",") if t]
    try:
        files = expand_inputs(a.paths)
    except FileNotFoundError as e:
        log("triage: no such file or folder: %s" % e)
        return 2
    if not files:
        log("triage: no input files found")
        return 2
    cands, unassigned = [], []
    for f in files:
        t = a.target or guess_target(f.resolve(), targets)
        kind = "timeout" if f.parent.name == "hangs" else kind_from_name(f.name)
        engine = "afl" if f.parent.name in ("crashes", "hangs") and f.name.startswith("id:") else "external"
        if t:
            cands.append(Candidate(t, engine, kind, f))
        else:
            unassigned.append((f, kind))
    # Inputs that name no target: the first target whose build crashes on them.
    for f, kind in unassigned:
        for t in targets:
            c, _, _ = reproduce(Bins(t, a.bin_dir), f)
            if c is not None:
                cands.append(Candidate(t, "external", kind, f))
                break
        else:
            log("triage: %s: no target crashes on it" % f)
            cands.append(Candidate(targets[0] if targets else "unknown", "external", kind, f))
    started = now_iso()
    t0 = time.time()
    crashes, unrepro, skipped = triage(cands, a.bin_dir, a.out, a.regressions, a.minimize_seconds)
    promoted = []
    if a.promote:
        for c in crashes:
            p = promote(c, a.regressions)
            if p:
                promoted.append(rel(p))
                log("triage: promoted %s" % rel(p))
    nnew = sum(1 for c in crashes if not c["known"])
    code = 1 if nnew else 0
    report = {
        "schema": "tuplecheck-ci-fuzz/1", "tool": TOOL_NAME, "mode": "triage",
        "started": started, "duration": round(time.time() - t0, 1), "out_dir": str(Path(a.out)),
        "inputs": len(files), "triage_targets": sorted({c.target for c in cands}),
        "runs": [], "crashes": crashes, "unreproducible": unrepro,
        "not_triaged": skipped,
        "promoted": promoted, "exit_code": code,
        "reason": ("%d new unique crash%s" % (nnew, "es" if nnew > 1 else "")) if nnew else
                  ("%d known crash(es)" % len(crashes) if crashes else "no crash reproduced"),
    }
    write_reports(a.out, report)
    print(summary_table(report))
    return code


def cmd_signature(a):
    """Print the signature of one input (bisect.sh's test), or nothing."""
    c, text, _ = reproduce(Bins(a.target, a.bin_dir), Path(a.input), timeout=a.timeout)
    if c is None:
        if a.verbose:
            log(text[-2000:])
        return 1
    print(c.signature())
    if a.verbose:
        log(c.summary)
    return 0


def cmd_target(a):
    """Print the target of a triaged crash file (bisect.sh), or nothing."""
    t = info_target(a.input)
    if not t:
        return 1
    print(t)
    return 0


def cmd_parse(a):
    """Parse a saved sanitizer report (tests, debugging)."""
    text = Path(a.report).read_text(errors="replace")
    c = parse_report(text)
    if c is None:
        print("null")
        return 1
    print(json.dumps(c.as_dict(), indent=2))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fuzzlib.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("triage", help="reproduce, deduplicate, minimize and report crash files")
    t.add_argument("paths", nargs="+")
    t.add_argument("--target")
    t.add_argument("--all-targets", default="fuzz_decode,fuzz_pcap,fuzz_engine,fuzz_portalloc")
    t.add_argument("--bin-dir", default=str(ROOT / "build/fuzz"))
    t.add_argument("--out", default=str(ROOT / "out/triage"))
    t.add_argument("--regressions", default=str(ROOT / "corpus/regressions"))
    t.add_argument("--minimize-seconds", type=int, default=30)
    t.add_argument("--promote", action="store_true")
    t.set_defaults(fn=cmd_triage)
    i = sub.add_parser("target", help="print the target of a triaged crash file (its info.json)")
    i.add_argument("input")
    i.set_defaults(fn=cmd_target)
    s = sub.add_parser("signature", help="print the crash signature of one input")
    s.add_argument("target")
    s.add_argument("input")
    s.add_argument("--bin-dir", default=str(ROOT / "build/fuzz"))
    s.add_argument("--timeout", type=int, default=25)
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(fn=cmd_signature)
    p = sub.add_parser("parse", help="parse a saved sanitizer report")
    p.add_argument("report")
    p.set_defaults(fn=cmd_parse)
    a = ap.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
