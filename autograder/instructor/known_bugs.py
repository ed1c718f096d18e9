"""The library of known-buggy implementations (tests/known_bugs/<assignment>/*.py).

Each file is a small snippet with a docstring header:

    \"\"\"One line saying what the mistake is.

    module: linear_svm
    caught_by: svm_loss_naive_regularization
    hint: the factor 2 is missing
    \"\"\"
    def svm_loss_naive(W, X, y, reg): ...        # or: LinearClassifier.train = _train

A buggy submission is the reference lib/ with the snippet appended to lib/<module>.py, so the
snippet's definitions replace the reference's. `caught_by` names the check that must fail;
`hint` is the words that the failed check's "Hint:" line must contain for this mistake, written
by the bug's author from the mistake itself (what a student who made it needs to read).
"""
import ast
from dataclasses import dataclass
from pathlib import Path

from ..course import course_root
from .reference import copy_reference_lib


@dataclass(frozen=True)
class KnownBug:
    assignment: str
    name: str           # the file's stem
    summary: str        # first line of the docstring
    module: str         # the lib module it changes
    caught_by: str      # the check that must lose points
    hint: str           # words the labelled check's "Hint:" line must contain
    code: str           # the snippet


def bugs_dir(assignment, root=None):
    return Path(root or course_root()) / "tests" / "known_bugs" / assignment


def load_known_bugs(assignment, root=None):
    """Every KnownBug of `assignment`, sorted by name."""
    bugs = []
    for path in sorted(bugs_dir(assignment, root).glob("*.py")):
        code = path.read_text()
        doc = ast.get_docstring(ast.parse(code)) or ""
        fields = dict(line.split(":", 1) for line in doc.splitlines()[1:] if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        missing = {"module", "caught_by", "hint"} - set(fields)
        if missing:
            raise ValueError(f"{path}: the docstring lacks {', '.join(sorted(missing))}: lines.")
        bugs.append(KnownBug(assignment, path.stem, doc.splitlines()[0], fields["module"],
                             fields["caught_by"], fields["hint"], code))
    return bugs


def make_bug_submission(bug, dest, root=None):
    """A submission folder `dest` whose lib/ is the reference with `bug` applied. → dest"""
    dest = copy_reference_lib(dest, root)
    target = Path(dest) / "lib" / f"{bug.module}.py"
    target.write_text(target.read_text() + "\n\n# --- known bug: " + bug.name + " ---\n" + bug.code)
    return Path(dest)
