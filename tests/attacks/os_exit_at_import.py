"""os._exit(0) while lib/linear_svm.py is imported: the worker vanishes.

module: linear_svm
score: zero
expect: exited with code 0 during importing lib/linear_svm.py
"""
import os

os._exit(0)
