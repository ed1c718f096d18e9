"""`autograder mutants [NAME]`: grade every known bug and report the mutation score.

A known bug (tests/known_bugs/<assignment>/) is caught when the check labelled to catch it
(`caught_by:`) loses points; a vaguer catch by some other check does not count. The report
lists, per assignment, each bug, the checks that failed, the points lost, and the bugs that no
check catches.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..course import ASSIGNMENTS
from .grade import grade_all
from .known_bugs import load_known_bugs, make_bug_submission


@dataclass
class Mutant:
    bug: object            # KnownBug
    failed: list           # names of the checks that lost points
    points_lost: float

    @property
    def caught(self):
        return self.bug.caught_by in self.failed


def run_mutants(assignment_name, seed, jobs=None):
    """[Mutant] for every known bug of the assignment, graded with public and hidden checks."""
    bugs = load_known_bugs(assignment_name)
    with tempfile.TemporaryDirectory(prefix="gradlab-mutants-") as folder:
        root = Path(folder) / "class"
        for bug in bugs:
            make_bug_submission(bug, root / bug.name)
        report = grade_all(root, assignment_name, Path(folder) / "grades.csv", seed, jobs=jobs)
    mutants = []
    for bug in bugs:
        results = report.results[bug.name]
        failed = [t.name for t in results.tests if t.status == "failed"]
        mutants.append(Mutant(bug, failed, results.max_score - results.score))
    return mutants


def mutants_table(assignment_name, mutants):
    caught = sum(m.caught for m in mutants)
    lines = [f"{assignment_name}: {caught} / {len(mutants)} known bugs caught by their labelled check"]
    width = max([len("bug")] + [len(m.bug.name) for m in mutants])
    lines.append(f"  {'bug':<{width}}  caught  lost  labelled check (other checks that failed)")
    for m in mutants:
        others = [name for name in m.failed if name != m.bug.caught_by]
        mark = "yes" if m.caught else "NO"
        lines.append(f"  {m.bug.name:<{width}}  {mark:<6}  {m.points_lost:>4g}  {m.bug.caught_by}"
                     + (f" ({', '.join(others)})" if others else ""))
    missed = [m.bug.name for m in mutants if not m.caught]
    if missed:
        lines.append(f"  not caught: {', '.join(missed)}")
    return "\n".join(lines)


def assignments_with_bugs(name=None):
    names = [name] if name else [a.name for a in ASSIGNMENTS]
    return [n for n in names if load_known_bugs(n)]
