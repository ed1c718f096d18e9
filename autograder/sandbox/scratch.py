"""The grader's temporary folders: private, cleaned up after a crash, and watched while in use.

Every temporary folder the grader makes (a worker's folder, the reference copy the timing worker
runs) is a `ScratchDir`:

- it sits in the system's temporary folder under a name starting with "gradlab-", with mode 0700
  (a worker's folder is handed to the worker's uid when it runs as one);
- it holds a sentinel file on which its grader process keeps an exclusive `flock` for as long as
  the folder is in use. A folder whose sentinel nobody locks belongs to a grader that was killed
  (a timeout, the OOM killer) before it could clean up; `sweep_stale()` removes those, so nothing
  of a dead grader stays on disk for longer than the next grader's start;
- it can tell whether it is still intact. A grader whose working files were removed while it
  graded (a /tmp cleaner, another program) must not hand out the score of a half-run grading:
  `watch()` records every folder that was found damaged while it was active, and the runner turns
  that into an error result for the student (runner.run_checks).

Standard library only.
"""
import contextlib
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

try:  # POSIX only: without flock, stale folders are not swept (they are still removed when done).
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

PREFIX = "gradlab-"
STAGING = ".gradlab-staging-"
SENTINEL = ".gradlab-scratch"
STAGING_GRACE_SECONDS = 600   # a staging folder older than this was left by a grader killed mid-creation

_watches = []   # the active watch() lists, innermost last


class ScratchDir:
    """A temporary folder of the grader that must stay intact while it is in use."""

    def __init__(self, kind):
        """`kind` names the folder's use in its name ("sandbox", "reference")."""
        # Made under a staging name and renamed once its sentinel is locked: another grader's
        # sweep must never see a gradlab- folder whose lock is not taken yet.
        staging = Path(tempfile.mkdtemp(prefix=STAGING))
        self._token = f"{secrets.token_hex(8)} {os.getpid()} {_start_time(os.getpid())}"
        self._lock = open(staging / SENTINEL, "w")
        self._lock.write(self._token)
        self._lock.flush()
        if fcntl is not None:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = staging.with_name(f"{PREFIX}{kind}-{staging.name[len(STAGING):]}")
        os.rename(staging, self.path)

    def intact(self):
        """True while the folder and its sentinel are still the ones this grader made."""
        try:
            return (self.path / SENTINEL).read_text() == self._token
        except OSError:
            return False

    def check(self):
        """Record in every active watch() that this folder was damaged, if it was. → intact()"""
        ok = self.intact()
        if not ok:
            for damaged in _watches:
                damaged.append(str(self.path))
        return ok

    def remove(self):
        """Check the folder (see `check`), then delete it."""
        self.check()
        self._lock.close()
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def watch():
    """Collect, in the yielded list, the scratch folders found damaged while the block runs."""
    damaged = []
    _watches.append(damaged)
    try:
        yield damaged
    finally:
        _watches.remove(damaged)


def sweep_stale(folder=None):
    """Remove gradlab scratch folders in `folder` (default: the temporary folder) whose grader is
    gone: nobody holds the lock on their sentinel. → the paths removed."""
    if fcntl is None:
        return []
    removed = []
    base = Path(folder) if folder else Path(tempfile.gettempdir())
    for path in base.glob(f"{STAGING}*"):
        try:
            if not path.is_symlink() and path.stat().st_uid == os.geteuid() and \
                    time.time() - path.stat().st_mtime > STAGING_GRACE_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except OSError:
            continue
    for path in base.glob(f"{PREFIX}*"):
        sentinel = path / SENTINEL
        try:
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.geteuid():
                continue
            handle = open(sentinel, "r")
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live grader holds it
            if _owner_alive(handle.read()):
                continue  # a grader that could not lock it (no flock where it runs) is still at work
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _start_time(pid):
    """When process `pid` started (clock ticks since boot, Linux), or "" where that is unknown: with
    the pid it names one process, even after the pid is reused."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(sentinel_text):
    """Whether the grader named in a sentinel ("token pid start") still runs."""
    try:
        _, pid, started = (sentinel_text.split() + [""])[:3]
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process of that pid: not the grader that wrote this
        return False
    return started == _start_time(int(pid))
