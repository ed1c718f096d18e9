"""Make the real nbgrader CLI (0.9.6) work for a course whose code lives in lib/*.py.

`nbgrader_config.py` at the course root calls `configure(c)`. What nbgrader alone gets wrong,
and what this changes (DESIGN.md, "nbgrader"):

1. generate_assignment copies extra source files verbatim and knows nothing of lib/: the
   `ReleaseFiles` preprocessor adds lib/, datasets/, the student autograder and the README to
   the release through the one release builder, and `ScoreCell` adds to the assignment's first
   notebook one locked, auto-graded cell worth the checks' total points.
2. autograde would overwrite submitted files with the source copies: `exclude_overwriting` lists
   every lib/ path of every release.
3. autograde would run the student's notebook in a kernel next to the gradebook, and any
   stderr output would zero a cell: execution is switched off; `SandboxedScore` grades the
   submitted folder with `autograder grade` (public and hidden checks, student code in the
   sandbox) and writes the score and the check table as that cell's output, within an overall
   timeout (`c.SandboxedScore.timeout`, 300 s by default): a submission that stalls the grader, or
   one the grader fails on, scores 0 with the reason and autograde goes on. Notebook code cells
   carry no points, so nothing a student does in their kernel changes their grade.
4. a made-up grade cell makes nbgrader reject the notebook: `ForgetUnknownCells` turns cells
   unknown to the gradebook into plain cells first.
5. feedback would show hidden tests: `ClearHiddenTests` runs in generate_feedback; the score
   cell shows each check's score and message, never check code.
Manually graded answer cells are untouched: formgrader grades them as usual.
"""
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from traitlets import Float

from ..course import ASSIGNMENTS, assignment as find_assignment, course_root
from ..results import Results
from ..runner import run_checks
from .gradescope import GRADING_SECONDS
from .release import build_release, clear_notebook, lib_modules

SCORE_CELL_ID = "gradlab_autograder_score"


def max_points(assignment_name):
    """The total points of the assignment's checks, public and hidden (nothing is run)."""
    with tempfile.TemporaryDirectory() as empty:
        return run_checks(assignment_name, empty, include_hidden=True, seed=0, unavailable="counting").max_score


def score_cell(assignment_name):
    source = (f"# Auto-graded outside this notebook: your lib/ is graded by gradlab's sandboxed grader\n"
              f"# (public and hidden checks). Check yourself with:  !python -m autograder check {assignment_name}")
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "task": False,
                                 "points": max_points(assignment_name), "grade_id": SCORE_CELL_ID,
                                 "schema_version": 3}
    return cell


def _is_first_notebook(resources):
    info = resources.get("nbgrader", {})
    assignment = find_assignment(info.get("assignment"))
    return info.get("notebook") == Path(assignment.notebooks[0]).stem, assignment


class ScoreCell(NbGraderPreprocessor):
    """generate_assignment: append the auto-graded score cell to the assignment's first notebook."""

    def preprocess(self, nb, resources):
        first, assignment = _is_first_notebook(resources)
        if first and not any(c.metadata.get("nbgrader", {}).get("grade_id") == SCORE_CELL_ID for c in nb.cells):
            nb.cells.append(score_cell(assignment.name))
        return nb, resources


class ReleaseFiles(NbGraderPreprocessor):
    """generate_assignment: write lib/, datasets/, the student autograder and README beside the
    notebooks nbgrader writes, with the one release builder."""

    def preprocess(self, nb, resources):
        first, assignment = _is_first_notebook(resources)
        if first:
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            destination = coursedir.format_path(coursedir.release_directory, ".", assignment.name)
            build_release(assignment.name, destination, notebooks=False, into_existing=True)
        return nb, resources


class SandboxedScore(NbGraderPreprocessor):
    """autograde: grade the submitted folder with `autograder grade` and put the score in the
    score cell (its output: the check table on stdout and the score as the cell's result, which
    nbgrader reads as partial credit).

    The grading has `timeout` seconds in all (`c.SandboxedScore.timeout` in nbgrader_config.py).
    When it runs out, or the grader fails, the cell gets 0 with the reason as its output, the
    details go to nbgrader's log, and autograde goes on with the next student.
    """

    timeout = Float(GRADING_SECONDS, help="Seconds `autograder grade` may take for one submission, in all; "
                                          "past them the submission scores 0 with the reason.").tag(config=True)

    def preprocess(self, nb, resources):
        first, assignment = _is_first_notebook(resources)
        if not first:
            return nb, resources
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == SCORE_CELL_ID]
        if not cells:  # the student deleted it: grade all the same
            cells = [score_cell(assignment.name)]
            nb.cells.append(cells[0])
        folder = Path(resources["metadata"]["path"])
        with tempfile.TemporaryDirectory(prefix="gradlab-nbgrader-") as private:
            out = Path(private) / "results.json"
            why = self._grade(folder, assignment.name, out)
            if why is None:
                results = Results.read(out)
                text, score = results.table(), float(results.score)
            else:
                text, score = f"Score 0: your submission could not be graded: {why}.", 0.0
        cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
                            nbformat.v4.new_output("execute_result", data={"text/plain": repr(score)},
                                                   execution_count=1)]
        return nb, resources

    def _grade(self, folder, assignment_name, out):
        """Run `autograder grade` on `folder` into `out`. → None, or why it gave no results (for the
        student; the grader's own stderr goes to the log only: it may quote the hidden checks)."""
        command = [sys.executable, "-m", "autograder", "grade", str(folder), "--assignment", assignment_name,
                   "--out", str(out), "--quiet"]
        # A session of its own: at the deadline the grader and everything it started end together.
        with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, cwd=course_root(), start_new_session=True) as child:
            try:
                _, stderr = child.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                if hasattr(os, "killpg"):
                    os.killpg(child.pid, signal.SIGKILL)
                else:  # Windows: no sessions, so only the grader itself is ended here
                    child.kill()
                child.wait()  # not communicate(): a straggler holding the stderr pipe must not block us
                self.log.error("autograder grade on %s took longer than %g s; stopped, score 0.", folder, self.timeout)
                return (f"grading took longer than its limit of {self.timeout:g} s (code that never returns, or "
                        "far slower than needed); your instructor has been told")
        if child.returncode != 0 or not out.is_file():
            self.log.error("autograder grade on %s failed (exit status %s):\n%s", folder, child.returncode,
                           stderr[-3000:])
            return f"the grader stopped with an error (exit status {child.returncode}); your instructor has been told"
        return None


class ForgetUnknownCells(NbGraderPreprocessor):
    """autograde (sanitizing): a cell whose nbgrader metadata names no cell of the gradebook was
    made up by the student (e.g. a grade cell of their own worth 1000 points); it becomes an
    ordinary cell instead of making nbgrader reject the whole notebook."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {c.name for c in notebook.grade_cells + notebook.solution_cells + notebook.task_cells}
            known |= {c.name for c in notebook.source_cells}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if "nbgrader" in cell.metadata and grade_id not in known:
                del cell.metadata["nbgrader"]
        return nb, resources


def exclude_overwriting(root):
    """{assignment: [every lib/ file of its release]}: autograde must keep the student's copies."""
    excluded = {}
    for assignment in ASSIGNMENTS:
        sources = [root / "assignments" / assignment.name / nb for nb in assignment.notebooks]
        if all(p.is_file() for p in sources):
            modules = lib_modules(assignment, [clear_notebook(p) for p in sources], root / "solutions")
            excluded[assignment.name] = ["lib/__init__.py"] + [f"lib/{m}.py" for m in modules]
    return excluded


def configure(c, root=None):
    """Set up nbgrader's config `c` for this course (call from nbgrader_config.py)."""
    root = Path(root) if root else course_root()
    c.CourseDirectory.source_directory = str(root / "assignments")
    c.GenerateAssignment.preprocessors = [ScoreCell] + list(_defaults("GenerateAssignment")) + [ReleaseFiles]
    c.Autograde.exclude_overwriting = exclude_overwriting(root)
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, ForgetUnknownCells,
                                          OverwriteCells, CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [SandboxedScore, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                           SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    c.GenerateFeedback.preprocessors = [ClearHiddenTests] + list(_defaults("GenerateFeedback"))


def _defaults(converter):
    from nbgrader.converters import GenerateAssignment, GenerateFeedback

    cls = {"GenerateAssignment": GenerateAssignment, "GenerateFeedback": GenerateFeedback}[converter]
    return cls.class_traits()["preprocessors"].default()
