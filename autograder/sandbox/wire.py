"""The wire format between the grader and the sandboxed worker: numbers only, never pickles.

A message is a JSON header followed by numpy arrays, each serialized with `np.save(...,
allow_pickle=False)`. In the JSON, values are encoded as:

- None, bool, str, finite float, int within int64: themselves (exact types only: a subclass of
  float, int, str, list, tuple or dict could lie through its methods, so it is refused);
- a non-finite float: {"__float__": "nan" | "inf" | "-inf"};
- a numpy array: {"__array__": k}, the k-th array after the header (exact ndarray, numeric dtypes
  only); the same array object met again in one message is sent once and encoded {"__array__": k,
  "copy": true}, decoded as a copy of its own (a gradient check's perturbed calls share X: one
  copy of X crosses, and no call can change what another receives);
- a tuple: {"__tuple__": [...]}; a list: [...]; a dict with str keys: {"__dict__": {...}};
- an object that stays in the worker: {"__handle__": id, "type": class name};
- a function that stays in the grader (`TrustedFunction`): {"__callback__": id}. The worker turns
  it into an opaque callable that sends its arguments back to the grader and returns the value
  the grader computed, so nothing of the function (its parameters, its data) is in the worker.

Framing on the byte stream: 4-byte big-endian length of the header, the header, then for each
array an 8-byte big-endian length and its .npy bytes.

What the worker sends is read under an `AnswerBudget`: every size is checked as soon as its
length is known, before anything of that size is allocated, and the header's nesting depth and
string lengths are checked before it is parsed (so parsing cannot run out of stack).

This module is copied into the worker's folder and imported there, so it depends on numpy and
the standard library only.
"""
import io
import itertools
import json
import math
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Arrays of other kinds (object, void, strings, complex, datetimes) are refused in both directions.
NUMERIC_KINDS = "biuf"
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
# numpy's own scalar types (bool, integers, floats), exactly: a subclass of one is refused.
NUMPY_SCALARS = frozenset(np.dtype(code).type for code in np.typecodes["AllInteger"] + np.typecodes["Float"] + "?")
# The largest npy header numpy itself will parse (np.lib.format's default max_header_size).
NPY_HEADER_BYTES = 10000


@dataclass(frozen=True)
class AnswerBudget:
    """What one message from the worker (an answer, or a call of a grader function) may hold.

    Each field is checked while the message is read, before anything of that size is allocated,
    so one message costs the grader at most about `total_bytes` of memory (plus the decoded
    header, itself bounded by `header_bytes`). The defaults leave a wide margin over honest
    answers (grading the reference of every assignment, the largest answer holds 36 KB of arrays
    and 138 arrays; the largest array a check hands a kernel, a CIFAR-sized X of 500 x 3073
    float64, is 12 MB and may come back if the kernel modifies it) and keep a pool of graders'
    memory bounded.
    """

    total_bytes: int = 128 << 20     # header and arrays of one message together
    array_bytes: int = 64 << 20      # the .npy bytes of one array
    arrays: int = 4096               # arrays in one message
    header_bytes: int = 1 << 20      # the JSON header
    depth: int = 64                  # nesting of the JSON header ([ and { levels)
    string_bytes: int = 64 << 10     # one string in the header, as JSON spells it
    callbacks: int = 100_000         # calls of the grader's functions during one request

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


DEFAULT_BUDGET = AnswerBudget()


class WireError(Exception):
    """A value that cannot cross, or a malformed message. Its text is a noun phrase that fits
    after "returned" ("an integer with 400 digits")."""


class Overdue(Exception):
    """A read or write did not finish before its deadline (raised by the grader's streams)."""


class Handle:
    """A reference to an object that lives in the worker (a classifier, a net, a graph node)."""

    def __init__(self, handle_id, type_name):
        self.id = int(handle_id)
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<{self.type_name} in the worker, handle {self.id}>"


class TrustedFunction:
    """A function that runs in the grader, passed as an argument to the student's code.

    The worker receives only `{"__callback__": id}` and hands the student an opaque callable;
    each call sends its arguments (numbers and arrays) to the grader, which runs `fn(*args)` and
    sends back the value. `fn` must validate its arguments itself (shapes, dtypes, finiteness):
    an exception it raises becomes a ValueError with its message in the student's code, so the
    message should say what `fn` expected. `name` labels those messages.
    """

    _ids = itertools.count(1)

    def __init__(self, fn, name):
        self.fn, self.name = fn, str(name)
        self.id = next(TrustedFunction._ids)

    def __call__(self, *args):
        return self.fn(*args)

    def __repr__(self):
        return f"<trusted function {self.name}, kept in the grader>"


def _digits(value):
    """Decimal digits of |value| without str(), which Python refuses beyond 4300 digits."""
    value = abs(value)
    digits = max(1, int(value.bit_length() * math.log10(2)))
    while 10 ** digits <= value:
        digits += 1
    return digits


def _subclass_phrase(value):
    bases = [t.__name__ for t in (bool, int, float, str, tuple, list, dict) if isinstance(value, t)]
    if isinstance(value, np.ndarray):
        return f"an array of type {type(value).__name__} (a subclass of numpy.ndarray)"
    if bases:
        return f"an object of type {type(value).__name__} (a subclass of {bases[0]})"
    return f"an object of type {type(value).__name__}"


class _Encoder:
    def __init__(self, arrays, handles, sent, callbacks, budget):
        self.arrays, self.handles, self.sent, self.callbacks = arrays, handles, sent, callbacks
        # Two levels are left for the message around the value ({"value": ...}, {"args": [...]}).
        self.max_depth, self.string_bytes = budget.depth - 2, budget.string_bytes

    def enter(self, depth):
        """The JSON nesting level `depth` is about to be opened: refuse it beyond the budget."""
        if depth > self.max_depth:
            raise WireError(f"a value nested more than {self.max_depth} levels deep")
        return depth

    def encode(self, value, depth):
        """`depth`: how many JSON brackets enclose `value`'s encoding."""
        kind = type(value)
        if value is None or kind is bool:
            return value
        if kind is str:
            if len(value) > self.string_bytes // 6 and len(json.dumps(value)) - 2 > self.string_bytes:
                raise WireError(f"a string of {len(value)} characters (at most {self.string_bytes} bytes "
                                "as JSON spells it)")
            return value
        if kind is int or (kind in NUMPY_SCALARS and value.dtype.kind in "iu"):
            number = int(value)
            if not INT64_MIN <= number <= INT64_MAX:
                raise WireError(f"an integer with {_digits(number)} digits")
            return number
        if kind in NUMPY_SCALARS and value.dtype.kind == "b":
            return bool(value)
        if kind is float or kind in NUMPY_SCALARS:
            number = float(value)
            if math.isfinite(number):
                return number
            self.enter(depth + 1)
            return {"__float__": repr(number)}
        if kind is np.ndarray:
            if value.dtype.kind not in NUMERIC_KINDS or value.dtype.fields is not None:
                raise WireError(f"an array of dtype {value.dtype} (only numeric arrays can be graded)")
            self.enter(depth + 1)
            if self.sent is not None and id(value) in self.sent:
                return {"__array__": self.sent[id(value)], "copy": True}
            self.arrays.append(value)
            if self.sent is not None:
                self.sent[id(value)] = len(self.arrays) - 1
            return {"__array__": len(self.arrays) - 1}
        if kind is tuple:
            inner = self.enter(depth + 2)
            return {"__tuple__": [self.encode(v, inner) for v in value]}
        if kind is list:
            inner = self.enter(depth + 1)
            return [self.encode(v, inner) for v in value]
        if kind is dict and all(type(k) is str for k in value):
            inner = self.enter(depth + 2)
            return {"__dict__": {self.encode(k, inner): self.encode(v, inner) for k, v in value.items()}}
        if kind is Handle:
            self.enter(depth + 1)
            return {"__handle__": value.id, "type": value.type_name}
        if kind is TrustedFunction:
            if self.callbacks is None:
                raise WireError("a function of the grader's, which only the grader can pass")
            self.enter(depth + 1)
            return {"__callback__": self.callbacks(value)}
        if self.handles is not None and not isinstance(value, (bool, int, float, str, tuple, list, dict,
                                                               np.ndarray, np.generic)):
            self.enter(depth + 1)
            return {"__handle__": self.handles(value), "type": type(value).__name__}
        raise WireError(_subclass_phrase(value))


def encode(value: Any, arrays: list[np.ndarray], handles: Callable[[Any], int] | None = None,
           sent: dict[int, int] | None = None, callbacks: Callable[[TrustedFunction], int] | None = None,
           budget: AnswerBudget | None = None) -> Any:
    """Encode `value` as JSON-ready data, appending its arrays to `arrays`.

    `handles` (worker side) maps objects that may stay behind to a handle id; any other value
    that is not numbers, strings or containers of them raises WireError naming what it is.
    `sent` ({id(array): index}, shared by the values of one message) sends an array object
    that occurs several times only once; the caller keeps the values alive while encoding.
    `callbacks` (grader side) maps a TrustedFunction to the id it is sent as; without it a
    TrustedFunction is refused. `budget` (default: AnswerBudget()) refuses, before sending, what
    the grader would refuse: nesting deeper than its depth, strings longer than its string_bytes.
    The encoder never recurses deeper than that depth, so no value makes it run out of stack.
    """
    return _Encoder(arrays, handles, sent, callbacks, budget or DEFAULT_BUDGET).encode(value, 0)


def _refuse_reference(kind):
    def refuse(*_):
        raise WireError(f"a reference to {kind}, where only numbers and arrays are expected")
    return refuse


def decode(data: Any, arrays: Sequence[np.ndarray], resolve_handle: Callable[[int], Any] | None = None,
           resolve_callback: Callable[[int], Callable[..., Any]] | None = None) -> Any:
    """Inverse of `encode`. Worker side, `resolve_handle(id)` turns handles into objects and
    `resolve_callback(id)` makes the opaque callable of a grader function; without them handles
    stay references and a callback is refused. Ints outside int64 are refused. The recursion is as deep as the data,
    which `read_message` has checked against the budget's depth."""
    if data is None or isinstance(data, (bool, float, str)):
        return data
    if isinstance(data, int):
        if not INT64_MIN <= data <= INT64_MAX:
            raise WireError(f"an integer with {_digits(data)} digits")
        return data
    if isinstance(data, list):
        return [decode(v, arrays, resolve_handle, resolve_callback) for v in data]
    if isinstance(data, dict):
        if "__array__" in data:
            index = data["__array__"]
            if type(index) is not int or not 0 <= index < len(arrays):
                raise WireError(f"a reference to array {str(index)[:20]} of a message with {len(arrays)} arrays")
            array = arrays[index]
            return array.copy() if data.get("copy") else array
        if "__float__" in data:
            if data["__float__"] not in ("nan", "inf", "-inf"):
                raise WireError(f"a float spelled {str(data['__float__'])[:20]!r}")
            return float(data["__float__"])
        if "__tuple__" in data and isinstance(data["__tuple__"], list):
            return tuple(decode(v, arrays, resolve_handle, resolve_callback)
                         for v in data["__tuple__"])
        if "__dict__" in data and isinstance(data["__dict__"], dict):
            return {k: decode(v, arrays, resolve_handle, resolve_callback)
                    for k, v in data["__dict__"].items()}
        if "__callback__" in data:
            if resolve_callback is None:
                raise WireError("a grader function, which only the grader can send")
            return resolve_callback(data["__callback__"])
        if "__handle__" in data:
            if resolve_handle is not None:
                return resolve_handle(data["__handle__"])
            return Handle(data["__handle__"], data.get("type", "object"))
    raise WireError(f"a malformed value {str(data)[:80]!r}")


def decode_plain(data: Any, arrays: Sequence[np.ndarray]) -> Any:
    """`decode` for values that may hold numbers and arrays only (a grader function's arguments):
    a handle or a callback is refused."""
    return decode(data, arrays, _refuse_reference("an object in the worker"), _refuse_reference("a grader function"))


def _array_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _mib(size):
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"


def frame(header, arrays=(), budget=None):
    """The byte strings of one framed message (a JSON-ready dict and its arrays).

    With `budget` (the worker's answers), a message the grader would refuse raises WireError
    before any array is serialized, so a student is told what was too large.
    """
    head = json.dumps(header, allow_nan=False).encode()
    if budget is not None:
        _check_sizes(budget, len(head), [a.nbytes for a in arrays])
    parts = [struct.pack(">I", len(head)), head]
    for array in arrays:
        blob = _array_bytes(array)
        parts += [struct.pack(">Q", len(blob)), blob]
    if budget is not None:
        _check_sizes(budget, len(head), [len(p) for p in parts[3::2]])
    return parts


def _check_sizes(budget, head_bytes, array_sizes):
    if head_bytes > budget.header_bytes:
        raise WireError(f"a value whose description takes {_mib(head_bytes)} (at most "
                        f"{_mib(budget.header_bytes)}: return large data as numpy arrays)")
    if len(array_sizes) > budget.arrays:
        raise WireError(f"{len(array_sizes)} arrays in one answer (at most {budget.arrays})")
    for size in array_sizes:
        if size > budget.array_bytes:
            raise WireError(f"an array of {_mib(size)} (at most {_mib(budget.array_bytes)} each)")
    total = head_bytes + sum(array_sizes)
    if total > budget.total_bytes:
        raise WireError(f"{len(array_sizes)} arrays of {_mib(total)} in total (at most "
                        f"{_mib(budget.total_bytes)} in one answer)")


def coalesced(parts, most=1 << 20):
    """`parts` as fewer, larger writes: runs of small parts joined up to `most` bytes, a large part
    on its own (not copied). Each write to a pipe wakes the reader: one per message is enough."""
    run, size = [], 0
    for part in parts:
        if size + len(part) > most and run:
            yield b"".join(run)
            run, size = [], 0
        if len(part) >= most:
            yield part
        else:
            run.append(part)
            size += len(part)
    if run:
        yield b"".join(run)


def write_message(stream, header, arrays=(), budget=None):
    """Write one framed message and flush (see `frame` for `budget`)."""
    for part in coalesced(frame(header, arrays, budget)):
        stream.write(part)
    stream.flush()


def _read_into(stream, buffer):
    """Fill `buffer` from `stream` (anything with `readinto`); EOFError if it ends first."""
    view, filled = memoryview(buffer), 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            raise EOFError("the other side closed the connection")
        filled += count
    return buffer


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPENERS = np.zeros(256, np.int8)
_OPENERS[[ord("["), ord("{")]] = 1
_OPENERS[[ord("]"), ord("}")]] = -1


def _check_header(head, budget):
    """Refuse a header whose strings or nesting exceed the budget, before it is parsed. (A header
    shorter than the longest string allowed, or with fewer brackets than the depth allowed, cannot
    exceed it: most headers are, and skip the scans.)"""
    if len(head) > budget.string_bytes:
        longest = max(map(len, _JSON_STRING.findall(head)), default=2) - 2
        if longest > budget.string_bytes:
            raise WireError(f"a string of {longest} bytes (at most {budget.string_bytes})")
    if head.count(b"[") + head.count(b"{") > budget.depth:
        structure = np.frombuffer(_JSON_STRING.sub(b'""', head), np.uint8)
        depth = int(np.cumsum(_OPENERS[structure], dtype=np.int64).max(initial=0))
        if depth > budget.depth:
            raise WireError(f"a value nested {depth} levels deep (at most {budget.depth})")


def _refuse_constant(name):
    raise WireError(f"the JSON constant {name}, which the wire never uses")


# Ints too large for int64 parse (Python refuses, quickly, those beyond 4300 digits) and are
# refused by `decode`; NaN and Infinity, which the wire spells otherwise, are refused here.
_JSON = json.JSONDecoder(parse_constant=_refuse_constant)


def _array_from_bytes(blob):
    """The array a .npy blob holds, built on the blob's own memory (no copy), after checking that
    its header describes a numeric array of exactly the blob's size."""
    head = io.BytesIO(bytes(memoryview(blob)[:NPY_HEADER_BYTES + 16]))
    try:
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise WireError(f"an array in .npy format {version}")
    except ValueError as exc:
        raise WireError(f"an array whose .npy header cannot be read ({str(exc)[:100]})") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"an array of dtype {dtype}")
    count = math.prod(shape)
    if count * dtype.itemsize != len(blob) - head.tell():
        raise WireError(f"an array of shape {shape} and dtype {dtype} in {len(blob) - head.tell()} bytes")
    array = np.frombuffer(blob, dtype=dtype, count=count, offset=head.tell())
    array = array.reshape(shape, order="F" if fortran else "C")
    return array if array.flags.aligned else array.copy()


def read_message(stream, budget=None):
    """Read one framed message → (header dict, list of arrays). EOFError when closed.

    `stream` has `readinto` (a file opened "rb", a BytesIO, or the grader's deadline streams,
    which raise Overdue). With `budget` every size is checked before it is allocated and the
    header before it is parsed; without one (the worker reading the grader's requests) only the
    framing is checked.
    """
    (head_len,) = struct.unpack(">I", _read_into(stream, bytearray(4)))
    if budget is not None and head_len > budget.header_bytes:
        raise WireError(f"a value whose description takes {_mib(head_len)} (at most {_mib(budget.header_bytes)})")
    head = bytes(_read_into(stream, bytearray(head_len)))
    if budget is not None:
        _check_header(head, budget)
    try:
        header = _JSON.decode(head.decode())
    except (ValueError, RecursionError) as exc:
        raise WireError(f"a message header that is not JSON ({str(exc)[:100]})") from None
    if not isinstance(header, dict):
        raise WireError("a message header that is not a JSON object")
    count = header.get("arrays", 0)
    if type(count) is not int or count < 0 or (budget is not None and count > budget.arrays):
        limit = f" (at most {budget.arrays})" if budget is not None else ""
        raise WireError(f"{str(count)[:20]} arrays in one message{limit}")
    arrays, total = [], 4 + head_len
    for _ in range(count):
        (size,) = struct.unpack(">Q", _read_into(stream, bytearray(8)))
        total += 8 + size
        if budget is not None:
            if size > budget.array_bytes:
                raise WireError(f"an array of {_mib(size)} (at most {_mib(budget.array_bytes)} each)")
            if total > budget.total_bytes:
                raise WireError(f"arrays of more than {_mib(budget.total_bytes)} in one answer")
        # np.empty, not bytearray: the pages are not zeroed first, only filled by the read.
        arrays.append(_array_from_bytes(_read_into(stream, np.empty(size, np.uint8))))
    return header, arrays


def pack(header, value, handles=None, budget=None):
    """Put `value` into `header["value"]`, returning (header, arrays) ready for write_message."""
    arrays = []
    header = dict(header, value=encode(value, arrays, handles, budget=budget))
    header["arrays"] = len(arrays)
    return header, arrays
