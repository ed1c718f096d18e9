"""A Gradescope autograder bundle for one assignment, and what runs inside it.

    autograder gradescope svm --out autograder.zip

The zip holds, at its root, `setup.sh` and `run_autograder` (Gradescope's entry points) and
`source/`: the grader (with the hidden checks), the reference solutions, the data, the
release's lib/ (to complete uploads of single module files), the requirements, and the course
secret seed when the instructor has one (course.local.toml), so that regrades reproduce.

Gradescope's default image is Ubuntu 22.04 with Python 3.10, and nbgrader needs 3.11: the
grading core needs neither nbgrader nor 3.11 (tests/test_gradescope.py checks it with vermin),
so setup.sh installs only numpy, pytest, tqdm and tomli into the image's own Python 3.

At grading time `run_autograder` calls `python3 -m autograder.instructor.gradescope`, which
finds the student's code in /autograder/submission — the assignment folder, a zip of it, or
just the module files — grades it and writes /autograder/results/results.json, in every case:

- the upload is read, never followed: its zips are unpacked into folders the grader names,
  inside a scratch folder, within one budget for the whole upload; the student's lib/ goes
  through the submission reader (sandbox/submission.py); whatever is skipped gets a note;
- the grading runs in a child process with an overall deadline (GRADING_SECONDS); this process
  runs no student code and writes results.json itself once the child has ended, with zeros on
  every check and the reason when the child failed, died or ran out of time;
- should Python itself fail, run_autograder writes the zeros.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

from ..course import assignment as find_assignment, course_root
from ..results import Results, validate, write_atomic
from ..runner import run_checks
from ..sandbox.proxy import Limits
from ..sandbox.submission import Manifest, SubmissionBounds, SubmissionRefused, copy_manifest, scan_submission
from .grade import grade_submission, resolve_seed

GRADER_REQUIREMENTS = """\
numpy>=1.26
pytest>=7.4
tqdm>=4.66
tomli>=2.0; python_version < "3.11"
"""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when the image is built (Ubuntu 22.04, Python 3.10).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip util-linux procps
python3 -m pip install --no-cache-dir -r /autograder/source/requirements-grader.txt
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT stands in for /autograder in tests,
# which also pass options (e.g. --deadline SECONDS) through.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
results="$root/results/results.json"
# Where Docker refuses namespaces the workers run as pool uids without a private root: they can
# read whatever all users may read, so the hidden checks, the solutions and the seed are not that.
chmod -R go-rwx "$root/source"
cd "$root/source" && python3 -m autograder.instructor.gradescope --assignment {name} --root "$root" "$@"
status=$?
# The grader writes results.json and exits 0. Any other end (Python could not start, the grader
# was killed) leaves zeros that say so, over whatever file may be there: a student's code must
# never get to write the results and then stop the grader.
if [ "$status" -ne 0 ] || [ ! -s "$results" ]; then
  mkdir -p "$root/results"
  message="The autograder stopped before it finished grading your upload (exit status $status),"
  message="$message so no points were given. Your instructor can see the details in the autograder log."
  printf '{{"score": 0.0, "execution_time": 0.0, "tests": [], "extra_data": {{}}, "output": "%s"}}\n' \
    "$message" > "$results"
fi
exit "$status"
"""

# One budget for the whole upload: all its zips together unpack to at most this much.
MAX_UNPACKED_BYTES = 50 << 20
MAX_UNPACKED_FILES = 2000
# The whole grading of one upload (unpacking, every worker start, every check), past which the
# upload gets zeros saying so: the sandbox's own budget for the student's calls plus room for
# the grader's share (measured: an honest svm upload takes about 15 s in all).
GRADING_SECONDS = Limits().submission_seconds + 120
# After the deadline the grading process gets this long to end its workers before it is killed.
STOP_SECONDS = 10
ENCRYPTED = 0x1   # general purpose flag bit 0 of a zip member: encrypted


def build_bundle(name, out, root=None):
    """Write the Gradescope autograder zip of assignment `name` to `out`. → out"""
    from .release import build_release

    assignment = find_assignment(name)
    root = Path(root) if root else course_root()
    out = Path(out)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        shutil.copytree(root / "autograder", source / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(root / "solutions", source / "solutions", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(root / "datasets", source / "datasets", ignore=shutil.ignore_patterns("cifar-10-*"))
        release = build_release(assignment.name, Path(scratch) / "release" / name, root=root)
        shutil.copytree(release / "lib", source / "release_lib")
        (source / "requirements-grader.txt").write_text(GRADER_REQUIREMENTS)
        for config in ("course.toml", "course.local.toml"):
            if (root / config).is_file():
                shutil.copy(root / config, source / config)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            _add_script(bundle, "setup.sh", SETUP_SH)
            _add_script(bundle, "run_autograder", RUN_AUTOGRADER.format(name=name))
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    bundle.write(path, Path("source") / path.relative_to(source))
    return out


def _add_script(bundle, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16
    bundle.writestr(info, text)


def unpack_zips(folder, dest):
    """Unpack the zips of the upload `folder` into fresh folders dest/zip-1/, dest/zip-2/, ... → [notes]

    A zip is unpacked into a folder named here, never after the zip (a zip named `...zip` has the
    stem `..`), and each member is written below that folder by this code, never by zipfile's
    own extractall. One budget (MAX_UNPACKED_BYTES, MAX_UNPACKED_FILES) holds for all the zips of
    the upload together; a zip that would pass what is left of it is not unpacked. Zips inside a
    zip stay packed. Whatever cannot be unpacked safely is skipped with a note for the student,
    never raised: a corrupt zip, an encrypted or unsafely named member, a member that is a link,
    a folder or a link named like a zip.
    """
    folder, dest = Path(folder), Path(dest)
    notes = []
    budget = {"bytes": MAX_UNPACKED_BYTES, "files": MAX_UNPACKED_FILES}
    archives = []
    for parent, dirs, files in os.walk(folder):  # never into a linked folder
        for name in sorted(dirs + files):
            if not name.lower().endswith(".zip"):
                continue
            path = Path(parent) / name
            shown = _shown(path.relative_to(folder))
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                archives.append((path, shown))
            elif stat.S_ISDIR(mode):
                notes.append(f"{shown} is a folder, not a zip: its files were read as they are.")
            else:
                notes.append(f"{shown} is not a regular file (a link or a special file); it was not unpacked.")
        dirs.sort()
    for n, (archive, shown) in enumerate(sorted(archives), 1):
        target = dest / f"zip-{n}"
        try:
            notes += _unpack(archive, shown, target, budget)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
                NotImplementedError, ValueError) as exc:
            shutil.rmtree(target, ignore_errors=True)
            notes.append(f"{shown} could not be unpacked ({type(exc).__name__}: {exc}); it was skipped. "
                         "Zip your assignment folder again and upload the new zip.")
    return notes


def _unpack(archive, shown, target, budget):
    """Unpack the members of `archive` that are safe into `target` within `budget`. → [notes]"""
    notes, members = [], []
    with zipfile.ZipFile(archive) as z:
        for member in z.infolist():
            name = member.filename
            kind = stat.S_IFMT(member.external_attr >> 16)
            if member.flag_bits & ENCRYPTED:
                notes.append(f"{shown}: {_shown(name)} is encrypted, so it was not unpacked; zip it without a "
                             "password.")
            elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                notes.append(f"{shown}: {_shown(name)} is a link or a special file; links are not followed, "
                             "so it was not unpacked.")
            elif not _safe_member_name(name):
                notes.append(f"{shown}: {_shown(name)} would land outside the zip's folder, so it was not unpacked.")
            else:
                members.append(member)
        files = [m for m in members if not m.is_dir()]
        size = sum(m.file_size for m in files)
        if size > budget["bytes"] or len(files) > budget["files"]:
            notes.append(f"{shown} would unpack to {len(files)} files and {size / (1 << 20):.1f} MiB, more than the "
                         f"{budget['files']} files and {budget['bytes'] / (1 << 20):.1f} MiB left of the upload's "
                         f"{MAX_UNPACKED_FILES} files and {MAX_UNPACKED_BYTES >> 20} MiB; it was not unpacked. "
                         "Upload only your assignment folder (your lib/ .py files).")
            return notes
        target.mkdir(parents=True)
        for member in members:
            path = target.joinpath(*member.filename.rstrip("/").split("/"))
            if member.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            _extract(z, member, path)
    budget["bytes"] -= size
    budget["files"] -= len(files)
    return notes


def _safe_member_name(name):
    """A relative name of plain parts: no absolute path, drive, backslash, `..` or NUL."""
    parts = name.rstrip("/").split("/")
    return (bool(name) and not name.startswith("/") and "\\" not in name and "\x00" not in name
            and ":" not in parts[0] and all(part not in ("", ".", "..") for part in parts))


def _extract(z, member, path):
    """Write `member` to the new file `path`, never more bytes than the member declares (a zip
    whose headers understate a member is refused, not believed)."""
    left = member.file_size
    with z.open(member) as source, open(path, "xb") as out:
        while chunk := source.read(min(1 << 20, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise zipfile.BadZipFile(f"{member.filename} holds more than the {member.file_size} bytes it declares")
            out.write(chunk)


def _shown(path):
    """A path of the upload as a student should read it: printable as it is, else with escapes."""
    text = Path(path).as_posix()
    return text if text.isprintable() else ascii(text)


def _walk(root):
    """(depth, folder, [file names]) of every real folder under `root`, never through a link."""
    for parent, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if stat.S_ISDIR(os.lstat(Path(parent) / d).st_mode))
        yield len(Path(parent).relative_to(root).parts), Path(parent), sorted(files)


def _regular(path):
    """The size of `path` when it is a regular file (not a link, pipe or device), else None."""
    info = os.lstat(path)
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def assemble_submission(uploaded, release_lib, assignment, dest, scratch):
    """A submission folder `dest` (with lib/) from what the student uploaded. → (dest or None, notes)

    The shallowest uploaded `lib/` that holds one of the assignment's modules is read with the
    submission reader (sandbox.submission: regular files only, no link followed, bounded) and
    completed with the release's lib/; without one, the assignment's module files found anywhere
    in the upload (shallowest first) go over a copy of the release's lib/. Zips in the upload are
    unpacked first, into `scratch` only. SubmissionRefused when the reader refuses that lib/.
    """
    uploaded, dest = Path(uploaded), Path(dest)
    notes = unpack_zips(uploaded, scratch)
    roots = [uploaded, Path(scratch)]
    wanted = {f"{m}.py" for m in assignment.modules}
    folders = sorted(((depth, i, folder, files) for i, root in enumerate(roots)
                      for depth, folder, files in _walk(root)), key=lambda item: item[:2])
    lib = dest / "lib"
    for _, _, folder, files in folders:
        if folder.name == "lib" and any(f in wanted and _regular(folder / f) is not None for f in files):
            manifest = scan_submission(folder)
            copy_manifest(folder, manifest, lib)
            for path in sorted(Path(release_lib).rglob("*")):
                target = lib / path.relative_to(release_lib)
                # The student's package lib/x/ stands for lib/x.py: adding the release's would make x ambiguous.
                if path.is_file() and not os.path.lexists(target) and not os.path.lexists(target.parent / target.stem):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, target)
            return dest, notes + list(manifest.notes)
    found = {}
    for _, _, folder, files in folders:
        for name in files:
            if name in wanted and name not in found and _regular(folder / name) is not None:
                found[name] = folder / name
    if not found:
        return None, notes
    shutil.copytree(release_lib, lib)
    bounds = SubmissionBounds()
    with tempfile.TemporaryDirectory(dir=scratch) as staging:
        for n, (name, path) in enumerate(sorted(found.items())):
            size = _regular(path)
            if size > bounds.max_py_bytes:
                notes.append(f"{_shown(name)} is {size / (1 << 20):.1f} MiB, more than the "
                             f"{bounds.max_py_bytes >> 20} MiB a .py file may have, so it was left out.")
                continue
            copy_manifest(path.parent, Manifest(((name, size),)), Path(staging) / str(n))
            os.replace(Path(staging) / str(n) / name, lib / name)
    return dest, notes


def grade_upload(assignment_name, root):
    """Results of the upload in root/submission, graded here (the grading process; see `run`)."""
    assignment = find_assignment(assignment_name)
    root = Path(root)
    seed, source = resolve_seed()
    with tempfile.TemporaryDirectory(prefix="gradlab-upload-") as scratch:
        unpacked = Path(scratch) / "unpacked"
        unpacked.mkdir()
        try:
            submission, notes = assemble_submission(root / "submission", root / "source" / "release_lib",
                                                    assignment, Path(scratch) / "submission", unpacked)
        except SubmissionRefused as refused:
            submission, notes, why = None, [], f"Your submission could not be graded: {refused}"
        else:
            looked_for = ", ".join(f"lib/{m}.py" for m in assignment.modules)
            why = (f"No code found in your upload: looked for a lib/ folder with {looked_for}, a zip of your "
                   "assignment folder, or the module files themselves.")
        if submission is None:
            results = run_checks(assignment_name, scratch, include_hidden=True, seed=seed, unavailable=why)
            results.output = why
        else:
            results = grade_submission(submission, assignment_name, seed)
    if notes:
        results.output = "\n\n".join(["Notes on your upload:\n" + "\n".join(f"- {note}" for note in notes)]
                                     + ([results.output] if results.output else []))
    results.extra_data["seed_source"] = source
    return results


def run(assignment_name, root, deadline=GRADING_SECONDS):
    """Grade root/submission and write root/results/results.json, in every case. → Results

    The grading (unpacking, the checks, every worker) runs in a child process of its own session,
    given `deadline` seconds in all; this process, which runs no student code, reads the child's
    results from a folder only it can write, and writes results.json itself, atomically, after
    the child has ended. A child that fails, dies, or is still running at the deadline (then it
    is stopped, workers and all) leaves zeros on every check saying why. A results.json already
    there is removed first: only this process's own can stand.
    """
    root = Path(root)
    results_path = root / "results" / "results.json"
    start = time.monotonic()
    try:
        _prepare_results_folder(results_path.parent)
        with tempfile.TemporaryDirectory(prefix="gradlab-gradescope-") as private:
            out = Path(private) / "results.json"
            why = _grade_in_child(assignment_name, root, out, deadline)
            results = None if why else _read_child_results(out)
            if results is None:
                why = why or "the grader's results could not be read"
                seed, source = resolve_seed()
                message = f"Your upload could not be graded: {why}."
                with tempfile.TemporaryDirectory(dir=private) as empty:
                    results = run_checks(assignment_name, empty, include_hidden=True, seed=seed, unavailable=message)
                results.output = message
                results.extra_data["seed_source"] = source
        results.execution_time = time.monotonic() - start
        results.write(results_path)
    except Exception as exc:  # even the zeros could not be computed: still tell the student
        _write_last_resort(results_path, f"The autograder itself failed ({type(exc).__name__}) before it could "
                                         "grade your upload; your instructor can see the details in its log.")
        raise
    print(results.table())
    return results


def _prepare_results_folder(folder):
    """The results folder, with a stale results.json removed and no write access for others."""
    folder.mkdir(parents=True, exist_ok=True)
    info = os.lstat(folder)
    if info.st_uid == os.geteuid():
        os.chmod(folder, stat.S_IMODE(info.st_mode) & ~0o022)
    (folder / "results.json").unlink(missing_ok=True)


def _grade_in_child(assignment_name, root, out, deadline):
    """Run `grade_upload` in a child process that writes its results to `out`. → None, or why not

    The child is forked, so the grader's modules are not imported a second time.
    """
    child = multiprocessing.get_context("fork").Process(target=_grading_child, args=(assignment_name, root, out))
    child.start()
    child.join(deadline)
    if child.exitcode is None:
        _stop(child)
        return (f"grading took longer than its limit of {deadline:g} s (code that never returns, or far "
                f"slower than needed); check that `autograder check {assignment_name}` finishes on your own "
                "machine, then upload again")
    status = child.exitcode
    if status < 0:
        name = signal.Signals(-status).name if -status in set(signal.Signals) else str(-status)
        return (f"the grader was stopped by signal {name} (the machine may have run out of memory); your "
                "instructor can see the details in the autograder's log")
    if status != 0 or not out.is_file():
        return f"the grader stopped with an error (exit status {status}); your instructor can see it in the log"
    return None


def _grading_child(assignment_name, root, out):
    """The grading process: a session of its own (so that `_stop` reaches all it started), and
    SIGTERM as an interrupt, so that pytest tears its fixtures (the workers) down and the
    temporary folders are removed before it ends."""
    os.setsid()
    signal.signal(signal.SIGTERM, _interrupt)
    grade_upload(assignment_name, root).write(out)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(child):
    """End the child's session: SIGTERM first (it cleans up), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:  # not yet in a session of its own, or already gone
            if child.exitcode is None:
                os.kill(child.pid, sig)
        child.join(STOP_SECONDS)
        if child.exitcode is not None:
            return


def _read_child_results(out):
    """The child's Results from `out`, or None when the file is not valid results."""
    try:
        data = json.loads(out.read_text())
        return Results.from_dict(data) if validate(data) == [] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_last_resort(path, message):
    """A results.json of zero points that says `message`, written without the grader's help."""
    data = {"score": 0.0, "execution_time": 0.0, "tests": [], "extra_data": {}, "output": message}
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade a Gradescope submission (used by run_autograder).")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--root", default="/autograder")
    parser.add_argument("--deadline", type=float, default=GRADING_SECONDS,
                        help=f"seconds for the whole grading (default: {GRADING_SECONDS:g})")
    args = parser.parse_args(argv)
    run(args.assignment, args.root, args.deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
