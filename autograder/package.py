"""The submission packager: check an assignment folder and zip what the student hands in.

    autograder package NAME [--dir DIR] [--out FILE.zip]       (a terminal, in the folder)
    package_submission("NAME")                                  (a notebook cell: autograder.notebook)

Like CS231n's collect_submission, but it first looks for what students forget, and says it in
plain words. The zip holds `NAME/` with the student's work only: the assignment's notebooks,
`lib/*.py` and the release marker (the rest of the release — the autograder, the data, the
README — is the instructor's and identical for everyone). Every grading channel accepts it:
`autograder grade` / `grade-all` on the unzipped folder, and Gradescope as an upload.

Refused (exit 1, no zip written), because nobody could grade it:
- a notebook or a `lib/` module of the release is missing, or a notebook is not readable JSON;
- a `lib/` module is not valid Python (a syntax error stops every check of that module);
- a file is larger than MAX_FILE_BYTES, or everything together than MAX_TOTAL_BYTES;
- `lib/` is one the grader's submission reader refuses (sandbox/submission.py: lib/ a link, over
  its bounds, an ambiguous module), or a module of the release there is a link.
Warned (the zip is written; a partial submission can still earn points):
- a function still raises the stub's `NotImplementedError("Implement ...")` (found statically);
- a public check fails;
- a notebook is not saved with its outputs (cells not run, or it stops with an error), or an
  inline answer still says "YOUR ANSWER HERE";
- files that are not part of the assignment are left out of the zip;
- what the submission reader leaves out of lib/ (a link, a pipe, a large file): never zipped.
Only regular files are zipped, read where they are: a link is never followed.
"""
import ast
import html
import json
import os
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import assignment as find_assignment
from .sandbox.submission import SubmissionRefused, scan_submission

RELEASE_MARKER = ".gradlab-release"
MAX_FILE_BYTES = 20 << 20     # one notebook full of figures stays well below this
MAX_TOTAL_BYTES = 40 << 20    # below the 50 MB that the Gradescope bundle unpacks from an upload
STUB_MESSAGE = re.compile(r"^Implement (\S+) in (lib/\S+\.py)$")
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
# Editor, notebook and operating-system litter: never in the zip, not worth a word.
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".virtual_documents", ".DS_Store", "Thumbs.db",
                 "desktop.ini", ".git"}


class PackagingError(ValueError):
    """Arguments the packager cannot use (not an assignment folder, an --out that is not a zip)."""


@dataclass
class Packaging:
    """What `package` found and did: refused (problems) or written (zip_path), with warnings."""

    assignment: str
    folder: Path
    zip_path: Path = None
    problems: list = field(default_factory=list)     # why nothing was written
    warnings: list = field(default_factory=list)     # written all the same
    included: list = field(default_factory=list)     # paths inside NAME/ in the zip
    results: object = None                           # the public checks' Results, when they ran

    @property
    def written(self):
        return self.zip_path is not None

    def text(self):
        if not self.written:
            lines = [f"{self.assignment}: not packaged, because:"]
            lines += [f"- {p}" for p in self.problems]
            lines.append("Fix these, then package again.")
            return "\n".join(lines)
        size = self.zip_path.stat().st_size
        lines = [f"{self.assignment}: wrote {self.zip_path} (your notebooks and lib/: "
                 f"{len(self.included)} files, {_size(size)})."]
        if self.warnings:
            lines.append("Before you upload it, note:")
            lines += [f"- {w}" for w in self.warnings]
            lines.append("You may upload it as it is, or fix these and package again.")
        else:
            lines.append("Everything is in order: every function is implemented, the public checks pass "
                         "and the notebooks are saved with their outputs.")
        lines.append(f"Upload {self.zip_path.name}.")
        return "\n".join(lines)

    def __repr__(self):
        return self.text()

    def _repr_html_(self):
        items = lambda texts: "".join(f"<li>{html.escape(t)}</li>" for t in texts)  # noqa: E731
        if not self.written:
            return (f"<div><p style='color:#b00020'><b>{html.escape(self.assignment)}: not packaged</b>, "
                    f"because:</p><ul>{items(self.problems)}</ul><p>Fix these, then package again.</p></div>")
        name = html.escape(self.zip_path.name)
        link = html.escape(_relative_link(self.zip_path, self.folder))
        parts = [f"<div><p><b>{html.escape(self.assignment)}</b>: wrote <a href='{link}' download>{name}</a> "
                 f"(your notebooks and lib/: {len(self.included)} files, {_size(self.zip_path.stat().st_size)}); "
                 "it is also in the file browser.</p>"]
        if self.warnings:
            parts.append(f"<p style='color:#8a5300'>Before you upload it, note:</p><ul>{items(self.warnings)}</ul>"
                         "<p>You may upload it as it is, or fix these and package again.</p>")
        else:
            parts.append("<p style='color:#1b7f3b'>Everything is in order: every function is implemented, the "
                         "public checks pass and the notebooks are saved with their outputs.</p>")
        return "".join(parts) + "</div>"


def package(name, folder=".", out=None, run_public_checks=True):
    """Check assignment folder `folder` for assignment `name` and write the zip. → Packaging

    `out`: the zip to write (default: FOLDER/NAME_submission.zip). Raises PackagingError (and
    UnknownAssignment) for arguments that cannot be used; everything about the folder's
    contents is reported in the returned Packaging instead.
    """
    assignment = find_assignment(name)
    folder = Path(folder)
    if not folder.is_dir():
        raise PackagingError(f"{str(folder)!r} is not a folder; expected your assignment folder "
                             "(the one with the notebook and lib/).")
    if not (folder / "lib").is_dir():
        raise PackagingError(f"no lib/ folder in {folder.resolve()}; run this in your assignment folder "
                             "(the one with the notebook and lib/), or pass its path.")
    manifest = _read_marker(folder)
    if manifest.get("assignment") not in (None, name):
        raise PackagingError(f"{folder.resolve()} holds the {manifest['assignment']} assignment, not {name}; "
                             f"package it as {manifest['assignment']} or choose the {name} folder.")
    out = Path(out) if out else folder / f"{name}_submission.zip"
    if out.suffix.lower() != ".zip":
        raise PackagingError(f"--out must name a .zip file, found {str(out)!r}.")
    if not out.parent.is_dir():
        raise PackagingError(f"the folder of --out, {str(out.parent)!r}, does not exist.")

    report = Packaging(name, folder)
    try:
        scanned = scan_submission(folder / "lib")
    except SubmissionRefused as refused:
        report.problems.append(str(refused))
        return report
    wanted, left_out = _sort_files(folder, assignment, manifest, out, scanned)
    notebooks = [folder / nb for nb in assignment.notebooks]
    expected_lib = {p for p in manifest.get("files", []) if p.startswith("lib/") and p.endswith(".py")}
    expected_lib |= {f"lib/{m}.py" for m in assignment.modules} | {"lib/__init__.py"}
    for path in notebooks:
        if path.is_symlink():
            report.problems.append(f"the notebook {path.name} is a symbolic link; links are not packaged, so put "
                                   "the notebook itself there and package again.")
        elif not path.is_file():
            report.problems.append(f"the notebook {path.name} is missing; your work in it is part of the "
                                   "submission (restore it from the release, rerun it and save it).")
    in_lib = {f"lib/{relative}" for relative, _ in scanned.files}
    for relative in sorted(expected_lib - in_lib):
        left = [note for note in scanned.notes if note.startswith(f"{relative} ")]
        report.problems.append(f"{left[0]} Put the file itself in lib/ and package again." if left else
                               f"{relative} is missing; the notebooks and the grader import it "
                               "(restore it from the release).")
    for relative in wanted:
        size = (folder / relative).stat().st_size
        if size > MAX_FILE_BYTES:
            report.problems.append(f"{relative} is {_size(size)}, more than the {_size(MAX_FILE_BYTES)} one file may "
                                   "have; " + ("clear the outputs that print or draw a lot, rerun and save."
                                               if relative.endswith(".ipynb") else "data does not belong in lib/."))
    total = sum((folder / r).stat().st_size for r in wanted)
    if total > MAX_TOTAL_BYTES:
        report.problems.append(f"together the files are {_size(total)}, more than {_size(MAX_TOTAL_BYTES)}.")
    for relative in wanted:
        if relative.startswith("lib/") and relative.endswith(".py"):
            report.problems += _syntax_problems(folder / relative, relative)
    for path in notebooks:
        if path.is_file():
            report.problems += _unreadable(path)
    if report.problems:
        return report

    for module in assignment.modules:
        for function, line in stubs_left(folder / "lib" / f"{module}.py"):
            report.warnings.append(f"lib/{module}.py: {function} is not implemented yet (line {line} still raises "
                                   "NotImplementedError); it earns no points until you implement it.")
    if run_public_checks:
        from .runner import run_checks

        report.results = run_checks(name, folder, include_hidden=False, seed=None)
        failed = [t for t in report.results.tests if t.status == "failed"]
        if failed:
            names = ", ".join(t.name for t in failed)
            report.warnings.append(f"{len(failed)} of {len(report.results.tests)} public checks fail ({names}); "
                                   f"`python -m autograder check {name}` (or self_check(\"{name}\") in the "
                                   "notebook) says what to fix.")
    for path in notebooks:
        report.warnings += notebook_warnings(path)
    report.warnings += [f"{note} It is not in the zip." for note in scanned.notes]
    if left_out:
        report.warnings.append("left out of the zip, as they are not part of the assignment: "
                               + ", ".join(left_out) + ".")
    write_zip(folder, wanted, out, prefix=name)
    report.zip_path, report.included = out, wanted
    return report


def stubs_left(path):
    """[(function, line)] of every `raise NotImplementedError("Implement f in lib/m.py")` in `path`."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name) and node.exc.func.id == "NotImplementedError"
                and node.exc.args and isinstance(node.exc.args[0], ast.Constant)
                and isinstance(node.exc.args[0].value, str)):
            match = STUB_MESSAGE.match(node.exc.args[0].value)
            if match:
                found.append((match.group(1), node.lineno))
    return sorted(found, key=lambda item: item[1])


def notebook_warnings(path):
    """What is not finished in a saved notebook: cells not run, an error it stops with, answers."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    code = [(i + 1, c) for i, c in enumerate(cells) if c.get("cell_type") == "code" and _source(c).strip()]
    warnings = []
    not_run = [i for i, c in code if c.get("execution_count") is None]
    if code and len(not_run) == len(code):
        warnings.append(f"{path.name} is saved without outputs: run all its cells (Run > Run All Cells), save it "
                        "(File > Save), then package again, so your instructor sees your results.")
    elif not_run:
        warnings.append(f"{path.name}: {len(not_run)} of {len(code)} code cells were not run in the saved file "
                        f"(the first is cell {not_run[0]}); run all cells, save, then package again.")
    errors = [(i, o) for i, c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        i, output = errors[0]
        warnings.append(f"{path.name} stops with an error in cell {i} ({output.get('ename', 'Error')}: "
                        f"{_shorten(output.get('evalue', ''))}).")
    unanswered = [i + 1 for i, c in enumerate(cells)
                  if c.get("metadata", {}).get("nbgrader", {}).get("solution") and ANSWER_PLACEHOLDER in _source(c)]
    if unanswered:
        warnings.append(f"{path.name}: the inline answer cell{'s' if len(unanswered) > 1 else ''} "
                        f"{', '.join(map(str, unanswered))} still say{'' if len(unanswered) > 1 else 's'} "
                        f"\"{ANSWER_PLACEHOLDER}\".")
    return warnings


def write_zip(folder, relatives, out, prefix):
    """Write `out` holding `prefix/<relative>` for each file, atomically (a reader never sees half)."""
    out = Path(out)
    fd, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for relative in sorted(relatives):
                archive.write(Path(folder) / relative, f"{prefix}/{relative}")
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep a shared course folder's zip private
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return out


def _read_marker(folder):
    try:
        data = json.loads((folder / RELEASE_MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sort_files(folder, assignment, manifest, out, scanned):
    """(files for the zip, what is left out) as sorted relative POSIX paths; left-out folders are
    summarized as 'name/ (N files)'. Regular files only (lstat); lib/ is what `scanned` (its
    submission.Manifest) lists."""
    released = set(manifest.get("files", [])) | {"README.md", "requirements.txt"}
    wanted, left_out, left_dirs = [], [], {}
    for relative, _ in scanned.files:
        (wanted if "/" not in relative and relative.endswith(".py") else left_out).append(f"lib/{relative}")
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        parts = relative.parts
        if (parts[0] == "lib" or not stat.S_ISREG(path.lstat().st_mode) or any(p in IGNORED_NAMES for p in parts)
                or path.resolve() == out.resolve()):
            continue
        text = relative.as_posix()
        top_level_zip = len(parts) == 1 and re.fullmatch(rf"{re.escape(assignment.name)}_submission.*\.zip", text)
        if top_level_zip or text.endswith(".zip.tmp"):
            continue
        if text in assignment.notebooks or text == RELEASE_MARKER:
            wanted.append(text)
        elif text in released or parts[0] in ("autograder", "datasets"):
            continue  # the release's own files: the same for every student
        elif parts[0].startswith("."):
            continue
        elif len(parts) > 1:
            left_dirs[parts[0]] = left_dirs.get(parts[0], 0) + 1
        else:
            left_out.append(text)
    left_out += [f"{name}/ ({count} file{'s' if count > 1 else ''})" for name, count in left_dirs.items()]
    return sorted(wanted), sorted(left_out)


def _syntax_problems(path, relative):
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [f"{relative} is not UTF-8 text; save it as UTF-8 in your editor."]
    try:
        compile(source, relative, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [f"{relative} is not valid Python: {exc.msg} on line {exc.lineno}; nothing in it can be graded "
                "until you fix it."]
    return []


def _unreadable(path):
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise ValueError("no cells")
    except (OSError, ValueError) as exc:
        return [f"{path.name} is not a readable notebook ({_shorten(str(exc))}); open it in JupyterLab, "
                "save it, or restore it from the release."]
    return []


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _shorten(text, limit=120):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _size(size):
    return f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{max(size, 1) / 1024:.0f} KB"


def _relative_link(path, folder):
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.name
