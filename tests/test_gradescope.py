"""The Gradescope bundle: its layout, run_autograder on a stand-in /autograder, every upload
shape, and a grading core that runs on Gradescope's Python 3.10."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.instructor.gradescope import build_bundle
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


def gradescope_root(tmp_path, bundle, upload):
    """A stand-in for /autograder: source/ unpacked from the bundle, submission/ from `upload`."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root)
    for script in ("setup.sh", "run_autograder"):
        (root / script).chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    upload(root / "submission")
    env = {k: v for k, v in os.environ.items() if k not in ("GRADLAB_SEED", "PYTHONPATH")}
    completed = subprocess.run([str(root / "run_autograder")], env={**env, "AUTOGRADER_ROOT": str(root)},
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
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


@pytest.mark.parametrize("upload", [lambda d: reference_folder(d / "svm"), lambda d: reference_folder(d),
                                    as_zip, just_modules],
                         ids=["assignment-folder", "folder-contents", "zip", "module-files"])
def test_run_autograder_finds_the_code_in_every_upload_shape_and_writes_valid_results(tmp_path, bundle, upload):
    results = gradescope_root(tmp_path, bundle, upload)
    assert validate(results) == []
    assert results["score"] == results["max_score"] > 0, [t["output"] for t in results["tests"] if t["status"] == "failed"]
    visibilities = {t["visibility"] for t in results["tests"]}
    assert visibilities == {"visible", "after_due_date"}
    assert results["extra_data"]["seed_source"].startswith("fresh random")


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


def test_the_grading_core_runs_on_gradescopes_python_3_10():
    vermin = "import sys; from vermin.main import main; sys.exit(main())"  # vermin has no __main__ module
    completed = subprocess.run([sys.executable, "-c", vermin, "--no-tips", "--violations", "-t=3.10-",
                                str(ROOT / "autograder"), str(ROOT / "solutions")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout
