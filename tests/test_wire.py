"""The wire under attack: whole-message deadlines, write deadlines, one budget per answer, exotic
values refused with the student's function named, capped messages, and grader-side callbacks that
reveal nothing but their values. Honest round trips stay exact."""
import io
import json
import os
import resource
import struct
import textwrap
import time

import numpy as np
import pytest

from autograder.sandbox import isolation, proxy, wire
from autograder.sandbox.proxy import (
    AnswerBudget,
    Limits,
    Sandbox,
    SandboxError,
    SandboxTimeout,
    StudentError,
    TrustedFunction,
    WorkerDied,
)

# Student code that forges messages writes them straight to the answer descriptor, as an attacker
# would (the worker's argv names it).
STUDENT_MODULE = r'''
import gc
import json
import os
import struct
import sys
import time

import numpy as np

def answer_fd():
    return int(sys.argv[3])

def forge(header, lengths=(), body=b""):
    head = json.dumps(header).encode()
    data = struct.pack(">I", len(head)) + head + b"".join(struct.pack(">Q", n) for n in lengths) + body
    os.write(answer_fd(), data)

def double(x):
    return x * 2

def identity(x):
    return x

def one_byte_then_sleep():
    os.write(answer_fd(), b"\0")
    time.sleep(600)

def forged_answer_then_sleep():
    forge({"ok": True, "value": 1, "arrays": 0})
    time.sleep(600)

def three_huge_arrays_forged():
    forge({"ok": True, "value": [{"__array__": 0}, {"__array__": 1}, {"__array__": 2}], "arrays": 3},
          lengths=[1 << 30])
    time.sleep(600)

def three_huge_arrays():
    return [np.broadcast_to(np.float64(1.0), (1 << 27,)) for _ in range(3)]

def forged_long_error(size):
    forge({"ok": False, "error": {"type": "ValueError", "message": "A" * size, "where": "w" * 5000}, "arrays": 0})
    time.sleep(600)

def forged_bigint():
    head = b'{"ok": true, "value": 1' + b"0" * 399 + b', "arrays": 0}'
    os.write(answer_fd(), struct.pack(">I", len(head)) + head)
    time.sleep(600)

def forged_deep():
    head = b'{"ok": true, "arrays": 0, "value": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    os.write(answer_fd(), struct.pack(">I", len(head)) + head)
    time.sleep(600)

def surrogate_error():
    raise ValueError("bad \udc80 byte")

def long_error():
    raise ValueError("B" * 1_000_000)

def print_and_die():
    sys.stdout.write("C" * 1_000_000)
    sys.stdout.flush()
    os._exit(3)

def big_int(digits):
    return 10 ** (digits - 1)

def int64_edges():
    return (2 ** 63 - 1, -2 ** 63)

class HostileFloat(float):
    def __eq__(self, other):
        return True
    def __float__(self):
        raise RuntimeError("hostile")

def hostile_float():
    return HostileFloat(1.0)

class SubInt(int):
    pass

class SubList(list):
    pass

class SubDict(dict):
    pass

class SubArray(np.ndarray):
    pass

def exotic(kind):
    return {"int": SubInt(3), "list": SubList([1]), "dict": SubDict(a=1), "subarray": np.zeros(2).view(SubArray),
            "complex": np.zeros(2, complex), "void": np.zeros(2, "V8"), "strings": np.array(["a"]),
            "object": np.array([None]), "structured": np.zeros(2, [("a", "f8")])}[kind]

def deep_list(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

def break_the_worker():
    import wire
    wire.frame = None
    return 1

def use(f, x):
    return f(x)

def loss_and_grad(f, W):
    loss, grad = f(W)
    grad[...] = 0
    return loss, f(W)[1]

def id_of(f):
    return f._id

def forged_callback(callback_id):
    forge({"callback": callback_id, "args": [1.0], "arrays": 0})
    time.sleep(600)

def call_many(f, n):
    for _ in range(n):
        f(np.ones(2))
    return n

def call_forever(f):
    while True:
        f(np.ones(2))

def call_with_object(f):
    return f(object())

def call_with_keyword(f):
    return f(x=1)

def catch_and_report(f, x):
    try:
        f(x)
    except ValueError as exc:
        return str(exc)

class Keeper:
    def __init__(self, f):
        self.f = f
    def apply(self, x):
        return self.f(x)

def holds(obj, secret, depth=0):
    """Whether `obj` (a number, an array, a cell or a container of them) holds `secret`."""
    if depth > 3:
        return False
    try:
        if isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
            return bool(np.any(np.isclose(obj, secret, rtol=0, atol=1e-12)))
        if type(obj) is float:
            return abs(obj - secret) < 1e-12
        if type(obj).__name__ == "cell":
            return holds(obj.cell_contents, secret, depth + 1)
        if isinstance(obj, (tuple, list)):
            return any(holds(o, secret, depth + 1) for o in obj)
        if isinstance(obj, dict):
            return any(holds(o, secret, depth + 1) for o in obj.values())
    except Exception:
        return False
    return False

def inspect_everything(f, clue):
    """Everything introspection finds of f, searched for the secret number (clue / 3) the grader's
    function closes over; returns the places it was found. The clue is not the secret itself, so
    that this function's own arguments do not count as finds."""
    secret, found = clue / 3, []
    for attr in ("__closure__", "__code__", "__defaults__", "__kwdefaults__", "__dict__", "__globals__",
                 "__wrapped__", "__self__", "__func__"):
        value = getattr(f, attr, None)
        if value is not None and holds(value if not hasattr(value, "co_consts") else value.co_consts, secret):
            found.append(attr)
    for slot in getattr(type(f), "__slots__", ()):
        if holds(getattr(f, slot, None), secret):
            found.append(slot)
    seen, frontier = set(), [f]
    for _ in range(4):
        nxt = []
        for obj in frontier:
            for ref in gc.get_referents(obj):
                if id(ref) not in seen and not isinstance(ref, type):
                    seen.add(id(ref))
                    nxt.append(ref)
                    if holds(ref, secret):
                        found.append(f"referent {type(ref).__name__}")
        frontier = nxt
    f(np.array([0.5, 0.25]))  # the grader uses its data meanwhile (no value it returns equals the secret)
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is not inspect_everything.__code__ and holds(list(frame.f_locals.values()), secret):
            found.append(f"frame {frame.f_code.co_name}")
        frame = frame.f_back
    for obj in gc.get_objects():  # a loop, not a generator: that would put `secret` in a cell
        if holds(obj, secret):
            found.append("gc.get_objects")
            break
    return found

def inspect_a_local_closure(clue):
    data = np.full(2, clue / 3)
    def g(x):
        return float(data @ x)
    return inspect_everything(g, clue)
'''


@pytest.fixture
def submission(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "w.py").write_text(textwrap.dedent(STUDENT_MODULE))
    return tmp_path


def message_bytes(header, arrays=()):
    return b"".join(wire.frame(header, arrays))


def read(data, budget=AnswerBudget()):
    return wire.read_message(io.BytesIO(data), budget)


# --- honest values cross unchanged ---------------------------------------------------------------

def test_honest_values_round_trip_exactly_under_the_budget():
    arrays = [np.arange(12, dtype=np.int16).reshape(3, 4), np.asfortranarray(np.ones((2, 3))),
              np.array(2.5), np.zeros((0, 4)), np.array([True, False]), np.arange(3, dtype=">f8"),
              np.float32([1.5, 2.5])]
    value = (2 ** 63 - 1, -2 ** 63, np.int64(7), np.uint8(200), np.float16(0.5), np.bool_(False),
             float("inf"), "ü" * 100, [arrays, {"k": (None, True)}])
    header, out = wire.pack({"ok": True}, value, budget=AnswerBudget())
    back_header, back_arrays = read(message_bytes(header, out))
    back = wire.decode(back_header["value"], back_arrays)
    assert back[:6] == (2 ** 63 - 1, -2 ** 63, 7, 200, 0.5, False) and back[6] == float("inf")
    assert type(back[2]) is int and type(back[4]) is float and type(back[5]) is bool
    assert back[7] == "ü" * 100 and back[8][1] == {"k": (None, True)}
    for sent, got in zip(arrays, back[8][0]):
        assert got.dtype == sent.dtype and got.shape == sent.shape and np.array_equal(got, sent)
        assert got.flags.writeable and got.flags.aligned
    assert back[8][0][1].flags.f_contiguous


# --- the budget, checked before anything is allocated --------------------------------------------

def test_three_arrays_of_a_gib_are_refused_at_the_first_length_before_any_is_read():
    head = json.dumps({"ok": True, "value": None, "arrays": 3}).encode()
    stream = io.BytesIO(struct.pack(">I", len(head)) + head + struct.pack(">Q", 1 << 30) + b"\0" * 64)
    with pytest.raises(wire.WireError, match=r"an array of 1024.0 MiB \(at most 64.0 MiB each\)"):
        wire.read_message(stream, AnswerBudget())
    assert stream.tell() == 4 + len(head) + 8, "nothing of the array was read"


def test_the_total_is_checked_before_the_array_that_would_exceed_it():
    budget = AnswerBudget(total_bytes=3000, array_bytes=2000)
    data = message_bytes({"arrays": 2}, [np.zeros(200), np.zeros(200)])  # two blobs of 1728 bytes
    stream = io.BytesIO(data)
    with pytest.raises(wire.WireError, match="arrays of more than 3000 bytes in one answer"):
        wire.read_message(stream, budget)
    first_blob = len(wire.frame({}, [np.zeros(200)])[3])
    assert stream.tell() < len(data) - first_blob + 8


@pytest.mark.parametrize("header, budget, refusal", [
    ({"arrays": 5000}, AnswerBudget(), r"5000 arrays in one message \(at most 4096\)"),
    ({"arrays": -1}, AnswerBudget(), "-1 arrays"),
    ({"value": "x" * 70000}, AnswerBudget(), r"a string of 70000 bytes \(at most 65536\)"),
    ({"value": list(range(1000))}, AnswerBudget(header_bytes=1000), r"takes 4\d\d\d bytes \(at most 1000 bytes\)"),
    ({"value": 10 ** 30}, AnswerBudget(), "an integer with 31 digits"),
    ({"value": {"__float__": "1e400"}}, AnswerBudget(), "a float spelled"),
    ({"value": {"__array__": 3}}, AnswerBudget(), "a reference to array 3 of a message with 0 arrays"),
])
def test_a_message_over_its_budget_or_malformed_is_refused_with_a_reason(header, budget, refusal):
    with pytest.raises(wire.WireError, match=refusal):
        got, arrays = read(message_bytes(header), budget)
        wire.decode(got.get("value"), arrays)


def test_deep_json_is_refused_before_parsing_so_the_grader_cannot_run_out_of_stack():
    head = b'{"value": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(wire.WireError, match=r"nested 200001 levels deep \(at most 64\)"):
        read(struct.pack(">I", len(head)) + head)
    # Brackets inside strings are text, not nesting.
    header, _ = read(message_bytes({"value": "[" * 1000}))
    assert header["value"] == "[" * 1000


def test_an_npy_header_that_lies_about_its_shape_or_dtype_is_refused_without_allocating():
    def npy(descr, shape, body):
        text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
        text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body
    for blob, refusal in [(npy("<f8", (10 ** 12,), b"\0" * 8), r"shape \(1000000000000,\)"),
                          (npy("|O", (1,), b"\0" * 8), "dtype object"),
                          (npy("<c16", (1,), b"\0" * 16), "dtype complex128"),
                          (b"not an npy file at all", "cannot be read")]:
        head = json.dumps({"arrays": 1}).encode()
        with pytest.raises(wire.WireError, match=refusal):
            read(struct.pack(">I", len(head)) + head + struct.pack(">Q", len(blob)) + blob)


# --- exotic values, refused by the encoder without dying -----------------------------------------

class _Float(float):
    def __eq__(self, other):
        return True


class _Array(np.ndarray):
    pass


@pytest.mark.parametrize("value, refusal", [
    (2 ** 63, "an integer with 19 digits"), (-2 ** 63 - 1, "an integer with 19 digits"),
    (10 ** 399, "an integer with 400 digits"), (10 ** 5000, "an integer with 5001 digits"),
    (_Float(1.0), r"type _Float \(a subclass of float\)"),
    (np.zeros(2).view(_Array), r"an array of type _Array \(a subclass of numpy.ndarray\)"),
    (np.zeros(2, complex), "dtype complex128"), (np.zeros(2, "V8"), "dtype"),
    (np.zeros(2, [("a", "f8")]), "dtype"), (np.array(["a"]), "dtype <U1"),
    ("s" * 70000, "a string of 70000 characters"),
], ids=lambda v: type(v).__name__ if not isinstance(v, str) else v[:30])
def test_exotic_values_are_refused_by_what_they_are(value, refusal):
    with pytest.raises(wire.WireError, match=refusal):
        wire.pack({}, value, budget=AnswerBudget())


def test_nesting_is_refused_at_the_budget_depth_without_recursion_errors():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested more than 62 levels deep"):
        wire.pack({}, deep)
    shallow = []
    for _ in range(61):
        shallow = [shallow]
    header, arrays = wire.pack({"ok": True}, shallow)
    assert wire.decode(read(message_bytes(header, arrays))[0]["value"], []) == shallow


def test_a_trusted_function_crosses_only_from_the_grader_and_only_as_an_id():
    trusted = TrustedFunction(lambda x: x, "f")
    with pytest.raises(wire.WireError, match="only the grader can pass"):
        wire.pack({}, trusted)
    assert wire.encode([trusted], [], callbacks=lambda t: t.id) == [{"__callback__": trusted.id}]
    with pytest.raises(wire.WireError, match="only the grader can send"):
        wire.decode({"__callback__": 1}, [])
    with pytest.raises(wire.WireError, match="reference to an object in the worker"):
        wire.decode_plain([{"__handle__": 1}], [])


# --- deadlines on whole messages and on writes ---------------------------------------------------

def test_a_call_that_writes_one_byte_and_sleeps_times_out_and_grading_goes_on(submission):
    with Sandbox(submission, Limits(call_seconds=1.0)) as sandbox:
        started = time.monotonic()
        with pytest.raises(SandboxTimeout, match="w.one_byte_then_sleep did not finish within the time limit of 1 s"):
            sandbox.call("w.one_byte_then_sleep")
        assert time.monotonic() - started < 5
        assert sandbox.call("w.double", 21) == 42


def test_one_byte_at_import_then_sleep_is_an_import_timeout(submission):
    (submission / "lib" / "stall.py").write_text(
        "import os, sys, time\nos.write(int(sys.argv[3]), b'\\0')\ntime.sleep(600)\n")
    with Sandbox(submission, Limits(import_seconds=1.0)) as sandbox:
        with pytest.raises(SandboxTimeout, match="importing lib/stall.py did not finish within the time limit"):
            sandbox.call("stall.anything")
        assert sandbox.call("w.double", 1) == 2


def test_a_worker_that_stops_reading_cannot_block_the_grader_in_write(submission, monkeypatch):
    overdue_writes = []

    def watched(fd, parts, deadline):
        try:
            proxy_write(fd, parts, deadline)
        except wire.Overdue:
            overdue_writes.append(sum(len(p) for p in parts))
            raise
    proxy_write = proxy._write_before
    monkeypatch.setattr(proxy, "_write_before", watched)
    with Sandbox(submission, Limits(call_seconds=1.5)) as sandbox:
        assert sandbox.call("w.forged_answer_then_sleep") == 1  # the forged answer is all it gets
        big = np.zeros(4 << 20)   # 32 MB: far more than a pipe holds, so writing it must wait
        started = time.monotonic()
        with pytest.raises(SandboxTimeout, match="w.identity did not finish"):
            sandbox.call("w.identity", big)
        assert time.monotonic() - started < 5
        assert len(overdue_writes) == 1 and overdue_writes[0] > 32 << 20, "the write, not a read, ran out of time"
        assert sandbox.call("w.double", 2) == 4


def test_the_thread_inbox_and_writer_keep_one_deadline_per_message():
    """The Windows path (no select on pipes), exercised on pipes here."""
    read_fd, write_fd = os.pipe()
    inbox = proxy._ThreadInbox(os.fdopen(read_fd, "rb", buffering=0))
    os.write(write_fd, b"\0")
    started = time.monotonic()
    with pytest.raises(wire.Overdue):
        inbox.read(time.monotonic() + 0.5, AnswerBudget())
    assert 0.4 < time.monotonic() - started < 3
    os.close(write_fd)
    with pytest.raises(EOFError):
        inbox.read(time.monotonic() + 5, AnswerBudget())
    read_fd, write_fd = os.pipe()
    stream = os.fdopen(write_fd, "wb")
    with pytest.raises(wire.Overdue):  # nobody reads: the write cannot finish
        proxy._write_in_thread(stream, [b"\0" * (4 << 20)], time.monotonic() + 0.5)
    os.close(read_fd)


def test_the_stdio_channel_keeps_deadlines_and_callbacks(submission, monkeypatch):
    """The channel used where descriptors cannot be passed, forced on this platform."""
    features = dict(isolation.platform_features(), pass_fds=False, select_pipes=False)
    monkeypatch.setattr(isolation, "platform_features", lambda: features)
    with Sandbox(submission, Limits(call_seconds=1.0)) as sandbox:
        assert sandbox.call("w.use", TrustedFunction(lambda x: 2 * x, "twice"), 4) == 8
        with pytest.raises(SandboxTimeout):
            sandbox.call("w.call_forever", TrustedFunction(lambda x: 0.0, "zero"))
        assert sandbox.call("w.double", 3) == 6


# --- the budget at the sandbox: the grader's memory stays bounded --------------------------------

def test_three_gib_arrays_are_refused_forged_or_sent_and_the_grader_stays_small(submission):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Sandbox(submission) as sandbox:
        with pytest.raises(SandboxError, match=r"w.three_huge_arrays_forged returned an array of 1024.0 MiB "
                                               r"\(at most 64.0 MiB each\)"):
            sandbox.call("w.three_huge_arrays_forged")
        with pytest.raises(StudentError, match=r"^w.three_huge_arrays returned an array of 1024.0 MiB"):
            sandbox.call("w.three_huge_arrays")
        assert sandbox.call("w.double", 1) == 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 200_000  # KiB


# --- exotic values at the sandbox: the student's function is named --------------------------------

def test_exotic_values_name_the_students_function_and_the_worker_survives(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(StudentError) as big:
            sandbox.call("w.big_int", 400)
        assert str(big.value) == ("w.big_int returned an integer with 400 digits, which the grader cannot use; "
                                  "return floats, ints or numpy arrays.")
        with pytest.raises(StudentError, match="w.big_int returned an integer with 5001 digits"):
            sandbox.call("w.big_int", 5001)
        assert sandbox.call("w.int64_edges") == (2 ** 63 - 1, -2 ** 63)
        with pytest.raises(StudentError, match=r"w.hostile_float returned an object of type HostileFloat "
                                               r"\(a subclass of float\)"):
            sandbox.call("w.hostile_float")
        for kind, phrase in [("int", "a subclass of int"), ("list", "a subclass of list"),
                             ("dict", "a subclass of dict"), ("subarray", "a subclass of numpy.ndarray"),
                             ("complex", "dtype complex128"), ("void", "dtype |V8"), ("strings", "dtype <U1"),
                             ("object", "dtype object"), ("structured", "dtype")]:
            with pytest.raises(StudentError, match=rf"^w.exotic returned .*{phrase}"):
                sandbox.call("w.exotic", kind)
        with pytest.raises(StudentError, match="w.deep_list returned a value nested more than 62 levels deep"):
            sandbox.call("w.deep_list", 100_000)
        assert sandbox.call("w.deep_list", 3) == [[[[]]]]
        keeper = sandbox.new("w.Keeper", TrustedFunction(abs, "abs"))
        with pytest.raises(StudentError, match=r"^The attribute Keeper.f holds an object of type GraderFunction"):
            keeper.get("f")
        assert sandbox.call("w.double", 5) == 10


def test_forged_exotic_answers_are_refused_by_the_grader(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(SandboxError, match="w.forged_bigint returned an integer with 400 digits"):
            sandbox.call("w.forged_bigint")
        with pytest.raises(SandboxError, match=r"w.forged_deep returned a value nested 100001 levels deep"):
            sandbox.call("w.forged_deep")
        assert sandbox.call("w.double", 1) == 2


def test_the_workers_own_failure_shows_no_traceback_of_its_code(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(WorkerDied) as died:
            sandbox.call("w.break_the_worker")
        text = str(died.value) + sandbox.student_output()
        assert "its channel to the grader failed (TypeError)" in text
        assert "Traceback" not in text and "worker.py" not in text


# --- stored messages are capped ------------------------------------------------------------------

def test_error_messages_are_capped_on_the_grader_side_even_when_forged(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(StudentError) as forged:
            sandbox.call("w.forged_long_error", 60_000)
        assert len(forged.value.message) < 2100 and "more characters]" in forged.value.message
        assert len(str(forged.value)) < 2600
    with Sandbox(submission) as sandbox:  # the forger above still sleeps: a fresh worker
        with pytest.raises(SandboxError, match=r"returned a string of 1000000 bytes \(at most 65536\)"):
            sandbox.call("w.forged_long_error", 1_000_000)
        with pytest.raises(StudentError, match=r"raised ValueError: bad \? byte"):
            sandbox.call("w.surrogate_error")
        with pytest.raises(StudentError) as raised:
            sandbox.call("w.long_error")
        assert len(str(raised.value)) < 2200
        with pytest.raises(WorkerDied) as died:
            sandbox.call("w.print_and_die")
        assert len(str(died.value)) < 700 and str(died.value).endswith("C" * 100)


# --- grader-side callbacks -----------------------------------------------------------------------

def quadratic(A, b):
    """A function over data the student must not see: x -> (x·Ax/2 - b·x, Ax - b), x of shape (2,)."""
    def f(x):
        x = np.asarray(x)
        if x.shape != (2,) or x.dtype.kind != "f":
            raise ValueError(f"expected x of shape (2,) and a float dtype, got shape {x.shape} and dtype {x.dtype}")
        return float(x @ A @ x / 2 - b @ x), A @ x - b
    return f


def test_a_callback_gives_the_students_code_values_computed_in_the_grader(submission):
    A, b = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])
    f = TrustedFunction(quadratic(A, b), "quadratic")
    x = np.array([0.3, -0.7])
    with Sandbox(submission) as sandbox:
        loss, grad = sandbox.call("w.use", f, x)
        assert loss == float(x @ A @ x / 2 - b @ x) and np.array_equal(grad, A @ x - b)
        # What the student's code does to a value it got never reaches the grader's function.
        loss, again = sandbox.call("w.loss_and_grad", f, x)
        assert np.array_equal(again, A @ x - b)
        assert sandbox.call("w.catch_and_report", f, np.ones(3)) == (
            "quadratic: expected x of shape (2,) and a float dtype, got shape (3,) and dtype float64")
        with pytest.raises(StudentError, match=r"raised ValueError: quadratic: expected x .* \(lib/w.py:\d+ in use\)"):
            sandbox.call("w.use", f, 1)
        with pytest.raises(StudentError, match="raised TypeError: The function the grader passed to your code "
                                               "takes numbers and numpy arrays; it was called with an object"):
            sandbox.call("w.call_with_object", f)
        with pytest.raises(StudentError, match="takes positional arguments only"):
            sandbox.call("w.call_with_keyword", f)
        # A grader function kept by the student's object works in later requests.
        keeper = sandbox.new("w.Keeper", f)
        assert keeper.call("apply", x)[0] == loss
        assert sandbox.call("w.double", 4) == 8


def test_a_worker_can_call_back_only_the_functions_sent_to_it(submission):
    f = TrustedFunction(lambda x: 2 * x, "twice")
    with Sandbox(submission) as sandbox:
        callback_id = sandbox.call("w.id_of", f)
        with pytest.raises(WorkerDied):
            sandbox.call("w.print_and_die")
        with pytest.raises(SandboxError, match="a call of a grader function it was never given"):
            sandbox.call("w.forged_callback", callback_id)
        with pytest.raises(SandboxError, match="a call of a grader function it was never given"):
            sandbox.call("w.forged_callback", callback_id + 1000)


def test_callbacks_count_against_the_calls_budget_and_deadline(submission):
    f = TrustedFunction(lambda x: float(np.sum(x)), "total")
    with Sandbox(submission, Limits(call_seconds=1.0, answer=AnswerBudget(callbacks=50))) as sandbox:
        assert sandbox.call("w.call_many", f, 50) == 50
        with pytest.raises(SandboxError, match="more than 50 times in one call"):
            sandbox.call("w.call_many", f, 51)
    with Sandbox(submission, Limits(call_seconds=1.0)) as sandbox:
        started = time.monotonic()
        with pytest.raises(SandboxTimeout, match="w.call_forever did not finish within the time limit of 1 s"):
            sandbox.call("w.call_forever", f)
        assert time.monotonic() - started < 4
        assert sandbox.call("w.double", 1) == 2


def test_introspecting_a_callback_finds_nothing_of_the_graders_data(submission):
    secret = 0.123456789
    A, b = np.full((2, 2), secret), np.array([secret, 2 * secret])
    f = TrustedFunction(quadratic(A, b), "quadratic")
    with Sandbox(submission) as sandbox:
        assert sandbox.call("w.inspect_everything", f, 3 * secret) == []
        # The same search does find a function that closes over the secret in the worker.
        found = sandbox.call("w.inspect_a_local_closure", 3 * secret)
        assert "__closure__" in found and "gc.get_objects" in found
