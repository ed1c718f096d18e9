"""Fills the worker's request pipe (reopened for writing through /proc) so that the grader's next
request cannot be written, answers with a forged 8 MB message, and never reads again. Jailed,
the pipe (the grader's, mode 0600) cannot be reopened by the worker's uid, and the grader's next
request fits: then its read deadline ends the call (tests/test_wire.py writes a request larger
than the pipe to a worker that stopped reading, in every mode).

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive did not finish within the time limit
"""
import json
import os
import struct
import sys
import time


def _fill_request_pipe():
    try:
        writer = os.open(f"/proc/self/fd/{int(sys.argv[2])}", os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no /proc to reopen it through: the grader's read deadline is tested instead
        return
    try:
        while True:
            os.write(writer, b"\0" * 65536)
    except BlockingIOError:
        pass


def svm_loss_naive(W, X, y, reg):
    _fill_request_pipe()
    blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118)
    blob += b"{'descr': '<f8', 'fortran_order': False, 'shape': (1048576,), }".ljust(117) + b"\n"
    blob += b"\0" * (8 << 20)
    head = json.dumps({"ok": True, "arrays": 1, "value": {"__tuple__": [0.0, {"__array__": 0}]}}).encode()
    os.write(int(sys.argv[3]), struct.pack(">I", len(head)) + head + struct.pack(">Q", len(blob)) + blob)
    time.sleep(600)
