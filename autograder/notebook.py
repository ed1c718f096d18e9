"""The student's side of the autograder inside Jupyter (ships in every release).

In a notebook next to `lib/`:

    %load_ext autograder.notebook       # a stub that is not done yet gives one line, not a traceback
    from autograder.notebook import self_check, package_submission
    self_check("svm")                   # the public checks on lib/, as a table
    package_submission("svm")           # check the folder and write svm_submission.zip

`self_check` runs the same public checks as `autograder check` (never the hidden ones: a release
does not contain them, and in a course checkout they are left out). Every run starts fresh
worker processes on a fresh copy of `lib/`, so it sees the files as they are on disk now:
edit, save, run the cell again — no kernel restart.

The extension turns `NotImplementedError("Implement f in lib/m.py")`, which every stub raises,
into the line "Not implemented yet: Implement f in lib/m.py — implement it, save, rerun this
cell". Every other exception keeps its full traceback.
"""
import html
from pathlib import Path

from .course import assignment as find_assignment
from .package import STUB_MESSAGE, package

NOT_IMPLEMENTED = "Not implemented yet: {message} — implement it, save, rerun this cell"


class CheckReport:
    """The public checks' results, shown as an HTML table in Jupyter and as text elsewhere."""

    def __init__(self, name, results):
        self.name, self.results = name, results

    @property
    def passed(self):
        return all(t.status == "passed" for t in self.results.tests)

    def summary(self):
        score = f"{self.results.score:g} / {self.results.max_score:g} points"
        if self.passed:
            return f"{self.name}: all {len(self.results.tests)} public checks pass ({score})."
        failed = sum(t.status == "failed" for t in self.results.tests)
        return (f"{self.name}: {failed} of {len(self.results.tests)} public checks fail ({score}); "
                "each says what it compared and, when it recognizes the mistake, a hint.")

    def __repr__(self):
        return f"{self.results.table()}\n\n{self.summary()}\nHidden checks (run by your instructor) test more."

    def _repr_html_(self):
        rows = []
        for t in self.results.tests:
            colour = "#1b7f3b" if t.status == "passed" else "#b00020"
            rows.append(f"<tr><td style='text-align:left'><code>{html.escape(t.name)}</code></td>"
                        f"<td style='white-space:nowrap'>{t.score:g} / {t.max_score:g}</td>"
                        f"<td style='color:{colour};font-weight:bold'>{t.status}</td>"
                        f"<td style='text-align:left'><div style='white-space:pre-wrap'>"
                        f"{html.escape(t.output.strip())}</div></td></tr>")
        rows.append(f"<tr><td style='text-align:left'><b>total</b></td>"
                    f"<td style='white-space:nowrap'><b>{self.results.score:g} / {self.results.max_score:g}</b></td>"
                    "<td></td><td></td></tr>")
        header = "".join(f"<th style='text-align:{align}'>{title}</th>" for title, align in
                         (("check", "left"), ("points", "center"), ("result", "center"),
                          ("message and hint", "left")))
        return (f"<div class='gradlab-self-check'><p><b>{html.escape(self.summary())}</b></p>"
                f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                "<p>Hidden checks (run by your instructor) test the same functions on other inputs.</p></div>")


def self_check(name, folder="."):
    """Run assignment `name`'s public checks on `folder`/lib and return them as a table.

    Each call copies lib/ afresh into new worker processes, so an edit saved since the last
    call counts without restarting the kernel. → CheckReport (shown as a table in Jupyter)
    """
    from .runner import run_checks

    find_assignment(name)
    folder = Path(folder)
    if not (folder / "lib").is_dir():
        raise FileNotFoundError(f"No lib/ folder in {folder.resolve()}: self_check runs in your assignment "
                                "folder (the one with the notebook and lib/), or pass folder=\"path\".")
    return CheckReport(name, run_checks(name, folder, include_hidden=False, seed=None))


def package_submission(name, folder=".", out=None):
    """Check the assignment folder and write NAME_submission.zip to upload (autograder.package).

    → Packaging (shown in Jupyter with what is missing and a link to the zip). Save the notebook
    first (File > Save): the packager reads the notebooks as they are on disk.
    """
    return package(name, folder, out)


def stub_message(value):
    """The one line for a stub's NotImplementedError, or None for any other NotImplementedError."""
    message = str(value).strip()
    return NOT_IMPLEMENTED.format(message=message) if STUB_MESSAGE.match(message) else None


def _show_not_implemented(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler for NotImplementedError."""
    line = stub_message(value)
    if line is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        shell._showtraceback(etype, value, [line])


def load_ipython_extension(ipython):
    """`%load_ext autograder.notebook`: one line for a stub not done yet."""
    ipython.set_custom_exc((NotImplementedError,), _show_not_implemented)


def unload_ipython_extension(ipython):
    ipython.set_custom_exc((), None)
