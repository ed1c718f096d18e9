"""gradlab benchmarks: kernels against their BLAS floor, grading time, notebook time.

    python benchmarks/run.py                      # everything (about 15 minutes), prints a table
    python benchmarks/run.py --only kernels       # or: grading, notebooks (comma-separated)
    python benchmarks/run.py --quick              # fewer repeats

Kernel numbers are ratios measured in one run (kernel time / the time of the matrix products
it cannot avoid), so machine load cancels out; grading and notebook times are medians or
single runs on this machine, meaningful only with the date and machine printed first.
"""
import argparse
import json
import os
import platform
from datetime import date

import grading
import kernels
import notebooks
import numpy as np
from threadpoolctl import threadpool_info


def header():
    lines = [f"# gradlab benchmarks, {date.today()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"numpy {np.__version__}"]
    for pool in threadpool_info():
        lines.append(f"#   {pool['internal_api']} {pool.get('version')} ({pool.get('architecture')}), "
                     f"{pool['num_threads']} threads")
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if variable in os.environ:
            lines.append(f"#   {variable}={os.environ[variable]}")
    return "\n".join(lines)


def kernel_rows(rounds, repeat):
    rows = []
    for name, (r, k, f) in {**kernels.linear_losses(rounds), **kernels.layers_backward(rounds)}.items():
        rows.append((f"{name} / its floor", f"{r:.2f}x", "<= 1.5x", f"{k * 1e3:.2f} ms vs {f * 1e3:.2f} ms"))
    for N in (500, 49000):
        r, k, f = kernels.two_layer_step(N, rounds)
        rows.append((f"TwoLayerNet loss+grads N={N} / its floor", f"{r:.2f}x", "<= 1.5x",
                     f"{k * 1e3:.1f} ms vs {f * 1e3:.1f} ms"))
    for name, speedup in kernels.naive_vs_vectorized(repeat).items():
        rows.append((f"{name}: naive / vectorized (N=500)", f"{speedup:.0f}x", "report", ""))
    return rows


def grading_rows(repeat):
    rows = [(f"grade one {a} submission (process + workers)", f"{grading.grading_time(a, repeat):.2f} s", "<= 3 s",
             f"median of {repeat}") for a in ("svm", "softmax", "optimization", "backprop")]
    for mode, seconds in grading.sandbox_overhead(repeat).items():
        rows.append((f"sandbox overhead per worker, {mode}", f"{seconds:.2f} s", "report", "start + first call"))
    batch = grading.batch_time()
    rows.append(("grade-all 100 mixed svm submissions, --jobs 2", f"{batch:.0f} s", "<= 120 s", "one run"))
    rounds = repeat
    ratio, nbgrader, ours = grading.nbgrader_vs_grade_all(rounds=rounds)
    rows.append(("nbgrader autograde / grade-all --jobs 2 (20 svm)", f"{ratio:.1f}x", ">= 5x",
                 f"median of {rounds} rounds; that round {nbgrader:.0f} s vs {ours:.1f} s"))
    return rows


def notebook_rows():
    return [(f"notebook {name} (full run)", f"{seconds:.0f} s", "<= 60 s", "reference lib, default data")
            for name, seconds in notebooks.notebook_times().items()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default="kernels,grading,notebooks", help="comma-separated sections")
    args = parser.parse_args()
    rounds, repeat = (3, 3) if args.quick else (7, 5)
    sections = set(args.only.split(","))
    print(header())
    rows = []
    if "kernels" in sections:
        rows += kernel_rows(rounds, repeat)
    if "grading" in sections:
        rows += grading_rows(repeat)
    if "notebooks" in sections:
        rows += notebook_rows()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>9}  {'target':>8}  detail")
    for name, value, target, detail in rows:
        print(f"{name:<{width}}  {value:>9}  {target:>8}  {detail}")
    print("\n" + json.dumps({name: value for name, value, _, _ in rows}))


if __name__ == "__main__":
    main()
