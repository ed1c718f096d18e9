"""A forged error answer with a 1 MB message, written straight on the answer channel (past the
worker's cap), and a real exception with a 1 MB message.

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive returned a string of 1000000 bytes
"""
import json
import os
import struct
import sys
import time


def svm_loss_naive(W, X, y, reg):
    head = json.dumps({"ok": False, "arrays": 0,
                       "error": {"type": "ValueError", "message": "A" * 1_000_000, "where": ""}}).encode()
    os.write(int(sys.argv[3]), struct.pack(">I", len(head)) + head)
    time.sleep(600)


def svm_loss_vectorized(W, X, y, reg):
    raise ValueError("B" * 1_000_000)
