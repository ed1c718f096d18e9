"""The sandboxed worker: imports the student's `lib/` and runs the calls the grader asks for.

Started by `autograder.sandbox.proxy.Sandbox` as

    python -I -S worker.py SUBMISSION_DIR REQUEST_FD RESPONSE_FD
    python -I -S worker.py SUBMISSION_DIR stdio      (where descriptors cannot be passed: Windows)

with this file and `wire.py` copied into a private folder, the student's `lib/` copied into
SUBMISSION_DIR (also its working directory), a scrubbed environment and resource limits. The
grader writes requests on REQUEST_FD and reads answers on RESPONSE_FD; the student's own
prints go to stdout/stderr, which the grader captures separately, so nothing the student
prints can be mistaken for an answer. With `stdio`, requests come on stdin and answers go to
the original stdout, while the student's prints (fd 1 from then on) go to stderr.

Requests (JSON headers, see wire.py):
  {"op": "call",    "target": "linear_svm.svm_loss_naive", "args": [...], "kwargs": {...},
                    "keep": false}          -> the value (kept in the worker as a handle if "keep")
  {"op": "method",  "handle": h, "name": "train", "args": [...], "kwargs": {...}}
  {"op": "getattr", "handle": h, "name": "W"}
  {"op": "setattr", "handle": h, "name": "W", "args": [value]}
  {"op": "call_reporting_changes", "target": ..., "args": [...]}
                    -> (value, [positions of the array arguments that the call modified],
                        [those arguments as the call left them])
  {"op": "map",     "target": ..., "args": [[...], [...]]}   -> list of values, one call each
  {"op": "import",  "module": "linear_svm"}    -> None, once lib.linear_svm is imported
  {"op": "run",     "target": "backprop.routine", "args": [...]}  -> worker_side routine's value
  {"op": "time",    "target": ..., "args": [...], "repeat": n} -> list of seconds per call
  {"op": "line_events", "target": ..., "args": [[...], [...]]}
                    -> [[lines, target seen, tracer intact], ...], one call each under a line
                       counter (count_lines)
Answers: {"ok": true, "value": ...} or {"ok": false, "error": {"type", "message", "where"}}.
The first request of a worker ("ping") carries the grader's AnswerBudget, which the worker applies
to what it sends, so that a value the grader would refuse is refused here with a message that
names the student's function.

A function the grader passes ({"__callback__": id}, wire.TrustedFunction) reaches the student's
code as a `GraderFunction`. Calling it writes {"callback": id, "args": [...]} on the answer
channel and waits on the request channel for {"reply": true, "ok": true, "value": ...} (or
"ok": false with an "error" text, raised as ValueError in the student's code); the grader's
answer to the request itself comes only after the call returns.
Only this file, wire.py and the check-side package worker_side run here; no grader module and no
reference solution is importable.
"""
import importlib
import os
import sys
import time
import traceback

# `python -I -S` puts neither the script's folder, the working directory nor site-packages on
# sys.path: this folder (wire.py) and the folder numpy is installed in (GRADLAB_PACKAGES) go there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("GRADLAB_PACKAGES"):
    sys.path.append(os.environ["GRADLAB_PACKAGES"])
import numpy as np  # noqa: E402
import wire  # noqa: E402  (copied beside this file)

LIB_PREFIX = "lib."

# The interpreter's own tracing functions, taken before any lib module is imported, so that lib
# code that replaces sys.settrace or sys.gettrace changes nothing the line counter relies on.
SETTRACE, GETTRACE = sys.settrace, sys.gettrace
# Code in these folders is not the student's: the standard library, numpy, and this worker.
TRUSTED_FOLDERS = tuple(os.path.join(os.path.realpath(folder), "") for folder in {
    os.path.dirname(os.__file__), os.path.dirname(np.__file__), os.path.dirname(os.path.abspath(__file__))})


MESSAGE_CHARS = 2000   # an error message the worker sends (the grader caps it again)
WHERE_CHARS = 200


class GraderFunction:
    """A function of the grader's as the student's code gets it: calling it asks the grader for
    its value (Channel.call_grader). It holds nothing but its id and the channel, so inspecting
    it (attributes, gc referents, frames) shows nothing of what the grader computes with."""

    __slots__ = ("_id", "_channel")

    def __init__(self, callback_id, channel):
        self._id, self._channel = callback_id, channel

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError("The function the grader passed to your code takes positional arguments only; "
                            f"it was called with keyword arguments {', '.join(map(str, kwargs))}.")
        return self._channel.call_grader(self._id, args)

    def __repr__(self):
        return "<function provided by the grader>"


class Channel:
    """The worker's two pipes to the grader: requests and replies come in, answers and calls of
    grader functions go out, under the grader's AnswerBudget."""

    def __init__(self, requests, responses):
        self.requests, self.responses = requests, responses
        self.budget = wire.AnswerBudget()

    def receive(self):
        return wire.read_message(self.requests)

    def send(self, parts):
        for part in wire.coalesced(parts):
            self.responses.write(part)
        self.responses.flush()

    def call_grader(self, callback_id, args):
        arrays = []
        try:
            encoded = [wire.encode(a, arrays, budget=self.budget) for a in args]
            parts = wire.frame({"callback": callback_id, "args": encoded, "arrays": len(arrays)}, arrays,
                               self.budget)
        except wire.WireError as exc:
            raise TypeError(f"The function the grader passed to your code takes numbers and numpy arrays; "
                            f"it was called with {exc}.") from None
        self.send(parts)
        reply, reply_arrays = self.receive()
        if not reply.get("reply"):
            raise RuntimeError("The grader did not answer the call of its function.")
        if reply.get("ok"):
            return wire.decode(reply.get("value"), reply_arrays)
        raise ValueError(str(reply.get("error", "")))


class Worker:
    def __init__(self, submission_dir, channel=None):
        self.lib_dir = os.path.join(submission_dir, "lib")
        self.objects = {}
        self.channel = channel

    # -- handles for objects that cannot cross the wire -------------------------------------
    def keep(self, obj):
        handle_id = len(self.objects) + 1
        self.objects[handle_id] = obj
        return handle_id

    def resolve(self, handle_id):
        try:
            return self.objects[int(handle_id)]
        except (KeyError, ValueError):
            raise LookupError(f"no object with handle {handle_id!r} in the worker") from None

    def check_side(self, name):
        """worker_side.<module>.<name>, for a name listed in that module's __all__."""
        module_name, _, attr = name.rpartition(".")
        module = importlib.import_module(f"worker_side.{module_name}")
        if attr not in getattr(module, "__all__", ()):
            raise LookupError(f"no check-side function named {name!r}")
        return getattr(module, attr)

    def grader_function(self, callback_id):
        """The opaque callable of a function that stays in the grader ({"__callback__": id})."""
        if type(callback_id) is not int:
            raise LookupError(f"no grader function with id {str(callback_id)[:20]!r}")
        return GraderFunction(callback_id, self.channel)

    # -- targets --------------------------------------------------------------------------
    def target(self, name):
        """'linear_classifier.LinearSVM' -> the attribute of the student's lib module."""
        module_name, _, attr_path = name.partition(".")
        module = importlib.import_module(LIB_PREFIX + module_name)
        obj = module
        for attr in attr_path.split("."):
            obj = getattr(obj, attr)
        return obj

    def handle(self, request):
        op = request["op"]
        arrays = request["_arrays"]
        args = [wire.decode(a, arrays, self.resolve, self.grader_function) for a in request.get("args", [])]
        kwargs = {k: wire.decode(v, arrays, self.resolve, self.grader_function)
                  for k, v in request.get("kwargs", {}).items()}
        if op == "call":
            result = self.target(request["target"])(*args, **kwargs)
            return result, request.get("keep", False)
        if op == "call_reporting_changes":
            before = {i: a.copy() for i, a in enumerate(args) if type(a) is np.ndarray}
            result = self.target(request["target"])(*args, **kwargs)
            modified = [i for i, a in before.items()
                        if a.shape != args[i].shape or a.tobytes() != args[i].tobytes()]
            # The inputs as the call left them, so the grader can tell how they were changed.
            return (result, modified, [args[i] for i in modified]), False
        if op == "method":
            method = getattr(self.resolve(request["handle"]), request["name"])
            return method(*args, **kwargs), request.get("keep", False)
        if op == "getattr":
            return getattr(self.resolve(request["handle"]), request["name"]), False
        if op == "setattr":
            setattr(self.resolve(request["handle"]), request["name"], args[0])
            return None, False
        if op == "map":
            fn = self.target(request["target"])
            return [fn(*call_args) for call_args in args], False
        if op == "time":
            fn = self.target(request["target"])
            seconds = []
            for _ in range(int(request.get("repeat", 5))):
                start = time.perf_counter()
                fn(*args, **kwargs)
                seconds.append(time.perf_counter() - start)
            return seconds, False
        if op == "run":
            return self.check_side(request["target"])(*args, **kwargs), False
        if op == "import":
            importlib.import_module(LIB_PREFIX + request["module"])
            return None, False
        if op == "line_events":
            fn = self.target(request["target"])
            return [count_lines(fn, call_args) for call_args in args], False
        if op == "ping":
            return "pong", False
        raise ValueError(f"unknown request {op!r}")


class LineCounter:
    """A trace function that counts the line events of code outside TRUSTED_FOLDERS: the
    student's lib/ modules, their own helper modules and any code they compile from strings.

    Installed with SETTRACE, it is called for every new frame and traces only the frames it
    counts (numpy's and the standard library's run untraced, so tracing costs little)."""

    def __init__(self, target_code):
        self.target_code = target_code
        self.lines = 0
        self.target_seen = False
        self._trusted = {}

    def __call__(self, frame, event, arg):
        filename = frame.f_code.co_filename
        trusted = self._trusted.get(filename)
        if trusted is None:
            trusted = self._trusted[filename] = is_trusted(filename)
        return None if trusted else self.count

    def count(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if frame.f_code is self.target_code:
                self.target_seen = True
        return self.count


def is_trusted(filename):
    """Whether code from `filename` is the standard library's, numpy's or the worker's own
    (frozen modules are the standard library's; strings compiled by the student's code are not)."""
    if filename.startswith("<frozen "):
        return True
    if filename.startswith("<"):
        return False
    return os.path.join(os.path.realpath(filename), "").startswith(TRUSTED_FOLDERS)


def count_lines(fn, args):
    """[lines of non-trusted code that ran, whether `fn`'s own code ran, whether the counter was
    still the active tracer at the end] for one call `fn(*args)`.

    This measures inside the process that runs the student's code, so it is only as strong as
    the static rules (static_loops) that forbid lib code to reach tracing, frames or the
    interpreter's internals: code that did could switch the counter off and on again unseen."""
    counter = LineCounter(getattr(fn, "__code__", None))
    SETTRACE(counter)
    try:
        fn(*args)
    finally:
        intact = GETTRACE() is counter
        SETTRACE(None)
    return [counter.lines, counter.target_seen, intact]


def where_in_lib(tb, lib_dir):
    """The innermost frame of the traceback that is in the student's lib/, as 'lib/x.py:12 in f'."""
    place = ""
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename).startswith(lib_dir + os.sep):
            rel = os.path.relpath(frame.filename, os.path.dirname(lib_dir))
            place = f"{rel}:{frame.lineno} in {frame.name}"
    return place[:WHERE_CHARS]


def safe_str(exc):
    """str(exc), even when the student's exception class makes str() itself fail."""
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001
        return f"<{type(exc).__name__} whose message could not be read>"


def error_answer(exc_type, message, where=""):
    return wire.frame({"ok": False, "error": {"type": exc_type, "message": message[:MESSAGE_CHARS],
                                              "where": where}, "arrays": 0})


def student_error(exc, lib_dir):
    """The answer that reports an exception the student's code raised."""
    try:
        where = where_in_lib(exc.__traceback__, lib_dir)
    except Exception:  # noqa: BLE001 - a traceback whose files the student's code changed
        where = ""
    return error_answer(type(exc).__name__, safe_str(exc), where)


def source_of(request, worker):
    """What produced the value of `request`, in the student's terms ('linear_svm.svm_loss_naive',
    'LinearSVM.train'), and the verb for it."""
    op = request.get("op")
    if op in ("method", "getattr", "setattr"):
        try:
            owner = type(worker.resolve(request.get("handle"))).__name__
        except LookupError:
            owner = "object"
        name = f"{owner}.{request.get('name')}"
        return (f"The attribute {name}", "holds") if op == "getattr" else (name, "returned")
    return str(request.get("target") or request.get("module") or op), "returned"


def answer(worker, request, arrays):
    """The framed answer to one request; never raises (whatever goes wrong becomes an error)."""
    if "budget" in request:
        worker.channel.budget = wire.AnswerBudget(**request["budget"])
    request["_arrays"] = arrays
    # Student code may raise anything, SystemExit and KeyboardInterrupt included: report it.
    try:
        value, keep = worker.handle(request)
    except BaseException as exc:  # noqa: BLE001
        return student_error(exc, worker.lib_dir)
    budget = worker.channel.budget
    try:
        if keep:
            value = wire.Handle(worker.keep(value), type(value).__name__)
        return wire.frame(*wire.pack({"ok": True}, value, budget=budget), budget=budget)
    except wire.WireError as exc:
        subject, verb = source_of(request, worker)
        return error_answer("UnsupportedValue", f"{subject} {verb} {exc}, which the grader cannot use; "
                                                "return floats, ints or numpy arrays.")
    # Encoding touches only exact built-in and numpy types, so what remains is running out of
    # memory or of stack (a recursion limit the student's code lowered): report it, never a traceback.
    except BaseException as exc:  # noqa: BLE001
        subject, verb = source_of(request, worker)
        return error_answer("UnsupportedValue", f"{subject} {verb} a value the worker could not send "
                                                f"({type(exc).__name__}); return floats, ints or numpy arrays "
                                                "of moderate size.")


def serve(submission_dir, request_fd, response_fd):
    channel = Channel(os.fdopen(request_fd, "rb"), os.fdopen(response_fd, "wb"))
    worker = Worker(submission_dir, channel)
    while True:
        try:
            request, arrays = channel.receive()
        except EOFError:
            return
        channel.send(answer(worker, request, arrays))


def standard_streams_as_channel():
    """(request_fd, response_fd) taken over from stdin and stdout; from then on the student's
    prints (fd 1) go to stderr and reading stdin gives end of file."""
    request_fd, response_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if os.name == "nt":  # no newline translation on the channel
        import msvcrt
        for fd in (request_fd, response_fd):
            msvcrt.setmode(fd, os.O_BINARY)
    return request_fd, response_fd


if __name__ == "__main__":
    submission = sys.argv[1]
    if sys.argv[2] == "stdio":
        request_fd, response_fd = standard_streams_as_channel()
    else:
        request_fd, response_fd = int(sys.argv[2]), int(sys.argv[3])
    # The submission folder first, so `import lib` finds the student's copy and nothing else.
    sys.path.insert(0, submission)
    os.chdir(submission)
    try:
        serve(submission, request_fd, response_fd)
    # The channel itself failed (the grader went away, or the student's code closed or replaced
    # what the worker uses to talk to it): end without a traceback of the worker's own code.
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(2, f"The worker stopped: its channel to the grader failed ({type(exc).__name__}).\n".encode())
        finally:
            os._exit(1)
