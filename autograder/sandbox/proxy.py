"""The grader's side of the sandbox: start a worker on a copy of a submission and call into it.

Student code never runs in the grader's process. `Sandbox` copies the submission's `lib/` into
a fresh temporary folder, starts `worker.py` there with a scrubbed environment and resource
limits, and sends it requests over a private pipe. Only numbers come back (wire.py); anything
the student's code raises comes back as a `StudentError`, a call that runs too long ends the
whole worker process group (`SandboxTimeout`), and a worker that dies raises `WorkerDied`. The
next call after a timeout or a death starts a fresh worker, so one bad call costs one check.

On platforms without descriptor passing, `select` on pipes, `os.setsid` or `resource`
(Windows), the worker talks over its stdin and stdout (its prints go to stderr), a reader
thread waits for each answer, a timeout ends the worker process, and only the wall-clock
limits apply (isolation.platform_features, isolation.describe).
"""
import io
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import isolation, wire
from .isolation import UidPool, kill_uid
from .scratch import ScratchDir, sweep_stale
from .submission import Manifest, SubmissionRefused, copy_manifest, scan_submission
from .wire import AnswerBudget, TrustedFunction  # noqa: F401 - part of this module's interface

# Copied into the worker's private folder: the worker itself, the wire format, and the
# check-side package `worker_side` (routines that drive the student's objects in the worker).
WORKER_FILES = {"worker.py": "sandbox/worker.py", "wire.py": "sandbox/wire.py"}
WORKER_PACKAGE = "checks/worker_side"

# Variables that numerical libraries need to run correctly on this hardware, and nothing else
# of the grader's environment, are passed to the worker.
PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT", "TZ")


# The folder numpy is installed in (site-packages, or a venv's): the worker's only package folder.
NUMPY_HOME = str(Path(np.__file__).resolve().parent.parent)


def _module(target):
    """'linear_classifier.LinearSVM' -> 'linear_classifier'."""
    return target.split(".", 1)[0]


class SandboxError(Exception):
    """Base class: something about the student's code kept a call from giving a value."""


# What of a worker's error report is kept: the worker caps its messages too, but student code can
# write a forged answer straight to the answer channel.
MESSAGE_CHARS = 2000
NAME_CHARS = 200
TAIL_CHARS = 400


def _capped(text, limit):
    """`text` cut to `limit` characters, saying how many were cut; a lone surrogate (which JSON can
    carry but no terminal or UTF-8 file can) becomes "?"."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else f"{text[:limit]} [... {len(text) - limit} more characters]"


class StudentError(SandboxError):
    """The student's code raised an exception (NotImplementedError, ValueError, SystemExit...), or
    returned a value that cannot cross (exc_type "UnsupportedValue": the message says which)."""

    def __init__(self, exc_type, message, where, during=""):
        exc_type, where = _capped(exc_type, NAME_CHARS), _capped(where, NAME_CHARS)
        message = _capped(message, MESSAGE_CHARS)
        self.exc_type, self.message, self.where, self.during = exc_type, message, where, during
        super().__init__((f"While {during}, your code " if during else "") + self.describe())

    def describe(self):
        if self.exc_type == "NotImplementedError":
            return f"Not implemented yet: {self.message}" if self.message else "Not implemented yet."
        if self.exc_type == "UnsupportedValue":
            return self.message
        if self.exc_type == "SystemExit":
            text = f"called sys.exit({self.message})"
        else:
            text = f"raised {self.exc_type}: {self.message}" if self.message else f"raised {self.exc_type}"
        return f"{text} ({self.where})" if self.where else text


class SandboxTimeout(SandboxError):
    def __init__(self, seconds, what):
        self.seconds = seconds
        super().__init__(f"{what} did not finish within the time limit of {seconds:g} s; "
                         "look for an infinite loop or a much slower algorithm than needed.")


class WorkerDied(SandboxError):
    def __init__(self, returncode, output_tail, what):
        if returncode is not None and returncode < 0:
            try:
                cause = f"was killed by signal {signal.Signals(-returncode).name}"
            except ValueError:
                cause = f"was killed by signal {-returncode}"
            if -returncode in (getattr(signal, "SIGKILL", None), getattr(signal, "SIGSEGV", None)):
                cause += " (often the memory limit)"
        else:
            cause = f"exited with code {returncode}"
        tail = f" Its last output: {output_tail.strip()[-TAIL_CHARS:]}" if output_tail.strip() else ""
        super().__init__(f"The process running your code {cause} during {what}.{tail}")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (POSIX rlimits where available)."""

    call_seconds: float = 20.0          # wall clock, per call
    submission_seconds: float = 180.0   # wall clock of all calls to one submission together
    cpu_seconds: int = 120              # CPU time of one worker process
    memory_bytes: int = 3 << 30         # address space of one process
    file_bytes: int = 64 << 20          # largest file the worker may write
    processes: int = 64                 # processes of the worker's uid (jailed workers only)
    disk_bytes: int = 256 << 20         # the jailed worker's writable folder (a tmpfs)
    output_bytes: int = 64 << 10        # student output kept (head and tail) per worker
    start_seconds: float = 30.0         # to import numpy and answer the first request
    import_seconds: float = 10.0        # to import one lib module
    answer: AnswerBudget = AnswerBudget()  # what one message from the worker may hold

    def rlimits(self) -> dict[str, int]:
        """{resource name: value} for the worker (NPROC only means something under its own uid)."""
        return {"RLIMIT_CPU": self.cpu_seconds, "RLIMIT_AS": self.memory_bytes,
                "RLIMIT_FSIZE": self.file_bytes, "RLIMIT_CORE": 0}


class _OutputTail:
    """Drains a pipe in a thread, keeping only the first and last `cap` bytes of what it saw."""

    def __init__(self, stream, cap):
        self.cap, self.head, self.tail, self.dropped = cap, b"", b"", 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self.lock:
                if len(self.head) < self.cap:
                    take = self.cap - len(self.head)
                    self.head, chunk = self.head + chunk[:take], chunk[take:]
                self.tail = (self.tail + chunk)
                if len(self.tail) > self.cap:
                    self.dropped += len(self.tail) - self.cap
                    self.tail = self.tail[-self.cap:]

    def text(self):
        with self.lock:
            middle = f"\n[... {self.dropped} bytes of output not kept ...]\n" if self.dropped else ""
            return (self.head.decode(errors="replace") + middle + self.tail.decode(errors="replace"))


def _limit_resources(rlimits, new_session=True, uid=None):
    """preexec_fn: a new session (so a timeout can kill the group), the rlimits, as far as the
    platform has them (isolation.platform_features), the pool `uid` when given (a root grader
    without namespaces), and death with the grader."""
    resource = isolation.resource

    def apply():
        if new_session:
            os.setsid()
        if resource is not None:
            for name, value in rlimits.items():
                if hasattr(resource, name):
                    resource.setrlimit(getattr(resource, name), (value, value))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            isolation.forbid_new_privileges()
        isolation.set_parent_death_signal()
    return apply


class _SelectInbox:
    """Reads the worker's messages with non-blocking reads and `select` (POSIX): a whole message
    against one deadline, however slowly its bytes come (wire.Overdue when it passes)."""

    CHUNK = 1 << 16

    def __init__(self, stream):
        self.fd = stream.fileno()
        os.set_blocking(self.fd, False)
        _widen_pipe(self.fd)
        self.deadline = 0.0
        self.pending = b""    # read from the pipe, not yet handed out

    def _wait(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise wire.Overdue()

    def readinto(self, view):
        if self.pending:
            count = min(len(view), len(self.pending))
            view[:count], self.pending = self.pending[:count], self.pending[count:]
            return count
        while True:
            try:
                if len(view) >= self.CHUNK:  # large reads go straight into the array's memory
                    return os.readv(self.fd, [view])
                data = os.read(self.fd, self.CHUNK)
            except BlockingIOError:
                self._wait()
                continue
            count = min(len(view), len(data))
            view[:count], self.pending = data[:count], data[count:]
            return count

    def read(self, deadline, budget):
        """(header, arrays) of the next message, read under `budget` before `deadline`."""
        self.deadline = deadline
        return wire.read_message(self, budget)


class _ThreadInbox:
    """Where `select` cannot wait on a pipe (Windows): a thread reads every message whole, under the
    budget, and the grader waits for it on a queue until the deadline."""

    def __init__(self, stream):
        self._answers = queue.Queue()
        self.budget = AnswerBudget()
        threading.Thread(target=self._read_all, args=(stream,), daemon=True).start()

    def _read_all(self, stream):
        while True:
            try:
                message = wire.read_message(stream, self.budget)
            except BaseException as exc:  # noqa: BLE001 - EOFError when the worker ends, or a refused message
                self._answers.put((None, exc))
                return
            self._answers.put((message, None))

    def read(self, deadline, budget):
        self.budget = budget
        try:
            message, error = self._answers.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            raise wire.Overdue() from None
        if error is not None:
            raise error
        return message


PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031  # Linux's fcntl command; not in the fcntl module before Python 3.10


def _widen_pipe(fd):
    """A larger pipe buffer (Linux) where it can be had: fewer wake-ups per large message, since a
    reader or writer that must wait for the other side waits once per buffer-full."""
    if isolation.fcntl is not None and sys.platform == "linux":
        try:
            isolation.fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:  # above /proc/sys/fs/pipe-max-size for a non-root grader: keep the default
            pass


def _write_before(fd, parts, deadline):
    """Write to a pipe the worker may have stopped reading: non-blocking writes and `select`,
    wire.Overdue when `deadline` passes first (POSIX)."""
    if os.get_blocking(fd):  # the first message on this pipe
        os.set_blocking(fd, False)
        _widen_pipe(fd)
    for part in wire.coalesced(parts):
        view = memoryview(part)
        while view:
            try:
                view = view[os.write(fd, view):]
                continue
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                raise wire.Overdue()


def _write_in_thread(stream, parts, deadline):
    """`_write_before` where `select` cannot wait on a pipe (Windows): a thread writes, the grader
    waits for it until `deadline` (ending the worker then ends the write)."""
    failure = []

    def write():
        try:
            for part in wire.coalesced(parts):
                stream.write(part)
            stream.flush()
        except BaseException as exc:  # noqa: BLE001 - raised again in the grader's thread
            failure.append(exc)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(max(deadline - time.monotonic(), 0))
    if writer.is_alive():
        raise wire.Overdue()
    if failure:
        raise failure[0]


class RemoteObject:
    """An object living in the worker (e.g. a LinearSVM); methods and attributes go by request."""

    def __init__(self, sandbox: "Sandbox", handle: wire.Handle, generation: int) -> None:
        self._sandbox, self.handle, self._generation = sandbox, handle, generation

    def call(self, method: str, *args: Any, keep: bool = False, **kwargs: Any) -> Any:
        return self._sandbox._request({"op": "method", "handle": self.handle.id, "name": method,
                                       "keep": keep}, args, kwargs, f"{self.handle.type_name}.{method}",
                                      generation=self._generation)

    def get(self, attr: str) -> Any:
        return self._sandbox._request({"op": "getattr", "handle": self.handle.id, "name": attr}, (), {},
                                      f"reading {self.handle.type_name}.{attr}", generation=self._generation)

    def set(self, attr: str, value: Any) -> None:
        self._sandbox._request({"op": "setattr", "handle": self.handle.id, "name": attr}, (value,), {},
                               f"setting {self.handle.type_name}.{attr}", generation=self._generation)


_swept = []


def _sweep_once():
    """Remove what graders killed before they could clean up left in the temporary folder, once
    per process (scratch.sweep_stale)."""
    if not _swept:
        _swept.append(sweep_stale())


class Sandbox:
    """A worker process on a private copy of `submission_dir/lib`.

    Use as a context manager; `call`, `new`, `map` and `time` start the worker on first use.
    """

    def __init__(self, submission_dir: str | os.PathLike, limits: Limits = Limits(),
                 hidden: Iterable[str | os.PathLike] = (), manifest: Manifest | None = None) -> None:
        """`hidden`: paths a jailed worker must not see even if they sit under the interpreter's
        folders (the course root, the submissions, the results); see isolation.readonly_paths.
        `manifest`: what of `submission_dir/lib` the worker gets (submission.scan_submission);
        scanned here when not given, raising SubmissionRefused for a lib/ that cannot be graded.
        Every (re)start copies exactly these files; `notes` says what was left out."""
        # Absolute (never resolved: that would follow a link): the jail copies from another cwd.
        self.lib_dir = Path(submission_dir).absolute() / "lib"
        self.manifest = scan_submission(self.lib_dir) if manifest is None else manifest
        self.notes = self.manifest.notes
        self.limits = limits
        self.hidden = tuple(hidden)
        self.level = isolation.isolation_level()[0]
        self.jailed = self.level in (isolation.ROOT_JAIL, isolation.USER_JAIL)
        self.uids = UidPool() if self.level in (isolation.ROOT_JAIL, isolation.POOL_UID) else None
        self.seconds_used = 0.0       # wall time of all calls so far, against limits.submission_seconds
        self.failures = {}            # request description -> the failure to raise again at once
        self.imported = set()         # lib modules imported by the current worker
        self.process = None
        self._own_group = False       # the worker leads its own process group (ended as a whole)
        self.generation = 0           # bumped at every (re)start; handles die with their worker
        self.workdir = None
        self.output = None
        self.output_log = []          # output of workers that already ended
        self.trusted = {}             # generation -> {id: TrustedFunction sent to that worker}

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self):
        _sweep_once()
        self._scratch = ScratchDir("sandbox")
        self.workdir = self._scratch.path
        try:
            self._launch()
        except BaseException:
            if self.process is None:  # _stop() will not run: check and remove the folder here
                self._scratch.remove()
            raise

    def _launch(self):
        """Start the worker in self.workdir and wait for its first answer."""
        private = self.workdir / ".worker"
        private.mkdir()
        package = Path(__file__).resolve().parent.parent
        for name, source in WORKER_FILES.items():
            shutil.copy(package / source, private / name)
        shutil.copytree(package / WORKER_PACKAGE, private / "worker_side",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # Readable by the worker's uid whatever the package's own modes (the Gradescope bundle
        # makes its copy of the grader readable by root alone); nothing in here is secret.
        for path in [private, *private.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        submission = self.workdir / "submission"
        submission.mkdir()
        if not self.jailed:  # jailed, jail.py copies the manifest into the worker's tmpfs itself
            try:
                copy_manifest(self.lib_dir, self.manifest, submission / "lib")
            except SubmissionRefused as refused:
                self.failures["starting the worker"] = SandboxError(str(refused))
                raise self.failures["starting the worker"] from None
        features = isolation.platform_features()
        self._own_group = features["process_group"]
        env = {"PATH": os.defpath, "HOME": str(submission), "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "TMPDIR": str(submission)}
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        if features["pass_fds"]:
            request_read, request_write = os.pipe()
            response_read, response_write = os.pipe()
            channel = [str(request_read), str(response_write)]
        else:
            channel = ["stdio"]
        # -S: no site processing, which on an ordinary install costs a third of the worker's
        # start-up (.pth files, editable-install finders); the worker puts numpy's folder, and so
        # the packages installed beside it, on its path itself (NUMPY_HOME).
        env["GRADLAB_PACKAGES"] = NUMPY_HOME
        worker = [sys.executable, "-I", "-S", str(private / "worker.py"), str(submission), *channel]
        pool_uid = None
        if self.jailed:
            command, rlimits = self._jail_command(worker, private, submission), {}
        else:
            command, rlimits = worker, self.limits.rlimits()
            if self.level == isolation.POOL_UID:
                pool_uid = self._hand_to_pool_uid(submission)
        options = {"cwd": self.workdir, "env": env}
        if os.name == "posix":
            options["preexec_fn"] = _limit_resources(rlimits, new_session=self._own_group, uid=pool_uid)
        if features["pass_fds"]:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, pass_fds=(request_read, response_write),
                                            **options)
            os.close(request_read)
            os.close(response_write)
            self._requests = os.fdopen(request_write, "wb")
            self._responses = os.fdopen(response_read, "rb", buffering=0)
            output = self.process.stdout
        else:  # the worker's stdin and stdout carry requests and answers; its prints go to stderr
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, bufsize=0, **options)
            self._requests = io.BufferedWriter(self.process.stdin)
            self._responses = self.process.stdout
            output = io.BufferedReader(self.process.stderr)
        self._inbox = _SelectInbox(self._responses) if features["select_pipes"] else _ThreadInbox(self._responses)
        self.output = _OutputTail(output, self.limits.output_bytes)
        self.generation += 1
        self.imported = set()
        # Python and numpy start up before any time limit of the student's code begins.
        self._remembering("starting the worker", self._exchange, {"op": "ping"}, (), {}, "starting the worker",
                          self.limits.start_seconds)

    def _hand_to_pool_uid(self, submission):
        """Root without namespaces: the worker will run as a pool uid; give it its folder. → uid"""
        uid = self.uids.claim()
        os.chmod(self.workdir, 0o711)   # searchable, not listable: the worker reaches only its own folders
        for folder, dirs, files in os.walk(submission):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, uid, uid)
        os.chmod(submission, 0o700)     # /tmp is listable: a classmate's pool uid must not read this copy
        return uid

    def _jail_command(self, worker, private, submission):
        """`unshare ... jail.py SPEC`: build the jail, then drop every privilege (jail.py): as root,
        by becoming a pool uid; as a normal user, inside a user namespace."""
        user_jail = self.level == isolation.USER_JAIL
        uid = 0 if user_jail else self.uids.claim()
        newroot = self.workdir / ".root"
        newroot.mkdir()
        # The manifest goes in a file of the grader's (not on the command line, whose argument
        # length is limited); the jail reads it before the worker exists.
        manifest = self.workdir / ".manifest.json"
        manifest.write_text(json.dumps(self.manifest.to_json()))
        readonly = isolation.readonly_paths()
        spec = {"mode": "user" if user_jail else "root", "newroot": str(newroot), "readonly": readonly,
                "masks": isolation.masked_paths(readonly, isolation.hidden_paths(self.hidden)),
                "worker_dir": str(private),
                "submission_source": str(self.lib_dir), "manifest": str(manifest),
                "submission": str(submission),
                "tmpfs_bytes": self.limits.disk_bytes, "uid": uid,
                "rlimits": {**self.limits.rlimits(), "RLIMIT_NPROC": self.limits.processes},
                "argv": worker}
        namespaces = (["--user", "--map-root-user"] if user_jail else []) + list(isolation.NAMESPACES)
        return ["unshare", *namespaces, "--fork", "--kill-child", sys.executable, "-I", "-S",
                str(Path(__file__).with_name("jail.py")), json.dumps(spec)]

    def _stop(self):
        """End the worker, every process it started, and forget it."""
        if self.process is None:
            return
        if self.process.poll() is None and self._own_group:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        elif self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.uids is not None and self.uids.uid is not None:
            kill_uid(self.uids.uid)
            if self.level == isolation.POOL_UID:  # no IPC namespace: its shared memory would outlive it
                isolation.remove_ipc_of_uid(self.uids.uid)
            self.uids.release()
        for stream in (self._requests, self._responses):
            try:
                stream.close()
            except OSError:
                pass
        self.output.thread.join(timeout=2)
        self.output_log.append(self.output.text())
        self._scratch.remove()
        self.process = None

    def close(self) -> None:
        self._stop()

    def student_output(self) -> str:
        """Everything the student's code printed (head and tail of each worker's output)."""
        current = [self.output.text()] if self.process is not None else []
        return "".join(self.output_log + current)

    # -- requests -------------------------------------------------------------------------
    def _request(self, header, args, kwargs, what, generation=None, module=None):
        """Send one request and return the decoded answer, raising a SandboxError subclass.

        `module` (a lib module name) is imported first, in a request of its own with a shorter
        time limit, so that a module that hangs, crashes or exits at import is reported as such.
        A call that timed out or killed the worker, and a module that failed to import, fail
        again at once on later requests: each costs its time limit only once per submission.
        """
        if generation is not None and generation != self.generation:
            raise SandboxError(f"{what}: the object was lost when the worker restarted after an "
                               "earlier failure.")
        for key in ("starting the worker", f"import {module}", what):
            if key in self.failures:
                raise self.failures[key]
        if self.seconds_used >= self.limits.submission_seconds:
            raise SandboxTimeout(self.limits.submission_seconds, "this submission as a whole")
        if self.process is None:
            self._start()
        if module and module not in self.imported:
            self._remembering(f"import {module}", self._exchange, {"op": "import", "module": module}, (), {},
                              f"importing lib/{module}.py", self.limits.import_seconds)
            self.imported.add(module)
        return self._remembering(what, self._exchange, header, args, kwargs, what, self.limits.call_seconds)

    def _remembering(self, key, exchange, *args):
        try:
            return exchange(*args)
        except (SandboxTimeout, WorkerDied) as failure:
            self.failures[key] = failure
            raise
        except StudentError as failure:
            if key.startswith("import "):
                failure = StudentError(failure.exc_type, failure.message, failure.where, during=args[-2])
                self.failures[key] = failure
            raise failure from None

    def _exchange(self, header, args, kwargs, what, limit):
        """One request and its answer, the calls of grader functions in between included, all
        within `limit` seconds (and what is left of the submission's time)."""
        budget = self.limits.answer
        header = dict(header)
        arrays, sent = [], {}
        header["args"] = [wire.encode(a, arrays, sent=sent, callbacks=self._trust) for a in args]
        header["kwargs"] = {k: wire.encode(v, arrays, sent=sent, callbacks=self._trust) for k, v in kwargs.items()}
        header["arrays"] = len(arrays)
        if header["op"] == "ping":  # a new worker learns what the grader accepts from it
            header["budget"] = budget.as_dict()
        seconds = min(limit, self.limits.submission_seconds - self.seconds_used)
        started = time.perf_counter()
        try:
            answer, answer_arrays = self._converse(wire.frame(header, arrays), time.monotonic() + seconds, what,
                                                   budget)
            value = wire.decode(answer.get("value"), answer_arrays)
        except wire.Overdue:
            self._stop()
            raise SandboxTimeout(limit, what) from None
        except EOFError:
            self._report_death(what)
        except SandboxError:
            raise
        except wire.WireError as exc:  # only the student's code (or its value) could be the cause
            self._stop()
            raise SandboxError(f"{what} returned {_capped(exc, NAME_CHARS)}, which the grader cannot use; "
                               "return floats, ints or numpy arrays.") from None
        except Exception as exc:  # a malformed answer: only the student's code could have sent it
            self._stop()
            raise SandboxError(f"{what}: the worker sent an answer the grader cannot read "
                               f"({_capped(exc, NAME_CHARS)}).") from None
        finally:
            self.seconds_used += time.perf_counter() - started
        if not answer.get("ok"):
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise StudentError(str(error.get("type", "Exception")), str(error.get("message", "")),
                               str(error.get("where", "")))
        return value

    def _trust(self, function):
        """The id a TrustedFunction crosses as. A worker can call back only what was sent to it:
        the functions sent to earlier workers are forgotten."""
        for generation in [g for g in self.trusted if g != self.generation]:
            del self.trusted[generation]
        self.trusted.setdefault(self.generation, {})[function.id] = function
        return function.id

    def _send(self, parts, deadline):
        """Write one framed message to the worker before `deadline`. A worker that is gone is not
        an error here: reading its answer tells how it ended."""
        try:
            if isinstance(self._inbox, _SelectInbox):
                _write_before(self._requests.fileno(), parts, deadline)
            else:
                _write_in_thread(self._requests, parts, deadline)
        except OSError:  # BrokenPipeError (EINVAL on Windows)
            pass

    def _converse(self, request, deadline, what, budget):
        """Send `request`, run the grader functions the worker calls meanwhile, return the answer."""
        self._send(request, deadline)
        calls = 0
        while True:
            message, arrays = self._inbox.read(deadline, budget)
            if "callback" not in message:
                return message, arrays
            calls += 1
            if calls > budget.callbacks:
                self._stop()
                raise SandboxError(f"{what} called the functions the grader passed to it more than "
                                   f"{budget.callbacks} times in one call; a correct solution needs far fewer.")
            self._send(self._run_trusted(message, arrays), deadline)

    def _run_trusted(self, message, arrays):
        """The framed reply to a worker's call of a grader function: its value, or the text of the
        exception it raised (a ValueError in the student's code)."""
        callback_id, args = message.get("callback"), message.get("args")
        trusted = self.trusted.get(self.generation, {}).get(callback_id) if type(callback_id) is int else None
        if trusted is None or not isinstance(args, list):
            raise wire.WireError("a call of a grader function it was never given")
        args = [wire.decode_plain(a, arrays) for a in args]
        try:
            value = trusted.fn(*args)
        except Exception as exc:  # noqa: BLE001 - the function's own verdict on its arguments
            return wire.frame({"reply": True, "ok": False, "arrays": 0,
                               "error": _capped(f"{trusted.name}: {exc}", MESSAGE_CHARS)})
        return wire.frame(*wire.pack({"reply": True, "ok": True}, value))

    def _report_death(self, what):
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        code = self.process.returncode
        self._stop()
        raise WorkerDied(code, self.output_log[-1], what)

    def call(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """Call `lib.<target>` (e.g. 'linear_svm.svm_loss_naive') and return its decoded value."""
        return self._request({"op": "call", "target": target}, args, kwargs, target, module=_module(target))

    def call_reporting_changes(self, target: str, *args: Any) -> tuple[Any, dict[int, np.ndarray]]:
        """(value, {position: the array argument as `lib.<target>(*args)` left it}) for every array
        argument the call modified."""
        answer = self._request({"op": "call_reporting_changes", "target": target}, args, {}, target,
                               module=_module(target))
        if not (isinstance(answer, tuple) and len(answer) == 3 and isinstance(answer[1], list)
                and isinstance(answer[2], list) and len(answer[1]) == len(answer[2])
                and all(type(i) is int and 0 <= i < len(args) for i in answer[1])
                and all(isinstance(a, np.ndarray) for a in answer[2])):
            raise SandboxError(f"{target}: the worker sent an answer the grader cannot read.")
        return answer[0], dict(zip(answer[1], answer[2]))

    def new(self, target: str, *args: Any, **kwargs: Any) -> RemoteObject:
        """Construct `lib.<target>(*args)` in the worker and return a RemoteObject for it."""
        handle = self._request({"op": "call", "target": target, "keep": True}, args, kwargs, target,
                               module=_module(target))
        return RemoteObject(self, handle, self.generation)

    def map(self, target: str, args_list: Iterable[Sequence[Any]]) -> list[Any]:
        """Call `lib.<target>(*args)` for each args tuple in one round trip; list of values."""
        return self._request({"op": "map", "target": target}, [list(a) for a in args_list], {},
                             target, module=_module(target))

    def time(self, target: str, *args: Any, repeat: int = 5) -> list[float]:
        """Seconds taken by each of `repeat` calls of `lib.<target>(*args)` inside the worker."""
        return self._request({"op": "time", "target": target, "repeat": repeat}, args, {}, target,
                             module=_module(target))

    def line_events(self, target: str, args_by_size: Sequence[Sequence[Any]]) -> list[tuple[int, bool, bool]]:
        """[(lines, target_seen, tracer_intact)] of one call of `lib.<target>(*args)` per args tuple
        (inputs of growing size), each under the worker's line counter (worker.count_lines):
        the line events of code outside the standard library and numpy, whether the target's own
        code ran, and whether the counter was still the active tracer when the call returned.

        The calls run in the current worker: their inputs are new to it (nothing an earlier call
        computed can be reused for them), and reaching the tracer is what the static check forbids
        (static_loops), so a fresh worker would add a start-up's cost and no strength."""
        answer = self._request({"op": "line_events", "target": target}, [list(a) for a in args_by_size], {},
                               f"tracing {target}", module=_module(target))
        if not (isinstance(answer, list) and len(answer) == len(args_by_size) and all(
                isinstance(row, list) and len(row) == 3 and type(row[0]) is int and row[0] >= 0
                and type(row[1]) is bool and type(row[2]) is bool for row in answer)):
            raise SandboxError(f"tracing {target}: the worker sent an answer the grader cannot read.")
        return [tuple(row) for row in answer]

    def run(self, routine: str, *args: Any) -> Any:
        """Run `worker_side.<routine>(*args)` in the worker (e.g. 'backprop.evaluate_graph')."""
        return self._request({"op": "run", "target": routine}, args, {}, routine)

    def function(self, target: str) -> Callable[..., Any]:
        """A plain callable that calls `lib.<target>` in the worker (e.g. for gradient checks)."""
        return lambda *args, **kwargs: self.call(target, *args, **kwargs)
