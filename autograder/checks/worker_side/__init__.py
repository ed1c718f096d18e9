"""Check-side code that runs inside the worker, next to the student's lib/.

Copied into the worker's private folder as the package `worker_side`; it may import numpy, the
standard library and `lib` (the student's code), never the grader or the reference. Its use:
`student.run("backprop.some_routine", *args)`, a routine that drives the student's objects in the
worker (e.g. builds a graph with their Value) and returns numbers only. (A function handed to the
student's code to optimize stays in the grader instead: wire.TrustedFunction.)

Only names listed in a module's `__all__` can be reached. Whatever runs here is as untrusted as
the student's code: the grader validates and judges the numbers it returns.
"""
