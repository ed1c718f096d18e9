"""How strongly a worker can be isolated here, and the pieces that isolate it.

As root on Linux with `unshare`, a worker runs jailed (jail.py): its own mount, network and
PID namespaces, a minimal read-only root, and a uid of its own taken from a pool, so that
RLIMIT_NPROC caps a fork bomb per worker and ending the worker can kill every process of that
uid. Elsewhere (not root, macOS, Windows) the worker runs with the limits that remain: its own
process group, a temporary copy of lib/, a scrubbed environment, rlimits where `resource`
exists. `describe()` says which, and the results record it.

Where students work (Linux, macOS, Windows, Colab) the sandbox uses what the platform has:
`resource` (rlimits), `os.setsid` in a `preexec_fn` (a process group to end at once), file
descriptors passed to the worker, and `select` on pipes are POSIX only. Without them the worker
talks over its standard streams, the grader waits for answers with a reader thread, and the
wall-clock limits remain; `platform_features()` says what is available.
"""
import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

try:  # POSIX only: rlimits; without them the wall-clock limits remain.
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None
try:  # POSIX only: the jail's uid pool locks.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

UID_BASE = 61000          # worker uids: UID_BASE .. UID_BASE + UID_POOL_SIZE - 1, no passwd entry needed
UID_POOL_SIZE = 256
UID_LOCK_DIR = Path("/run/gradlab-worker-uids")
SYSTEM_READONLY = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/etc")


@functools.lru_cache(maxsize=None)
def jail_available():
    """(True, "") when workers can be jailed here, else (False, why not)."""
    if sys.platform != "linux":
        return False, f"no namespaces on {sys.platform}"
    if os.geteuid() != 0:
        return False, "the grader is not running as root, so it cannot switch the worker to another uid"
    if shutil.which("unshare") is None:
        return False, "the `unshare` command (util-linux) is missing"
    probe = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"namespaces are not permitted here ({probe.stderr.strip()})"
    return True, ""


def readonly_paths(hidden):
    """Paths the jailed worker may read: the system, and this interpreter with its packages.

    Raises RuntimeError when one of them contains a `hidden` path (e.g. a virtual environment
    that holds the course folder), since binding it would expose that path.
    """
    paths = list(SYSTEM_READONLY)
    for path in {sys.base_prefix, sys.prefix, *site.getsitepackages()}:
        if not any(path == p or path.startswith(p + os.sep) for p in paths):
            paths.append(path)
    for path in paths:
        for secret in hidden:
            if secret and (str(secret) + os.sep).startswith(path.rstrip(os.sep) + os.sep):
                raise RuntimeError(f"{path} would have to be visible to the worker, but it contains {secret}")
    return paths


class UidPool:
    """Claims a worker uid nobody else (no other Sandbox, in any process) is using."""

    def __init__(self):
        UID_LOCK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.uid, self._lock = None, None

    def claim(self):
        for uid in range(UID_BASE, UID_BASE + UID_POOL_SIZE):
            handle = open(UID_LOCK_DIR / f"{uid}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.uid, self._lock = uid, handle
            kill_uid(uid)  # leftovers of a grader that crashed while holding it
            return uid
        raise RuntimeError(f"all {UID_POOL_SIZE} worker uids are in use")

    def release(self):
        if self._lock is not None:
            self._lock.close()
            self.uid, self._lock = None, None


def kill_uid(uid):
    """SIGKILL every process of `uid` (a `setsid` child escapes a process-group kill, not this)."""
    for _ in range(2):  # a second sweep catches processes forked during the first
        subprocess.run(["kill", "-KILL", "-1"], user=uid, group=uid, extra_groups=[],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def platform_features():
    """{feature: available here} for what the sandbox would like from the platform.

    - rlimits: the `resource` module (CPU, address-space and file-size limits);
    - process_group: `os.setsid` in a `preexec_fn`, so a timeout ends every process the worker
      started, not just the worker;
    - pass_fds: private pipes handed to the worker by descriptor (else its stdin and stdout);
    - select_pipes: `select` works on pipes (else a reader thread waits for each answer).
    """
    posix = os.name == "posix"
    return {"rlimits": resource is not None, "process_group": posix and hasattr(os, "setsid"),
            "pass_fds": posix, "select_pipes": posix}


def describe(limits):
    """One line for the results: what kept the student's code apart from the grader."""
    parts = ["separate worker process on a temporary copy of lib/", "scrubbed environment",
             f"{limits.call_seconds:g} s wall-clock limit per call, {limits.submission_seconds:g} s per submission"]
    features = platform_features()
    if features["rlimits"]:
        parts.append(f"rlimits: CPU {limits.cpu_seconds} s, address space {limits.memory_bytes >> 20} MiB, "
                     f"file size {limits.file_bytes >> 20} MiB")
    else:
        parts.append("no rlimits (this platform has no `resource` module): no CPU, memory or file-size limit")
    if not features["process_group"]:
        parts.append("no process group (no os.setsid here): a timeout ends the worker, not processes it started")
    jailed, why = jail_available()
    if jailed:
        parts.append(f"jailed: own uid per worker (at most {limits.processes} processes), private mount, "
                     "PID and network namespaces, minimal read-only root, no network")
    else:
        parts.append(f"not jailed: {why}")
    return "; ".join(parts)
