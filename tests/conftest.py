"""Shared fixtures for the maintainer tests.

The course root is put on sys.path so that tests can `import solutions.x` (the reference) and
build submissions from it; `lib/` is never imported here (it holds stubs).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
