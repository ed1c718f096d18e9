"""How strongly a worker can be isolated here, and the pieces that isolate it.

Four levels, strongest first (`isolation_level()`; every result records the one in force):

- "root jail" (root on Linux with namespaces): the worker runs in its own mount, network, PID and
  IPC namespaces with a minimal read-only root (jail.py) under a uid of its own taken from a pool,
  so RLIMIT_NPROC caps a fork bomb per worker and ending the worker kills every process of that
  uid. It sees no course file, no other student, no result, no temporary folder of the grader.
- "user jail" (a normal user on Linux with unprivileged user namespaces): the same namespaces and
  minimal root, entered through a user namespace in which the worker is mapped to the grader's
  own uid with every capability dropped before the student's code runs.
- "pool uid" (root where namespaces are refused, e.g. a container without CAP_SYS_ADMIN): no
  private root, but the worker still drops to a pool uid, so it cannot write the results, signal
  the grader or read the grader's /proc; it can read every file that all users may read, which
  `exposed_paths()` lists and the results state.
- "unjailed" (no namespaces and not root, macOS, Windows, Colab): a separate process on a copy of
  lib/ with a scrubbed environment and the rlimits the platform has; it runs as the grader's own
  user and can read what that user can read. Grading hidden checks this way says so on stderr and
  in the results; as root it is refused (`refusal()`).

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


NAMESPACES = ("--mount", "--net", "--pid", "--ipc")
ROOT_JAIL, USER_JAIL, POOL_UID, UNJAILED = "root jail", "user jail", "pool uid", "unjailed"

_hidden = []    # paths hidden from every worker of this process besides the course's (hide())


@functools.lru_cache(maxsize=None)
def jail_available():
    """(True, "") when workers can be jailed as root here (the "root jail"), else (False, why not)."""
    if sys.platform != "linux":
        return False, f"no namespaces on {sys.platform}"
    if os.geteuid() != 0:
        return False, "the grader is not running as root, so it cannot switch the worker to another uid"
    if shutil.which("unshare") is None:
        return False, "the `unshare` command (util-linux) is missing"
    probe = subprocess.run(["unshare", *NAMESPACES, "--fork", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"namespaces are not permitted here ({probe.stderr.strip()})"
    return True, ""


@functools.lru_cache(maxsize=None)
def user_jail_available():
    """(True, "") when a normal user can jail workers in a user namespace here, else (False, why)."""
    if sys.platform != "linux":
        return False, f"no namespaces on {sys.platform}"
    if shutil.which("unshare") is None:
        return False, "the `unshare` command (util-linux) is missing"
    probe = subprocess.run(["unshare", "--user", "--map-root-user", *NAMESPACES, "--fork", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"unprivileged user namespaces are not permitted here ({probe.stderr.strip()})"
    return True, ""


def isolation_level():
    """(level, why nothing stronger is available: "" for the root jail)."""
    jailed, why = jail_available()
    if jailed:
        return ROOT_JAIL, ""
    if os.name == "posix" and os.geteuid() == 0:
        return (POOL_UID, why) if platform_features()["process_group"] else (UNJAILED, why)
    user_jailed, user_why = user_jail_available()
    if user_jailed:
        return USER_JAIL, why
    return UNJAILED, f"{why}; {user_why}" if user_why != why else why


class IsolationRefused(RuntimeError):
    """Grading hidden checks here would hand the student's code the grader's privileges."""


def refusal():
    """Why hidden checks must not be graded here, or "": as root, a worker that keeps root could
    write the results, signal the grader and read every secret."""
    level, why = isolation_level()
    if level == UNJAILED and os.name == "posix" and os.geteuid() == 0:
        return (f"Refusing to grade as root without isolation ({why}): the student's code would run as root. "
                "Grade as a normal user, or where `unshare` may create namespaces.")
    return ""


def hide(path):
    """Hide `path` (a class folder, a results folder) from every worker this process starts."""
    path = os.path.abspath(path)
    if path not in _hidden:
        _hidden.append(path)


def hidden_paths(extra=()):
    """What no worker may see: the course (solutions/, course.local.toml), the grader's package (the
    hidden checks, which sit in site-packages in a wheel install), paths given to hide(), `extra`."""
    from ..course import PACKAGE_DIR, course_root

    paths = [str(PACKAGE_DIR), *_hidden, *(os.path.abspath(p) for p in extra)]
    root = course_root()
    if root is not None:
        paths.append(str(root))
    return sorted(set(paths))


def _under(path, folder):
    return (path.rstrip(os.sep) + os.sep).startswith(folder.rstrip(os.sep) + os.sep)


def readonly_paths(hidden=()):
    """Paths the jailed worker may read: the system, and this interpreter with its packages.

    A `hidden` path below one of them (the course under /usr/local/src, the grader's package in
    site-packages) is masked inside the jail (`masked_paths`); a path that contains one of them
    (a virtual environment inside the course folder) exposes only that path, not the course.
    """
    paths = list(SYSTEM_READONLY)
    for path in {sys.base_prefix, sys.prefix, *site.getsitepackages()}:
        if not any(_under(path, p) for p in paths):
            paths.append(path)
    return paths


def masked_paths(readonly, hidden):
    """The `hidden` paths that lie inside a `readonly` path: the jail covers each with an empty,
    read-only mount, so binding the folder around it does not show it. Raises RuntimeError when a
    hidden path is itself one the worker needs (nothing could hide it)."""
    masks = set()
    for secret in hidden:
        for path in readonly:
            if not _under(secret, path):
                continue
            if secret.rstrip(os.sep) == path.rstrip(os.sep):
                raise RuntimeError(f"{path} must be visible to the worker (the interpreter or its packages "
                                   "live there), but it is a path the worker must not see; move the course "
                                   "or the results elsewhere.")
            if os.path.lexists(secret):
                masks.add(secret)
    return sorted(masks)


def exposed_paths(hidden):
    """The `hidden` paths a worker running under another uid, without a private root, could still
    read: those that all users may reach (every parent searchable, the path readable by others)."""
    exposed = []
    for path in hidden:
        try:
            parts = Path(path).resolve().parents
            if all(os.stat(p).st_mode & 0o001 for p in parts) and os.stat(path).st_mode & 0o004:
                exposed.append(path)
        except OSError:
            continue
    return exposed


def make_grader_undumpable():
    """Make this process non-dumpable (Linux): its /proc files (environ, which may hold the course
    seed; fd/; mem) become root's, so a worker running as the same user cannot read them."""
    if sys.platform != "linux":
        return False
    import ctypes

    PR_SET_DUMPABLE = 4
    return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0


def set_parent_death_signal():
    """In a child (preexec_fn or the jail): SIGKILL it when the grader dies, so no worker outlives a
    grader that was killed. Set after any change of uid, which clears it. Linux sends it when the
    *thread* that started the child ends, not only the process: start workers from a thread that
    outlives them (the grader's main thread does)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def forbid_new_privileges():
    """In a child: no exec may ever gain privileges again (setuid programs, file capabilities)."""
    if sys.platform != "linux":
        return
    import ctypes

    PR_SET_NO_NEW_PRIVS = 38
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def remove_ipc_of_uid(uid):
    """Remove the System V shared memory, semaphores and message queues owned by `uid` (a pool
    worker without an IPC namespace of its own), so none outlives the worker or links two workers."""
    for kind, id_column, flag in (("shm", "shmid", "-m"), ("sem", "semid", "-s"), ("msg", "msqid", "-q")):
        try:
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except (OSError, ValueError):
            continue
        columns = header.split()
        for line in rows:
            row = dict(zip(columns, line.split()))
            if row.get("uid") == str(uid) and id_column in row:
                subprocess.run(["ipcrm", flag, row[id_column]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
    parts.append(level_statement(limits))
    return "; ".join(parts)


def level_statement(limits):
    """What the isolation level in force protects, and, below the root jail, what it does not."""
    level, why = isolation_level()
    namespaces = "private mount, PID, IPC and network namespaces, minimal read-only root, no network"
    if level == ROOT_JAIL:
        return f"jailed (root jail): own uid per worker (at most {limits.processes} processes), {namespaces}"
    if level == USER_JAIL:
        return (f"jailed (user jail, {why}): {namespaces}, entered through a user namespace with every "
                f"capability dropped (at most {limits.processes} processes)")
    if level == POOL_UID:
        exposed = exposed_paths(hidden_paths())
        seen = (f"; files all users may read stay readable to it: {', '.join(exposed)}" if exposed
                else "; no course file is readable by other users")
        return (f"not jailed ({why}): the worker runs as its own pool uid, so it cannot write the results, "
                f"signal the grader or read its /proc, but it shares the file system{seen}")
    return (f"not jailed ({why}): the worker runs as the grader's own user and can read whatever that user "
            "can read (the course, the hidden checks, other students' folders)")
