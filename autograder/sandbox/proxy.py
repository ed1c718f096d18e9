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
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import isolation, wire
from .isolation import UidPool, jail_available, kill_uid, readonly_paths

# Copied into the worker's private folder: the worker itself, the wire format, and the
# check-side package `worker_side` (functions handed to kernels, routines run in the worker).
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


class StudentError(SandboxError):
    """The student's code raised an exception (NotImplementedError, ValueError, SystemExit...)."""

    def __init__(self, exc_type, message, where, during=""):
        self.exc_type, self.message, self.where, self.during = exc_type, message, where, during
        super().__init__((f"While {during}, your code " if during else "") + self.describe())

    def describe(self):
        if self.exc_type == "NotImplementedError":
            return f"Not implemented yet: {self.message}" if self.message else "Not implemented yet."
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
        tail = f" Its last output: {output_tail.strip()[-400:]}" if output_tail.strip() else ""
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

    def rlimits(self):
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


def _limit_resources(rlimits, new_session=True):
    """preexec_fn: a new session (so a timeout can kill the group), then the rlimits, as far as
    the platform has them (isolation.platform_features)."""
    resource = isolation.resource

    def apply():
        if new_session:
            os.setsid()
        if resource is None:
            return
        for name, value in rlimits.items():
            if hasattr(resource, name):
                resource.setrlimit(getattr(resource, name), (value, value))
    return apply


class _SelectInbox:
    """Waits for the worker's next answer with `select` on the pipe (POSIX)."""

    def __init__(self, stream):
        self.stream = stream

    def wait(self, seconds):
        ready, _, _ = select.select([self.stream], [], [], seconds)
        return bool(ready)

    def read(self):
        return wire.read_message(self.stream)


class _ThreadInbox:
    """Where `select` cannot wait on a pipe (Windows): a thread reads every answer as it comes and
    the grader waits for it on a queue, with the same time limit."""

    def __init__(self, stream):
        self._answers = queue.Queue()
        self._next = None
        threading.Thread(target=self._read_all, args=(stream,), daemon=True).start()

    def _read_all(self, stream):
        while True:
            try:
                message = wire.read_message(stream)
            except BaseException as exc:  # noqa: BLE001 - EOFError when the worker ends, or a malformed answer
                self._answers.put((None, exc))
                return
            self._answers.put((message, None))

    def wait(self, seconds):
        if self._next is None:
            try:
                self._next = self._answers.get(timeout=max(seconds, 0))
            except queue.Empty:
                return False
        return True

    def read(self):
        message, error = self._next if self._next is not None else self._answers.get()
        self._next = None
        if error is not None:
            raise error
        return message


class RemoteObject:
    """An object living in the worker (e.g. a LinearSVM); methods and attributes go by request."""

    def __init__(self, sandbox, handle, generation):
        self._sandbox, self.handle, self._generation = sandbox, handle, generation

    def call(self, method, *args, keep=False, **kwargs):
        return self._sandbox._request({"op": "method", "handle": self.handle.id, "name": method,
                                       "keep": keep}, args, kwargs, f"{self.handle.type_name}.{method}",
                                      generation=self._generation)

    def get(self, attr):
        return self._sandbox._request({"op": "getattr", "handle": self.handle.id, "name": attr}, (), {},
                                      f"reading {self.handle.type_name}.{attr}", generation=self._generation)

    def set(self, attr, value):
        self._sandbox._request({"op": "setattr", "handle": self.handle.id, "name": attr}, (value,), {},
                               f"setting {self.handle.type_name}.{attr}", generation=self._generation)


class Sandbox:
    """A worker process on a private copy of `submission_dir/lib`.

    Use as a context manager; `call`, `new`, `map` and `time` start the worker on first use.
    """

    def __init__(self, submission_dir, limits=Limits(), hidden=()):
        """`hidden`: paths a jailed worker must not see even if they sit under the interpreter's
        folders (the course root, the submissions, the results); see isolation.readonly_paths."""
        self.lib_dir = Path(submission_dir) / "lib"
        self.limits = limits
        self.hidden = tuple(hidden)
        self.jailed = jail_available()[0]
        self.uids = UidPool() if self.jailed else None
        self.seconds_used = 0.0       # wall time of all calls so far, against limits.submission_seconds
        self.failures = {}            # request description -> the failure to raise again at once
        self.imported = set()         # lib modules imported by the current worker
        self.process = None
        self._own_group = False       # the worker leads its own process group (ended as a whole)
        self.generation = 0           # bumped at every (re)start; handles die with their worker
        self.workdir = None
        self.output = None
        self.output_log = []          # output of workers that already ended

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="gradlab-sandbox-"))
        private = self.workdir / ".worker"
        private.mkdir()
        package = Path(__file__).resolve().parent.parent
        for name, source in WORKER_FILES.items():
            shutil.copy(package / source, private / name)
        shutil.copytree(package / WORKER_PACKAGE, private / "worker_side",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        submission = self.workdir / "submission"
        submission.mkdir()
        if self.lib_dir.is_dir():
            shutil.copytree(self.lib_dir, submission / "lib",
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
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
        if self.jailed:
            command, rlimits = self._jail_command(worker, private, submission), {}
        else:
            command, rlimits = worker, self.limits.rlimits()
        options = {"cwd": self.workdir, "env": env}
        if os.name == "posix" and (self._own_group or (rlimits and isolation.resource is not None)):
            options["preexec_fn"] = _limit_resources(rlimits, new_session=self._own_group)
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

    def _jail_command(self, worker, private, submission):
        """`unshare ... jail.py SPEC`: build the jail as root, then become a pool uid (jail.py)."""
        uid = self.uids.claim()
        newroot = self.workdir / ".root"
        newroot.mkdir()
        spec = {"newroot": str(newroot), "readonly": readonly_paths(self.hidden), "worker_dir": str(private),
                "submission_source": str(submission), "submission": str(submission),
                "tmpfs_bytes": self.limits.disk_bytes, "uid": uid,
                "rlimits": {**self.limits.rlimits(), "RLIMIT_NPROC": self.limits.processes},
                "argv": worker}
        return ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
                sys.executable, "-I", "-S", str(Path(__file__).with_name("jail.py")), json.dumps(spec)]

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
        if self.jailed:
            kill_uid(self.uids.uid)
            self.uids.release()
        for stream in (self._requests, self._responses):
            try:
                stream.close()
            except OSError:
                pass
        self.output.thread.join(timeout=2)
        self.output_log.append(self.output.text())
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.process = None

    def close(self):
        self._stop()

    def student_output(self):
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
        header = dict(header)
        arrays, sent = [], {}
        header["args"] = [wire.encode(a, arrays, sent=sent) for a in args]
        header["kwargs"] = {k: wire.encode(v, arrays, sent=sent) for k, v in kwargs.items()}
        header["arrays"] = len(arrays)
        seconds = min(limit, self.limits.submission_seconds - self.seconds_used)
        started = time.perf_counter()
        try:
            wire.write_message(self._requests, header, arrays)
            ready = self._inbox.wait(seconds)
        except OSError:  # BrokenPipeError (EINVAL on Windows)
            ready = True  # the worker is gone; reading tells how it ended
        self.seconds_used += time.perf_counter() - started
        if not ready:
            self._stop()
            raise SandboxTimeout(limit, what)
        try:
            answer, answer_arrays = self._inbox.read()
            value = wire.decode(answer.get("value"), answer_arrays)
        except EOFError:
            self._report_death(what)
        except Exception as exc:  # a malformed answer: only the student's code could have sent it
            self._stop()
            raise SandboxError(f"{what}: the worker sent an answer the grader cannot read ({exc}).") from None
        if not answer.get("ok"):
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise StudentError(str(error.get("type", "Exception")), str(error.get("message", "")),
                               str(error.get("where", "")))
        return value

    def _report_death(self, what):
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        code = self.process.returncode
        self._stop()
        raise WorkerDied(code, self.output_log[-1], what)

    def call(self, target, *args, **kwargs):
        """Call `lib.<target>` (e.g. 'linear_svm.svm_loss_naive') and return its decoded value."""
        return self._request({"op": "call", "target": target}, args, kwargs, target, module=_module(target))

    def call_reporting_changes(self, target, *args):
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

    def new(self, target, *args, **kwargs):
        """Construct `lib.<target>(*args)` in the worker and return a RemoteObject for it."""
        handle = self._request({"op": "call", "target": target, "keep": True}, args, kwargs, target,
                               module=_module(target))
        return RemoteObject(self, handle, self.generation)

    def map(self, target, args_list):
        """Call `lib.<target>(*args)` for each args tuple in one round trip; list of values."""
        return self._request({"op": "map", "target": target}, [list(a) for a in args_list], {},
                             target, module=_module(target))

    def time(self, target, *args, repeat=5):
        """Seconds taken by each of `repeat` calls of `lib.<target>(*args)` inside the worker."""
        return self._request({"op": "time", "target": target, "repeat": repeat}, args, {}, target,
                             module=_module(target))

    def run(self, routine, *args):
        """Run `worker_side.<routine>(*args)` in the worker (e.g. 'backprop.evaluate_graph')."""
        return self._request({"op": "run", "target": routine}, args, {}, routine)

    def function(self, target):
        """A plain callable that calls `lib.<target>` in the worker (e.g. for gradient checks)."""
        return lambda *args, **kwargs: self.call(target, *args, **kwargs)
