"""The worker sandbox: numbers-only transport, errors, timeouts, deaths, mutation, output cap."""
import io
import textwrap

import numpy as np
import pytest

from autograder.sandbox import wire
from autograder.sandbox.proxy import Limits, Sandbox, SandboxError, SandboxTimeout, StudentError, WorkerDied

STUDENT_MODULE = '''
import os
import sys
import numpy as np

def double(x):
    return x * 2

def pair(x):
    return float(x.sum()), {"half": x / 2, "n": len(x), "tag": "ok"}

def fail():
    raise ValueError("bad input shape")

def not_done():
    raise NotImplementedError("Implement not_done in lib/m.py")

def spin():
    while True:
        pass

def die():
    os._exit(3)

def leave():
    sys.exit(4)

def an_object():
    return object()

def object_array():
    return np.array([object()])

def scale_in_place(a, b):
    a *= 2
    return None

def bump_and_sum(x):
    x += 1
    return float(x.sum())

def chatter():
    print("x" * 5_000_000)
    return 1

class Counter:
    def __init__(self, start):
        self.count = start

    def add(self, k):
        self.count += k
        return self.count
'''


@pytest.fixture
def submission(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "m.py").write_text(textwrap.dedent(STUDENT_MODULE))
    return tmp_path


def roundtrip(value):
    header, arrays = wire.pack({}, value)
    stream = io.BytesIO()
    wire.write_message(stream, header, arrays)
    stream.seek(0)
    header, arrays = wire.read_message(stream)
    return wire.decode(header["value"], arrays)


def test_wire_carries_numbers_arrays_and_containers_exactly():
    value = (1, 2.5, float("nan"), float("-inf"), None, True, "text",
             [np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(1.5)],
             {"a": np.linspace(0, 1, 5), "b": (np.bool_(True),)})
    back = roundtrip(value)
    assert back[:2] == (1, 2.5) and np.isnan(back[2]) and back[3] == float("-inf")
    assert back[4:7] == (None, True, "text")
    assert back[7][0].dtype == np.int32 and np.array_equal(back[7][0], value[7][0]) and back[7][1] == 1.5
    assert np.array_equal(back[8]["a"], value[8]["a"]) and back[8]["b"] == (True,)


class LyingArray(np.ndarray):
    """An ndarray subclass could override anything; only exact ndarrays cross."""


@pytest.mark.parametrize("value", [np.array([object()]), object(), np.array(["a", "b"]),
                                   np.zeros(2).view(LyingArray)])
def test_wire_refuses_objects_and_non_numeric_arrays(value):
    with pytest.raises(wire.WireError):
        wire.pack({}, value)


def test_calls_return_validated_numbers(submission):
    with Sandbox(submission) as sandbox:
        assert np.array_equal(sandbox.call("m.double", np.arange(3)), [0, 2, 4])
        total, extra = sandbox.call("m.pair", np.ones(4))
        assert total == 4.0 and extra["n"] == 4 and extra["tag"] == "ok" and np.allclose(extra["half"], 0.5)
        assert sandbox.map("m.double", [(1,), (2.5,)]) == [2, 5.0]
        counter = sandbox.new("m.Counter", 10)
        assert counter.call("add", 5) == 15 and counter.get("count") == 15
        assert len(sandbox.time("m.double", np.ones(3), repeat=3)) == 3


def test_student_exceptions_come_back_as_messages(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(StudentError, match=r"raised ValueError: bad input shape \(lib/m.py:\d+ in fail\)"):
            sandbox.call("m.fail")
        with pytest.raises(StudentError, match="^Not implemented yet: Implement not_done in lib/m.py$"):
            sandbox.call("m.not_done")
        with pytest.raises(StudentError, match=r"called sys.exit\(4\)"):
            sandbox.call("m.leave")
        with pytest.raises(StudentError, match="an object of type object, which the grader cannot use"):
            sandbox.call("m.an_object")
        with pytest.raises(StudentError, match="dtype object"):
            sandbox.call("m.object_array")
        # The worker survives all of these.
        assert sandbox.call("m.double", 2) == 4


def test_a_call_that_runs_too_long_is_killed_and_the_next_call_gets_a_fresh_worker(submission):
    with Sandbox(submission, Limits(call_seconds=1.0)) as sandbox:
        counter = sandbox.new("m.Counter", 0)
        with pytest.raises(SandboxTimeout, match="time limit of 1 s"):
            sandbox.call("m.spin")
        assert sandbox.call("m.double", 21) == 42
        with pytest.raises(SandboxError, match="lost when the worker restarted"):
            counter.call("add", 1)


def test_a_worker_that_dies_is_reported_with_its_exit_code(submission):
    with Sandbox(submission) as sandbox:
        with pytest.raises(WorkerDied, match="exited with code 3 during m.die"):
            sandbox.call("m.die")
        assert sandbox.call("m.double", 1) == 2


def test_mutation_of_array_arguments_is_reported_by_position(submission):
    with Sandbox(submission) as sandbox:
        a, b = np.ones(3), np.ones(2)
        value, changes = sandbox.call_reporting_changes("m.scale_in_place", a, b)
        assert value is None and list(changes) == [0]
        assert np.array_equal(changes[0], 2 * a), "the argument as the call left it"
        assert np.array_equal(a, np.ones(3)), "the grader's own array never changes"


def test_an_array_shared_by_many_calls_crosses_once_and_each_call_gets_its_own_copy(submission):
    x = np.arange(4.0)
    arrays, sent = [], {}
    encoded = wire.encode([(x,), (x,), (x.copy(),)], arrays, sent=sent)
    assert len(arrays) == 2, "the same object once, an equal copy of it separately"
    decoded = wire.decode(encoded, arrays)
    assert all(np.array_equal(args[0], x) for args in decoded)
    assert decoded[0][0] is not decoded[1][0]
    with Sandbox(submission) as sandbox:
        # Each call adds 1 to its x in place: no call may see another's change.
        assert sandbox.map("m.bump_and_sum", [(x,), (x,), (x,)]) == [float((x + 1).sum())] * 3


def test_student_output_is_kept_only_up_to_the_cap(submission):
    with Sandbox(submission, Limits(output_bytes=1000)) as sandbox:
        assert sandbox.call("m.chatter") == 1
        sandbox.call("m.double", 1)  # a round trip later, the drain thread has seen the output
    output = sandbox.student_output()
    assert len(output) < 3000 and "bytes of output not kept" in output


def test_the_worker_sees_a_scrubbed_environment_and_its_own_copy(submission, monkeypatch):
    monkeypatch.setenv("GRADLAB_SECRET_TOKEN", "do-not-leak")
    (submission / "lib" / "env.py").write_text(
        "import os\ndef secret():\n    return os.environ.get('GRADLAB_SECRET_TOKEN', '')\n"
        "def where():\n    return os.getcwd()\n")
    with Sandbox(submission) as sandbox:
        assert sandbox.call("env.secret") == ""
        assert not sandbox.call("env.where").startswith(str(submission))
