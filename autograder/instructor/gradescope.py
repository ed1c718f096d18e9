"""A Gradescope autograder bundle for one assignment, and what runs inside it.

    autograder gradescope svm --out autograder.zip

The zip holds, at its root, `setup.sh` and `run_autograder` (Gradescope's entry points) and
`source/`: the grader (with the hidden checks), the reference solutions, the data, the
release's lib/ (to complete uploads of single module files), the requirements, and the course
secret seed when the instructor has one (course.local.toml), so that regrades reproduce.

Gradescope's default image is Ubuntu 22.04 with Python 3.10, and nbgrader needs 3.11: the
grading core needs neither nbgrader nor 3.11 (tests/test_gradescope.py checks it with vermin),
so setup.sh installs only numpy, pytest and tomli into the image's own Python 3.

At grading time `run_autograder` calls `python3 -m autograder.instructor.gradescope`, which
finds the student's code in /autograder/submission — the assignment folder, a zip of it, or
just the module files — grades it and writes /autograder/results/results.json.
"""
import argparse
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from ..course import assignment as find_assignment, course_root
from ..runner import run_checks
from .grade import grade_submission, resolve_seed

GRADER_REQUIREMENTS = """\
numpy>=1.26
pytest>=7.4
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

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT stands in for /autograder in tests.
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
cd "$root/source"
exec python3 -m autograder.instructor.gradescope --assignment {name} --root "$root"
"""

# Every zip a student uploads is unpacked, within these bounds.
MAX_UNPACKED_BYTES = 50 << 20
MAX_UNPACKED_FILES = 2000


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
    """Unpack every .zip under `folder` into `dest`/<zip name>/, refusing unsafe or huge archives."""
    for archive in sorted(Path(folder).rglob("*.zip")):
        target = Path(dest) / archive.stem
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            if len(members) > MAX_UNPACKED_FILES or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                continue
            for member in members:
                path = (target / member.filename).resolve()
                if not path.is_relative_to(target.resolve()) or member.filename.startswith("/"):
                    break
            else:
                z.extractall(target)


def assemble_submission(uploaded, release_lib, assignment, dest):
    """A submission folder `dest` (with lib/) from what the student uploaded, or None.

    The release's lib/ is the base; over it go the .py files of the shallowest uploaded `lib/`
    that holds one of the assignment's modules, or else the assignment's module files found
    anywhere in the upload (shallowest first). Zips in the upload are unpacked first.
    """
    uploaded = Path(uploaded)
    with tempfile.TemporaryDirectory() as scratch:
        unpack_zips(uploaded, scratch)
        roots = [uploaded, Path(scratch)]
        wanted = {f"{m}.py" for m in assignment.modules}
        candidates = sorted((p for r in roots for p in r.rglob("lib") if p.is_dir()
                             and any((p / w).is_file() for w in wanted)), key=lambda p: len(p.parts))
        if candidates:
            files = sorted(candidates[0].glob("*.py"))
        else:
            found = {}
            for path in sorted((p for r in roots for p in r.rglob("*.py") if p.name in wanted),
                               key=lambda p: len(p.parts)):
                found.setdefault(path.name, path)
            files = list(found.values())
        if not files:
            return None
        lib = Path(dest) / "lib"
        shutil.copytree(release_lib, lib)
        for path in files:
            shutil.copy(path, lib / path.name)
    return Path(dest)


def run(assignment_name, root):
    """Grade /autograder/submission (under `root`) and write results/results.json."""
    assignment = find_assignment(assignment_name)
    root = Path(root)
    seed, source = resolve_seed()
    with tempfile.TemporaryDirectory() as scratch:
        submission = assemble_submission(root / "submission", root / "source" / "release_lib", assignment,
                                         Path(scratch) / "submission")
        if submission is None:
            looked_for = ", ".join(f"lib/{m}.py" for m in assignment.modules)
            message = (f"No code found in your upload: looked for a lib/ folder with {looked_for}, a zip "
                       f"of your assignment folder, or the module files themselves.")
            results = run_checks(assignment_name, scratch, include_hidden=True, seed=seed, unavailable=message)
        else:
            results = grade_submission(submission, assignment_name, seed)
    results.extra_data["seed_source"] = source
    results.write(root / "results" / "results.json")
    print(results.table())
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade a Gradescope submission (used by run_autograder).")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--root", default="/autograder")
    args = parser.parse_args(argv)
    run(args.assignment, args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
