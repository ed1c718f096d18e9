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
Answers: {"ok": true, "value": ...} or {"ok": false, "error": {"type", "message", "where"}}.
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


class Worker:
    def __init__(self, submission_dir):
        self.lib_dir = os.path.join(submission_dir, "lib")
        self.objects = {}

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

    def build_function(self, name, args):
        """The function a check passed by name: worker_side.<name>(*args)."""
        return self.check_side(name)(*args)

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
        args = [wire.decode(a, arrays, self.resolve, self.build_function) for a in request.get("args", [])]
        kwargs = {k: wire.decode(v, arrays, self.resolve, self.build_function)
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
        if op == "ping":
            return "pong", False
        raise ValueError(f"unknown request {op!r}")


def where_in_lib(tb, lib_dir):
    """The innermost frame of the traceback that is in the student's lib/, as 'lib/x.py:12 in f'."""
    place = ""
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename).startswith(lib_dir + os.sep):
            rel = os.path.relpath(frame.filename, os.path.dirname(lib_dir))
            place = f"{rel}:{frame.lineno} in {frame.name}"
    return place


def safe_str(exc):
    """str(exc), even when the student's exception class makes str() itself fail."""
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001
        return f"<{type(exc).__name__} whose message could not be read>"


def serve(submission_dir, request_fd, response_fd):
    worker = Worker(submission_dir)
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    while True:
        try:
            header, arrays = wire.read_message(requests)
        except EOFError:
            return
        header["_arrays"] = arrays
        try:
            value, keep = worker.handle(header)
            if keep:
                answer = wire.pack({"ok": True}, wire.Handle(worker.keep(value), type(value).__name__))
            else:
                answer = wire.pack({"ok": True}, value)
        except wire.WireError as exc:
            answer = {"ok": False, "error": {"type": "UnsupportedValue",
                                             "message": f"returned {exc}, which the grader cannot use; "
                                                        "return floats, ints or numpy arrays",
                                             "where": ""}}, []
        # Student code may raise anything, SystemExit and KeyboardInterrupt included: report it.
        except BaseException as exc:  # noqa: BLE001
            answer = {"ok": False, "error": {"type": type(exc).__name__,
                                             "message": safe_str(exc)[:2000],
                                             "where": where_in_lib(exc.__traceback__, worker.lib_dir)}}, []
        wire.write_message(responses, *answer)


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
    serve(submission, request_fd, response_fd)
