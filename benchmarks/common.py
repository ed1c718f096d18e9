"""Shared by the benchmarks: the course root on sys.path and a median timer."""
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def median_time(fn, repeat):
    """Median wall time of `repeat` calls of fn()."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def ratio(kernel, floor, rounds, repeat=5):
    """Median over `rounds` of (kernel time / floor time), the two timed back to back in each round
    so that both see the same machine load. → (ratio, last kernel time, last floor time)"""
    ratios = []
    for _ in range(rounds):
        k = median_time(kernel, repeat)
        f = median_time(floor, repeat)
        ratios.append(k / f)
    return float(np.median(ratios)), k, f
