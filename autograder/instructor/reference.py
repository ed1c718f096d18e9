"""The reference solution: imported in the trusted grader, or copied as a submission's lib/."""
import importlib
import shutil
import sys
from pathlib import Path

from ..course import require_course_root


class Reference:
    """Attribute access to the reference modules: `Reference().linear_svm.svm_loss_vectorized`.

    `computed(key, compute)` keeps what the reference computed for the whole grader process:
    hidden inputs derive from the seed alone, so every student of a batch gets the same ones
    and the reference trains on them once, not once per student.
    """

    _computed = {}

    def __init__(self, root=None):
        self.root = require_course_root(root)

    def computed(self, key, compute):
        """compute(), once per grader process for the same hashable `key` (what the result depends
        on besides the course: a seed, settings). The value is shared between checks: treat it as
        read-only."""
        key = (str(self.root), key)
        if key not in self._computed:
            self._computed[key] = compute()
        return self._computed[key]

    def __getattr__(self, module):
        if module.startswith("_"):
            raise AttributeError(module)
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        return importlib.import_module(f"solutions.{module}")


def copy_reference_lib(dest, root=None):
    """Make `dest` a submission whose lib/ is the reference (solutions/ copied; markers are comments)."""
    root = require_course_root(root)
    lib = Path(dest) / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    shutil.copytree(root / "solutions", lib, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return Path(dest)


def copy_stub_lib(dest, root=None):
    """Make `dest` a submission whose lib/ holds the untouched stubs (the committed lib/)."""
    root = require_course_root(root)
    lib = Path(dest) / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    shutil.copytree(root / "lib", lib, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return Path(dest)
