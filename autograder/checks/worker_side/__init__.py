"""Check-side code that runs inside the worker, next to the student's lib/.

Copied into the worker's private folder as the package `worker_side`; it may import numpy, the
standard library and `lib` (the student's code), never the grader or the reference. Two uses:

- `FunctionRef("optimization.quadratic", A, b)` passed as an argument: the worker calls
  `worker_side.optimization.quadratic(A, b)` and hands the student's kernel the function it
  returns (how an optimizer gets something to optimize);
- `student.run("backprop.some_routine", *args)`: a routine that drives the student's objects
  in the worker (e.g. builds a graph with their Value) and returns numbers only.

Only names listed in a module's `__all__` can be reached. Whatever runs here is as untrusted as
the student's code: the grader validates and judges the numbers it returns.
"""
