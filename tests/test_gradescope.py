"""The Gradescope bundle: its layout, run_autograder on a stand-in /autograder, every upload
shape, and a grading core that runs on Gradescope's Python 3.10."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.instructor.gradescope import GRADING_SECONDS, STOP_SECONDS, build_bundle
from autograder.instructor.reference import copy_reference_lib
from autograder.results import validate
from conftest import ROOT


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle("svm", tmp_path_factory.mktemp("bundle") / "autograder.zip")


def test_the_bundle_has_gradescopes_entry_points_at_its_root(bundle):
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder"} <= names
        for script in ("setup.sh", "run_autograder"):
            assert (z.getinfo(script).external_attr >> 16) & 0o111, f"{script} is not executable"
        assert "source/autograder/checks/svm.py" in names and "source/solutions/linear_svm.py" in names
        assert "source/release_lib/linear_svm.py" in names and "source/requirements-grader.txt" in names
        assert "nbgrader" not in z.read("source/requirements-grader.txt").decode()


def gradescope_root(tmp_path, bundle, upload, *options, status=0):
    """A stand-in for /autograder: source/ unpacked from the bundle, submission/ from `upload`;
    run_autograder run there (with `options`) and its results.json returned. The grader's
    temporary folders go to tmp_path/tmp, which must be empty again afterwards."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root)
    for script in ("setup.sh", "run_autograder"):
        (root / script).chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir(exist_ok=True)
    (tmp_path / "tmp").mkdir()
    upload(root / "submission")
    env = {k: v for k, v in os.environ.items() if k not in ("GRADLAB_SEED", "PYTHONPATH")}
    completed = subprocess.run([str(root / "run_autograder"), *options],
                               env={**env, "AUTOGRADER_ROOT": str(root), "TMPDIR": str(tmp_path / "tmp")},
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == status, completed.stderr[-3000:]
    assert list((tmp_path / "tmp").iterdir()) == [], "the grader left temporary files behind"
    return json.loads((root / "results" / "results.json").read_text())


def reference_folder(dest):
    copy_reference_lib(dest)
    (dest / "svm.ipynb").write_text("{}")


def as_zip(dest):
    folder = dest.parent / "staging" / "svm"
    reference_folder(folder)
    shutil.make_archive(str(dest / "svm"), "zip", folder.parent)


def just_modules(dest):
    for module in ("linear_svm", "linear_classifier"):
        shutil.copy(ROOT / "solutions" / f"{module}.py", dest / f"{module}.py")


@pytest.mark.slow
@pytest.mark.parametrize("upload", [lambda d: reference_folder(d / "svm"), lambda d: reference_folder(d),
                                    as_zip, just_modules],
                         ids=["assignment-folder", "folder-contents", "zip", "module-files"])
def test_run_autograder_finds_the_code_in_every_upload_shape_and_writes_valid_results(tmp_path, bundle, upload):
    results = gradescope_root(tmp_path, bundle, upload)
    assert validate(results) == []
    assert results["score"] == results["max_score"] > 0, [t["output"] for t in results["tests"]
                                                          if t["status"] == "failed"]
    visibilities = {t["visibility"] for t in results["tests"]}
    assert visibilities == {"visible", "after_due_date"}
    assert results["extra_data"]["seed_source"].startswith("fresh random")


@pytest.mark.slow
def test_an_upload_without_code_gets_zero_saying_what_was_looked_for(tmp_path, bundle):
    results = gradescope_root(tmp_path, bundle, lambda d: (d / "notes.txt").write_text("oops"))
    assert validate(results) == [] and results["score"] == 0
    assert all("No code found in your upload" in t["output"] for t in results["tests"])


def test_a_zip_that_escapes_its_folder_is_not_unpacked(tmp_path):
    from autograder.instructor.gradescope import unpack_zips

    upload = tmp_path / "upload"
    upload.mkdir()
    with zipfile.ZipFile(upload / "evil.zip", "w") as z:
        z.writestr("../../escaped.py", "x = 1")
    unpack_zips(upload, tmp_path / "out")
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "out" / "evil").exists()


@pytest.mark.slow
def test_the_grading_core_runs_on_gradescopes_python_3_10():
    vermin = "import sys; from vermin.main import main; sys.exit(main())"  # vermin has no __main__ module
    completed = subprocess.run([sys.executable, "-c", vermin, "--no-tips", "--violations", "-t=3.10-",
                                str(ROOT / "autograder"), str(ROOT / "solutions")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


# -- broken and hostile uploads: every one yields a results.json, none escapes the scratch folder --

MARKER = "gradlab_escape_marker.txt"   # a file name only the hostile zips hold


def encrypted_zip(path, members):
    """A zip whose members carry the "encrypted" flag (zipfile cannot write real encryption; every
    reader, zipfile included, refuses such a member without the password)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    data = bytearray(path.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central headers
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + flag_offset] |= 0x1
            start += 4
    path.write_bytes(data)


def link_member_zip(path, name, target):
    """A zip whose member `name` is a symbolic link to `target` (Unix mode bits in external_attr)."""
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777) << 16
        z.writestr(info, target)


def bomb_zips(dest, count=6, megabytes=45):
    """`count` zips, each unpacking to `megabytes` MiB of zeros (about 45 KiB each on disk)."""
    zeros = bytes(megabytes << 20)
    for n in range(count):
        with zipfile.ZipFile(dest / f"part{n}.zip", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"padding{n}.bin", zeros)


def staller(dest):
    """The reference folder whose linear_svm.py never finishes importing."""
    reference_folder(dest / "svm")
    module = dest / "svm" / "lib" / "linear_svm.py"
    module.write_text(module.read_text() + "\nimport time\nwhile True:\n    time.sleep(1)\n")


def dotdot_zip(dest):
    reference_folder(dest / "svm")
    with zipfile.ZipFile(dest / "...zip", "w") as z:  # its stem is ".."
        z.writestr(MARKER, "written outside the scratch folder")


def corrupt_zip(dest):
    reference_folder(dest / "svm")
    (dest / "broken.zip").write_bytes(b"PK\x03\x04" + os.urandom(300))


def encrypted_member(dest):
    reference_folder(dest / "svm")
    encrypted_zip(dest / "locked.zip", {"svm/lib/linear_svm.py": "x = 1\n"})


def folder_named_zip(dest):
    reference_folder(dest / "svm")
    (dest / "data.zip").mkdir()
    (dest / "data.zip" / "notes.txt").write_text("not a zip")


def symlink_member(dest):
    link_member_zip(dest / "svm.zip", "svm/lib/linear_svm.py", "/proc/self/cwd/solutions/linear_svm.py")


def zip_bomb(dest):
    reference_folder(dest / "svm")
    bomb_zips(dest)


def linked_lib_folder(dest):
    (dest / "svm").mkdir()
    (dest / "svm" / "lib").symlink_to(dest.parent / "source" / "solutions")


def fifos(dest):
    """Named pipes where a zip and a module file could be: opening either would block the grader."""
    reference_folder(dest / "svm")
    os.mkfifo(dest / "pipe.zip")
    os.mkfifo(dest / "svm" / "lib" / "notes.txt")


HANG_DEADLINE = 8
BROKEN_UPLOADS = [
    # (id, upload, options of run_autograder, full marks (the correct code beside the broken part)
    #  or zero, text the output must hold)
    ("stem-dotdot-zip", dotdot_zip, (), True, None),
    ("corrupt-zip", corrupt_zip, (), True, "broken.zip could not be unpacked"),
    ("encrypted-member", encrypted_member, (), True, "is encrypted"),
    ("folder-named-data.zip", folder_named_zip, (), True, "data.zip is a folder"),
    ("symlink-member", symlink_member, (), False, "is a link or a special file"),
    ("six-zip-bomb", zip_bomb, (), True, "was not unpacked"),
    ("empty-upload", lambda dest: None, (), False, "No code found in your upload"),
    ("linked-lib-folder", linked_lib_folder, (), False, "No code found in your upload"),
    ("named-pipes", fifos, (), True, "pipe.zip is not a regular file"),
    ("hang-in-grading", staller, ("--deadline", str(HANG_DEADLINE)), False,
     f"grading took longer than its limit of {HANG_DEADLINE} s"),
]


@pytest.mark.slow
@pytest.mark.parametrize("upload, options, full, said", [case[1:] for case in BROKEN_UPLOADS],
                         ids=[case[0] for case in BROKEN_UPLOADS])
def test_every_broken_upload_yields_results_and_nothing_escapes_the_scratch_folder(tmp_path, bundle, upload, options,
                                                                                   full, said):
    start = time.monotonic()
    results = gradescope_root(tmp_path, bundle, upload, *options)
    elapsed = time.monotonic() - start
    assert validate(results) == []
    if full:
        assert results["score"] == results["max_score"] > 0, [t["output"] for t in results["tests"]
                                                               if t["status"] == "failed"]
    else:
        assert results["score"] == 0 and results["max_score"] > 0
    if said:
        assert said in results["output"], results.get("output")
    assert not [p for p in tmp_path.rglob(MARKER)], "a zip member was written outside the scratch folder"
    assert not (tmp_path.parent / MARKER).exists()
    # Within the deadline, the grading process's time to stop, and the zeros and start-up (seconds).
    deadline = float(options[1]) if options else GRADING_SECONDS
    assert elapsed < deadline + STOP_SECONDS + 15, elapsed
    assert not processes_mentioning(str(tmp_path)), "the grading process outlived run_autograder"


def processes_mentioning(text):
    """Pids of live processes whose command line holds `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_an_upload_with_a_linked_module_is_graded_as_if_the_module_were_the_stub(tmp_path, bundle):
    def linked(dest):
        reference_folder(dest / "svm")
        module = dest / "svm" / "lib" / "linear_svm.py"
        module.unlink()
        module.symlink_to("/proc/self/cwd/solutions/linear_svm.py")

    def stubbed(dest):
        reference_folder(dest / "svm")
        shutil.copy(ROOT / "lib" / "linear_svm.py", dest / "svm" / "lib" / "linear_svm.py")

    attacked = gradescope_root(tmp_path / "attack", bundle, linked)
    honest = gradescope_root(tmp_path / "stub", bundle, stubbed)
    assert attacked["score"] == honest["score"] < honest["max_score"]
    assert "lib/linear_svm.py is a symbolic link" in attacked["output"]


@pytest.mark.slow
def test_results_a_grader_did_not_write_are_replaced_by_zeros(tmp_path, bundle):
    """A results.json already there (e.g. written by code that then stopped the grader) never
    stands: an unusable run (here an option the grader refuses) leaves zeros saying so."""
    forged = {"score": 24.0, "execution_time": 0.0, "tests": [], "extra_data": {}}
    (tmp_path / "autograder" / "results").mkdir(parents=True)
    (tmp_path / "autograder" / "results" / "results.json").write_text(json.dumps(forged))
    results = gradescope_root(tmp_path, bundle, lambda d: reference_folder(d / "svm"), "--deadline", "soon",
                              status=2)
    assert results["score"] == 0 and "stopped before it finished grading" in results["output"]


@pytest.mark.slow
def test_the_results_folder_is_not_writable_by_other_users(tmp_path, bundle):
    (tmp_path / "autograder" / "results").mkdir(parents=True)
    (tmp_path / "autograder" / "results").chmod(0o777)
    gradescope_root(tmp_path, bundle, lambda d: None)
    assert (tmp_path / "autograder" / "results").stat().st_mode & 0o022 == 0


# -- unpacking: the budget, the folder names, what stays packed ------------------------------------

def test_all_zips_of_an_upload_share_one_unpack_budget(tmp_path):
    from autograder.instructor.gradescope import MAX_UNPACKED_BYTES, unpack_zips

    upload, out = tmp_path / "upload", tmp_path / "out"
    upload.mkdir()
    bomb_zips(upload)
    notes = unpack_zips(upload, out)
    unpacked = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert 0 < unpacked <= MAX_UNPACKED_BYTES
    assert len([n for n in notes if "was not unpacked" in n]) == 5, notes


def test_a_zip_is_unpacked_into_a_folder_named_by_the_grader_and_nested_zips_stay_packed(tmp_path):
    from autograder.instructor.gradescope import unpack_zips

    upload, out = tmp_path / "upload", tmp_path / "out"
    upload.mkdir()
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deeper.py", "x = 1")
    with zipfile.ZipFile(upload / "...zip", "w") as z:
        z.writestr(MARKER, "x")
        z.write(inner, "nested/inner.zip")
    assert unpack_zips(upload, out) == []
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        [f"zip-1/{MARKER}", "zip-1/nested/inner.zip"]
    assert not (tmp_path / MARKER).exists()


def test_a_linked_zip_in_the_upload_is_not_read(tmp_path):
    from autograder.instructor.gradescope import unpack_zips

    upload, out = tmp_path / "upload", tmp_path / "out"
    upload.mkdir()
    with zipfile.ZipFile(tmp_path / "elsewhere.zip", "w") as z:
        z.writestr("lib/linear_svm.py", "x = 1")
    (upload / "svm.zip").symlink_to(tmp_path / "elsewhere.zip")
    notes = unpack_zips(upload, out)
    assert not out.exists() or not list(out.rglob("*.py"))
    assert notes == ["svm.zip is not a regular file (a link or a special file); it was not unpacked."]


def forge_results_and_die(assignment_name, root):
    """What code running as root outside a jail could do: write full marks, then end the grader."""
    forged = {"score": 24.0, "execution_time": 0.0, "tests": [], "extra_data": {}}
    (Path(root) / "results" / "results.json").write_text(json.dumps(forged))
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("grading, said", [
    (lambda *args: os.kill(os.getpid(), signal.SIGKILL), "stopped by signal SIGKILL"),
    (lambda *args: 1 / 0, "the grader stopped with an error (exit status 1)"),
    (forge_results_and_die, "stopped by signal SIGKILL"),
], ids=["killed", "raised", "forged-then-killed"])
def test_a_grading_process_that_dies_or_fails_leaves_zeros_saying_why(tmp_path, monkeypatch, grading, said):
    """The grading child (forked: it sees this patch) is killed, as the OOM killer or a student's
    code outside the jail would, or fails, or forges results.json first; the trusted process
    still writes its own results, zeros saying why."""
    from autograder.instructor import gradescope

    monkeypatch.setattr(gradescope, "grade_upload", grading)
    gradescope.run("svm", tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert validate(results) == [] and results["score"] == 0 and results["max_score"] > 0
    assert said in results["output"] and all(said in t["output"] for t in results["tests"])
