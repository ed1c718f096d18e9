"""The grading policy page, generated from the checks themselves so that it never drifts.

    autograder policy [NAME] [--out policy.md]

Per assignment: every check with its points, what it verifies (the first paragraph of its
docstring, the same text a student reads as "Verified: ..."), public or hidden and its
Gradescope visibility, and the assignment's own tolerance constants. Once per page: the
comparison and gradient-check tolerances (from checks/common.py), the time and memory limits
(from sandbox.proxy.Limits), the loop rule (from static_loops' docstring), and what "form
checks score only when the values are right" means.

The checks are listed by the grader's own machinery: the grading plugin runs every check of the
module with every check "unavailable" (nothing is executed, no sandbox starts), exactly as when a
submission has no lib/, so names, points and visibilities are those of a real grade.
"""
import ast
import inspect
import re
import tempfile
from dataclasses import dataclass, fields

import numpy as np

from .. import __version__, static_loops
from ..checks import common
from ..course import ASSIGNMENTS, assignment as find_assignment
from ..plugin import GradingPlugin, _summary, run_pytest
from ..sandbox.proxy import Limits

VISIBILITY_MEANING = {
    "visible": "shown at once",
    "after_due_date": "shown after the due date",
    "after_published": "shown when grades are published",
    "hidden": "never shown",
}
TOLERANCE_CONSTANT = re.compile(r"^(?:[A-Z_]*TOL(?:ERANCE)?|H)$")


@dataclass(frozen=True)
class CheckPolicy:
    name: str
    points: float
    verifies: str       # the first paragraph of the check's docstring
    hidden: bool
    visibility: str


class _Catalogue(GradingPlugin):
    """The grading plugin with every check unavailable: it records each check instead of running it."""

    def __init__(self, folder):
        super().__init__(folder, seed=0, include_hidden=True,
                         unavailable="not run: listing the checks for the grading policy")
        self.checks = []

    def _result(self, item, call):
        result = super()._result(item, call)
        self.checks.append(CheckPolicy(result.name, result.max_score, _summary(item.function), item.gradlab_hidden,
                                       result.visibility))
        return result


def assignment_checks(name):
    """[CheckPolicy] of every check of assignment `name`, in grading order."""
    assignment = find_assignment(name)
    with tempfile.TemporaryDirectory(prefix="gradlab-policy-") as empty:
        catalogue = _Catalogue(empty)
        run_pytest(assignment.checks_file, catalogue)
    return catalogue.checks


def assignment_tolerances(name):
    """[(constant, value, comment)] of the tolerance constants (`*_TOL`, `*TOLERANCE`, `H`) of a checks module."""
    path = find_assignment(name).checks_file
    lines = path.read_text().splitlines()
    found = []
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and TOLERANCE_CONSTANT.match(node.targets[0].id) and isinstance(node.value, ast.Constant)
                and type(node.value.value) in (int, float)):
            continue
        found.append((node.targets[0].id, node.value.value, _comment(lines, node.lineno - 1)))
    return found


def _comment(lines, index):
    """The comment of the line `index`: its own trailing comment, else the comment block above it
    (skipping over the constants right above, which share it)."""
    own = lines[index].split("#", 1)
    if len(own) == 2:
        return own[1].strip()
    above = index - 1
    while above >= 0 and re.match(r"^[A-Z_]+\s*=", lines[above]):
        above -= 1
    block = []
    while above >= 0 and lines[above].lstrip().startswith("#"):
        block.insert(0, lines[above].lstrip()[1:].strip())
        above -= 1
    return " ".join(block)


def tolerance_rules():
    """The comparison rules of checks/common.py, with the numbers read from its code."""
    float64, float32 = common.tolerance(np.zeros(1)), common.tolerance(np.zeros(1, np.float32))
    gradient = inspect.signature(common.check_gradient).parameters
    step = inspect.signature(common.numerical_gradient_at).parameters["h"].default
    guard = inspect.signature(common.GradientGuard).parameters
    array_measure = inspect.getdoc(common.array_error).split(":")[0]
    return [
        f"Values (losses, gradients, layer outputs) are compared by relative error: for arrays "
        f"`{array_measure}` (relative to the array's scale, robust near zero), for single numbers "
        "`|actual - expected| / max(|actual|, |expected|)`.",
        f"Against the reference the tolerance is {float64:.0e} for float64 inputs and {float32:.0e} when an input "
        f"is float32 ({inspect.getdoc(common.tolerance).split(': ', 1)[1].rstrip('.')}).",
        f"Gradient checks take the numerical gradient of *your own* loss by centered differences "
        f"(h = {step:g}) at {gradient['num_coords'].default} random coordinates and compare it with your analytic "
        f"gradient by CS231n's relative error `|num - ana| / max(|num| + |ana|, 1e-8)`, at most "
        f"{gradient['tol'].default:.0e}. Then the same loss is asked, in a second worker that sees nothing "
        f"else, for its value at {guard['directions'].default} points one small step along random "
        "dense directions from a point near W: the two workers must give the same values (a loss is a function of "
        f"its inputs alone) and the derivatives along those directions must match your gradient (all but "
        f"{common.GradientGuard.ALLOWED_KINKS}, for a kink of a piecewise-linear loss).",
        "Exact worked examples (the lecture's numbers) and quantities recomputed operation for operation are "
        "held to tighter tolerances; every failure message states the measure, the error and the tolerance used.",
    ]


def _limit_value(name, value):
    if name.endswith("_seconds"):
        return f"{value:g} s"
    if name.endswith("_bytes"):
        for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value >= size and value % size == 0:
                return f"{value // size} {unit}"
        return f"{value} bytes"
    return str(value)


def limit_rows():
    """[(limit, value, meaning)] of the sandbox's Limits, meanings from the comments in its definition."""
    comments = {}
    for line in inspect.getsource(Limits).splitlines():
        match = re.match(r"\s+(\w+):[^#]*#\s*(.+)", line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    limits = Limits()
    return [(f.name, _limit_value(f.name, getattr(limits, f.name)), comments.get(f.name, ""))
            for f in fields(Limits)]


def loop_rule():
    """static_loops' docstring, each paragraph on one line (its source line breaks mean nothing)."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in inspect.getdoc(static_loops).split("\n\n"))


FORM_CHECKS = (
    "Checks of *form* (the function is loop-free, it leaves its inputs unchanged) first check the function's "
    "values too, and score only when those are right: a function that returns zeros, or raises "
    "NotImplementedError, has no loops and changes nothing, yet earns nothing on them.")


def policy_page(names=None):
    """The policy page in Markdown, for assignment `names` (default: every assignment with checks)."""
    names = names or [a.name for a in ASSIGNMENTS if a.checks_file.is_file()]
    assignments = [find_assignment(n) for n in names]
    missing = [a.name for a in assignments if not a.checks_file.is_file()]
    if missing:
        raise FileNotFoundError(f"no checks exist yet for {', '.join(missing)} "
                                f"(expected {', '.join(str(find_assignment(n).checks_file) for n in missing)}).")
    out = ["# Grading policy", "",
           f"Generated from the checks themselves by `autograder policy` (grader version {__version__}).", "",
           "## How your work is graded", "",
           "- Your `lib/` is run by checks, each worth the points listed below. A check earns its points only "
           "when it passes completely.",
           "- **Public** checks ship with the assignment: `python -m autograder check NAME` runs them on your "
           "own code. **Hidden** checks test the same functions on other inputs against the reference "
           "solution, and check your gradients against your own loss; their results are shown as the "
           "visibility column says.",
           f"- {FORM_CHECKS}",
           "- Speed is reported in the feedback (your time against the reference's) but never graded.",
           "- Visibility: " + "; ".join(f"`{v}`: {m}" for v, m in VISIBILITY_MEANING.items()) + ".", "",
           "## Tolerances", ""]
    out += [f"- {rule}" for rule in tolerance_rules()]
    out += ["", "## Time and memory limits", "",
            "Your code runs in a separate process with these limits. A call that runs over its limit, or a "
            "process that is killed, fails the checks that needed it; later calls to the same function fail "
            "at once instead of costing the time again.", "",
            "| limit | value | what it limits |", "|---|---|---|"]
    out += [f"| `{name}` | {value} | {meaning} |" for name, value, meaning in limit_rows()]
    out += ["", "## The loop rule", "", loop_rule(), ""]
    for assignment in assignments:
        checks = assignment_checks(assignment.name)
        total = sum(c.points for c in checks)
        public = sum(c.points for c in checks if not c.hidden)
        out += [f"## {assignment.name} ({total:g} points)", "",
                f"{len(checks)} checks: {public:g} points public, {total - public:g} points hidden.", "",
                "| check | points | public or hidden | visibility | what it verifies |", "|---|---|---|---|---|"]
        out += [f"| `{c.name}` | {c.points:g} | {'hidden' if c.hidden else 'public'} | {c.visibility} | "
                f"{c.verifies.replace('|', '&#124;')} |" for c in checks]
        out.append(f"| **total** | **{total:g}** | | | |")
        constants = assignment_tolerances(assignment.name)
        if constants:
            out += ["", f"Tolerances specific to {assignment.name}:", ""]
            shared = {}  # constants under one comment block are listed together
            for name, value, comment in constants:
                shared.setdefault(comment, []).append(f"`{name} = {value:g}`")
            out += [f"- {', '.join(listed)}" + (f": {comment}" if comment else "")
                    for comment, listed in shared.items()]
        out.append("")
    return "\n".join(out)
