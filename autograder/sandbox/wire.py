"""The wire format between the grader and the sandboxed worker: numbers only, never pickles.

A message is a JSON header followed by numpy arrays, each serialized with `np.save(...,
allow_pickle=False)`. In the JSON, values are encoded as:

- None, bool, int, str, finite float: themselves;
- a non-finite float: {"__float__": "nan" | "inf" | "-inf"};
- a numpy array: {"__array__": k}, the k-th array after the header (numeric dtypes only); the
  same array object met again in one message is sent once and encoded {"__array__": k, "copy":
  true}, decoded as a copy of its own (a gradient check's perturbed calls share X: one copy of
  X crosses, and no call can change what another receives);
- a tuple: {"__tuple__": [...]}; a list: [...]; a dict with str keys: {"__dict__": {...}};
- an object that stays in the worker: {"__handle__": id, "type": class name};
- a function the worker builds by name from the check-side module `checks/functions.py`:
  {"__function__": name, "args": [...]} (how a check hands a kernel a function to optimize).

Framing on the byte stream: 4-byte big-endian length of the header, the header, then for each
array an 8-byte big-endian length and its .npy bytes.

This module is copied into the worker's folder and imported there, so it depends on numpy and
the standard library only.
"""
import io
import json
import math
import struct

import numpy as np

# Arrays of other kinds (object, void, strings, datetimes) are refused in both directions.
NUMERIC_KINDS = "biuf"
MAX_HEADER_BYTES = 1 << 20
MAX_ARRAY_BYTES = 1 << 30


class WireError(Exception):
    """A value that cannot cross, or a malformed message."""


class Handle:
    """A reference to an object that lives in the worker (a classifier, a net, a graph node)."""

    def __init__(self, handle_id, type_name):
        self.id = int(handle_id)
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<{self.type_name} in the worker, handle {self.id}>"


class FunctionRef:
    """`functions.<name>(*args)` built in the worker: a check's way to pass a function."""

    def __init__(self, name, *args):
        self.name, self.args = str(name), args

    def __repr__(self):
        return f"<function {self.name} built in the worker>"


def encode(value, arrays, handles=None, sent=None):
    """Encode `value` as JSON-ready data, appending its arrays to `arrays`.

    `handles` (worker side) maps objects that may stay behind to a handle id; any other value
    that is not numbers, strings or containers of them raises WireError naming its type.
    `sent` ({id(array): index}, shared by the values of one message) sends an array object
    that occurs several times only once; the caller keeps the values alive while encoding.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    # Exact type checks: an ndarray subclass or an object with __array__ could lie about itself.
    if type(value) is np.ndarray:
        if value.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"an array of dtype {value.dtype} (only numeric arrays can be graded)")
        if sent is not None and id(value) in sent:
            return {"__array__": sent[id(value)], "copy": True}
        arrays.append(value)
        if sent is not None:
            sent[id(value)] = len(arrays) - 1
        return {"__array__": len(arrays) - 1}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, arrays, handles, sent) for v in value]}
    if type(value) is list:
        return [encode(v, arrays, handles, sent) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, arrays, handles, sent) for k, v in value.items()}}
    if isinstance(value, Handle):
        return {"__handle__": value.id, "type": value.type_name}
    if isinstance(value, FunctionRef):
        return {"__function__": value.name, "args": [encode(a, arrays, handles, sent) for a in value.args]}
    if handles is not None:
        return {"__handle__": handles(value), "type": type(value).__name__}
    raise WireError(f"an object of type {type(value).__name__}")


def decode(data, arrays, resolve_handle=None, resolve_function=None):
    """Inverse of `encode`. Worker side, `resolve_handle(id)` turns handles into objects and
    `resolve_function(name, args)` builds functions; without them they stay references."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, arrays, resolve_handle, resolve_function) for v in data]
    if isinstance(data, dict):
        if "__array__" in data:
            array = arrays[data["__array__"]]
            return array.copy() if data.get("copy") else array
        if "__float__" in data:
            return float(data["__float__"])
        if "__tuple__" in data:
            return tuple(decode(v, arrays, resolve_handle, resolve_function) for v in data["__tuple__"])
        if "__dict__" in data:
            return {k: decode(v, arrays, resolve_handle, resolve_function) for k, v in data["__dict__"].items()}
        if "__function__" in data:
            args = [decode(v, arrays, resolve_handle, resolve_function) for v in data.get("args", [])]
            if resolve_function is not None:
                return resolve_function(data["__function__"], args)
            return FunctionRef(data["__function__"], *args)
        if "__handle__" in data:
            if resolve_handle is not None:
                return resolve_handle(data["__handle__"])
            return Handle(data["__handle__"], data.get("type", "object"))
    raise WireError(f"malformed value {str(data)[:80]!r}")


def _array_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _array_from_bytes(blob):
    array = np.load(io.BytesIO(blob), allow_pickle=False)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"an array of dtype {array.dtype}")
    return array


def write_message(stream, header, arrays=()):
    """Write one framed message (a JSON-ready dict and its arrays) and flush."""
    head = json.dumps(header, allow_nan=False).encode()
    parts = [struct.pack(">I", len(head)), head]
    for array in arrays:
        blob = _array_bytes(array)
        parts += [struct.pack(">Q", len(blob)), blob]
    stream.write(b"".join(parts))
    stream.flush()


def _read_exactly(stream, size):
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(stream):
    """Read one framed message → (header dict, list of arrays). EOFError when closed."""
    (head_len,) = struct.unpack(">I", _read_exactly(stream, 4))
    if head_len > MAX_HEADER_BYTES:
        raise WireError(f"a message header of {head_len} bytes (at most {MAX_HEADER_BYTES})")
    header = json.loads(_read_exactly(stream, head_len))
    if not isinstance(header, dict):
        raise WireError("a message header that is not a JSON object")
    arrays = []
    for _ in range(int(header.get("arrays", 0))):
        (size,) = struct.unpack(">Q", _read_exactly(stream, 8))
        if size > MAX_ARRAY_BYTES:
            raise WireError(f"an array of {size} bytes (at most {MAX_ARRAY_BYTES})")
        arrays.append(_array_from_bytes(_read_exactly(stream, size)))
    return header, arrays


def pack(header, value, handles=None):
    """Put `value` into `header["value"]`, returning (header, arrays) ready for write_message."""
    arrays = []
    header = dict(header, value=encode(value, arrays, handles))
    header["arrays"] = len(arrays)
    return header, arrays
