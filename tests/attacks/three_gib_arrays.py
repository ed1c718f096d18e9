"""Announces three arrays of 1 GiB each, straight on the answer channel (past the worker's own
check), and returns three 1 GiB arrays (broadcast views, cheap to make) the honest way.

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive returned an array of 1024.0 MiB
"""
import json
import os
import struct
import sys
import time


def svm_loss_naive(W, X, y, reg):
    value = {"__tuple__": [{"__array__": 0}, {"__array__": 1}, {"__array__": 2}]}
    head = json.dumps({"ok": True, "arrays": 3, "value": value}).encode()
    os.write(int(sys.argv[3]), struct.pack(">I", len(head)) + head + struct.pack(">Q", 1 << 30))
    time.sleep(600)


def svm_loss_vectorized(W, X, y, reg):
    return tuple(np.broadcast_to(np.float64(0.0), (1 << 27,)) for _ in range(3))
