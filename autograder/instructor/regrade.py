"""Regrading a class after a check or a tolerance was fixed.

    autograder regrade ROOT --assignment NAME --results-dir DIR [--csv grades.csv] [--jobs N] [--seed N] [--yes]

1. The batch graded before is read from DIR; the hidden inputs are seeded as then: with the
   seed every previous result records (refused when they disagree or one is missing, unless
   --seed is given), so that only the fix, not new random inputs, moves a grade.
2. Every student folder of ROOT is graded again into a fresh staging folder (DIR/.regrade-<time>/).
3. What changed is printed before anything is replaced: per student (who gained, who lost, by
   how much, on which checks) and per check (for whom it changed).
4. Applied (--yes, or "y" at the prompt on a terminal): the previous results move to
   DIR/previous/<time>/ (with the previous CSV and the printed changes, changes.txt), the new
   ones take their place, and the CSV is written. Not applied: the staging folder is removed
   and DIR is untouched.
"""
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..text_safety import for_terminal
from .batch import BatchError, read_batch
from .grade import grade_all, write_csv


class RegradeRefused(BatchError):
    """The regrade cannot start; the message says why and what to pass instead."""


def recorded_seed(previous):
    """The one seed every previous result records; RegradeRefused when they disagree or one lacks it."""
    seeds = {}
    for student, results in sorted(previous.items()):
        seeds.setdefault(results.extra_data.get("seed"), []).append(student)
    missing = seeds.pop(None, [])
    if missing:
        raise RegradeRefused(f"no seed is recorded in the previous results of {_some(missing)}, so the hidden "
                             "inputs they were graded on are unknown; pass --seed N to regrade everyone with seed N.")
    if len(seeds) > 1:
        listed = "; ".join(f"seed {seed}: {_some(students)}" for seed, students in sorted(seeds.items()))
        raise RegradeRefused(f"the previous results record different seeds ({listed}); regrading them with one "
                             "seed would change hidden inputs too. Pass --seed N to regrade everyone with seed N.")
    return next(iter(seeds))


def _some(students, shown=3):
    more = len(students) - shown
    return ", ".join(students[:shown]) + (f" and {more} more" if more > 0 else "")


@dataclass
class StudentChange:
    student: str
    before: float | None          # None: not in the previous results (a new student folder)
    after: float | None           # None: no folder in ROOT any more
    max_before: float | None
    max_after: float | None
    checks: list = field(default_factory=list)   # [(check, points before, points after)] that differ

    @property
    def delta(self):
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass
class RegradeDiff:
    assignment: str
    seed: int
    versions_before: list
    versions_after: list
    changes: list            # StudentChange of every student whose score or checks changed
    unchanged: list          # students with the same points on every check
    check_points: dict       # check -> (max points before, max points after); None when absent

    @property
    def gained(self):
        return [c for c in self.changes if c.before is not None and c.after is not None and c.delta > 0]

    @property
    def lost(self):
        return [c for c in self.changes if c.before is not None and c.after is not None and c.delta < 0]

    def report(self):
        """The changes as text: the summary line, per student, then per check (student ids are folder
        names a student chose: their control characters are shown escaped)."""
        return for_terminal(self._report())

    def _report(self):
        both = [c for c in self.changes if c.before is not None and c.after is not None]
        shifted = [c for c in both if c.delta == 0]
        new = [c.student for c in self.changes if c.before is None]
        gone = [c.student for c in self.changes if c.after is None]
        lines = [f"Regrade of {self.assignment} with seed {self.seed} (grader {_versions(self.versions_before)}"
                 f" -> {_versions(self.versions_after)}): {len(self.gained)} gained, {len(self.lost)} lost, "
                 f"{len(self.unchanged) + len(shifted)} kept their score"
                 + (f", {len(new)} new" if new else "") + (f", {len(gone)} no longer in ROOT" if gone else "") + "."]
        changed_max = {name: points for name, points in self.check_points.items() if points[0] != points[1]}
        for name, (before, after) in changed_max.items():
            lines.append(f"  check {name}: " + ("new, " + _pts(after) if before is None else
                                                 "removed (was " + _pts(before) + ")" if after is None else
                                                 f"now worth {_pts(after)} (was {before:g})"))
        if not self.changes:
            lines.append("No student's points changed.")
            return "\n".join(lines)
        width = max(len("student"), *(len(c.student) for c in self.changes))
        lines += ["", "Per student:", f"  {'student':<{width}}  {'before':>11}  {'after':>11}  {'change':>7}"]
        for c in sorted(self.changes, key=lambda c: (-abs(c.delta), c.student)):
            before = "-" if c.before is None else f"{c.before:g} / {c.max_before:g}"
            after = "-" if c.after is None else f"{c.after:g} / {c.max_after:g}"
            note = " (new student)" if c.before is None else " (no folder in ROOT)" if c.after is None else ""
            lines.append(f"  {c.student:<{width}}  {before:>11}  {after:>11}  {c.delta:>+7g}{note}")
            lines += [f"  {'':<{width}}    {check}: {_opt(old)} -> {_opt(new)}" for check, old, new in c.checks]
        by_check = {}
        for c in self.changes:
            for check, old, new in c.checks:
                by_check.setdefault(check, []).append((c.student, (new or 0.0) - (old or 0.0)))
        lines += ["", "Per check:"]
        for check, moves in by_check.items():
            up = [f"{s} ({d:+g})" for s, d in moves if d > 0]
            down = [f"{s} ({d:+g})" for s, d in moves if d < 0]
            # A check new in this regrade that a student does not pass: absent before, 0 now.
            none = [s for s, d in moves if d == 0]
            parts = ([f"gained by {', '.join(up)}"] if up else []) + ([f"lost by {', '.join(down)}"] if down else [])
            parts += [f"0 points for {', '.join(none)}"] if none else []
            lines.append(f"  {check}: " + "; ".join(parts))
        return "\n".join(lines)


def _versions(versions):
    return ", ".join(versions) if versions else "unknown"


def _pts(points):
    return f"{points:g} point{'s' if points != 1 else ''}"


def _opt(value):
    return "absent" if value is None else f"{value:g}"


def compare(previous, current, assignment, seed):
    """RegradeDiff between {student: Results} before and after."""
    changes, unchanged = [], []
    check_points = {}
    for batch, side in ((previous, 0), (current, 1)):
        for results in batch.values():
            for t in results.tests:
                points = check_points.setdefault(t.name, [None, None])
                points[side] = t.max_score if points[side] is None else max(points[side], t.max_score)
    for student in sorted(set(previous) | set(current)):
        old, new = previous.get(student), current.get(student)
        old_scores = {t.name: t.score for t in old.tests} if old else {}
        new_scores = {t.name: t.score for t in new.tests} if new else {}
        names = list(old_scores) + [n for n in new_scores if n not in old_scores]
        checks = [(n, old_scores.get(n), new_scores.get(n)) for n in names
                  if old and new and old_scores.get(n) != new_scores.get(n)]
        change = StudentChange(student, old.score if old else None, new.score if new else None,
                               old.max_score if old else None, new.max_score if new else None, checks)
        if old and new and not checks:
            unchanged.append(student)
        else:
            changes.append(change)
    return RegradeDiff(assignment, seed,
                       sorted({str(r.extra_data.get("grader_version")) for r in previous.values()}),
                       sorted({str(r.extra_data.get("grader_version")) for r in current.values()}),
                       changes, unchanged, {name: tuple(points) for name, points in check_points.items()})


def timestamp(results_dir):
    """A name for this regrade's folders, unique in results_dir/previous/."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    name, n = stamp, 1
    while (Path(results_dir) / "previous" / name).exists() or (Path(results_dir) / f".regrade-{name}").exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


@dataclass
class Regrade:
    """A class graded again into `staging`, not yet applied."""
    results_dir: Path
    staging: Path
    stamp: str
    diff: RegradeDiff
    results: dict            # student -> new Results
    failed: dict             # student -> why the grader could not grade it

    def apply(self, csv_path=None):
        """Keep the previous results (and CSV) in results_dir/previous/<stamp>/, then write the new ones.
        → the folder holding the previous results"""
        kept = self.results_dir / "previous" / self.stamp
        kept.mkdir(parents=True)
        for path in sorted(self.results_dir.glob("*.json")):
            shutil.move(path, kept / path.name)
        if csv_path and Path(csv_path).is_file():
            shutil.copy2(csv_path, kept / Path(csv_path).name)
        (kept / "changes.txt").write_text(self.diff.report() + "\n")
        for path in sorted(self.staging.glob("*.json")):
            shutil.move(path, self.results_dir / path.name)
        if csv_path:
            write_csv(csv_path, self.results)
        self.discard()
        return kept

    def discard(self):
        shutil.rmtree(self.staging, ignore_errors=True)


def regrade(root, assignment_name, results_dir, seed=None, jobs=None):
    """Grade ROOT again into a staging folder of results_dir and compare with the results there. → Regrade

    `seed` None reuses the seed of the previous results (RegradeRefused when it is not one).
    Nothing in results_dir is replaced until Regrade.apply.
    """
    results_dir = Path(results_dir)
    previous = read_batch(results_dir, assignment_name)
    seed = recorded_seed(previous) if seed is None else int(seed)
    stamp = timestamp(results_dir)
    staging = results_dir / f".regrade-{stamp}"
    try:
        report = grade_all(root, assignment_name, staging / "grades.csv", seed, jobs=jobs, results_dir=staging,
                           force=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    diff = compare(previous, report.results, assignment_name, seed)
    return Regrade(results_dir, staging, stamp, diff, report.results, report.failed)
