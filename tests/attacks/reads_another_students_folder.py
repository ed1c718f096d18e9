"""Stubs that try to run an honest classmate's lib/ instead.

module: linear_svm
base: stub
score: zero
expect: Not implemented yet
jail: required
"""
try:
    exec(open("{class_root}/honest-1/lib/linear_svm.py").read())
except Exception:
    pass
