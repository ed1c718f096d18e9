"""Writes one byte on the answer channel while lib/linear_svm.py is imported, then sleeps: a staller
among honest classmates (the whole message has one deadline, not only its first byte).

module: linear_svm
base: stub
score: zero
expect: importing lib/linear_svm.py did not finish within the time limit
"""
import os
import sys
import time

os.write(int(sys.argv[3]), b"\0")
time.sleep(600)
