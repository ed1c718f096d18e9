"""The submission reader (autograder/sandbox/submission.py): a student's lib/ is read, never
followed, bounded before it is copied, and copied exactly as scanned."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.instructor.grade import BatchReport, grade_submission, skipped_folders, student_folders
from autograder.instructor.reference import copy_reference_lib
from autograder.package import package
from autograder.runner import run_checks
from autograder.sandbox.proxy import Sandbox, SandboxError
from autograder.sandbox.submission import Manifest, SubmissionBounds, SubmissionRefused, copy_manifest, scan_submission
from conftest import ROOT

SOLUTION = ROOT / "solutions" / "linear_svm.py"


@pytest.fixture
def lib(tmp_path):
    """A small lib/ of two honest modules."""
    folder = tmp_path / "student" / "lib"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "mine.py").write_text("def add(a, b):\n    return a + b\n")
    return folder


def paths(manifest):
    return [relative for relative, _ in manifest.files]


def tree(folder):
    """{relative path: bytes} of every file under `folder` (links included as files would be)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_the_reference_lib_scans_without_notes_and_copies_byte_identically(tmp_path):
    """Is an honest lib/ (the reference) read whole, without a single note, and copied exactly?"""
    submission = copy_reference_lib(tmp_path / "honest")
    manifest = scan_submission(submission / "lib")
    assert manifest.notes == ()
    expected = {p.relative_to(submission / "lib").as_posix(): p.read_bytes()
                for p in (submission / "lib").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert sorted(paths(manifest)) == sorted(expected)
    assert copy_manifest(submission / "lib", manifest, tmp_path / "copy" / "lib") == sum(map(len, expected.values()))
    assert tree(tmp_path / "copy" / "lib") == expected


def test_a_file_linked_to_the_solution_is_left_out_with_a_note(lib):
    """Is lib/linear_svm.py -> the reference solution left out (not followed), with a one-line note?"""
    (lib / "linear_svm.py").symlink_to(SOLUTION)
    manifest = scan_submission(lib)
    assert "linear_svm.py" not in paths(manifest)
    assert manifest.notes == ("lib/linear_svm.py is a symbolic link; links are not followed, so it was left out.",)


@pytest.mark.parametrize("target", [ROOT / "solutions", "/proc/self/cwd/solutions"])
def test_lib_itself_a_link_is_refused(tmp_path, target):
    """Is a lib/ that is itself a link (to solutions/, or through /proc/self/cwd) refused, not read?"""
    (tmp_path / "lib").symlink_to(target)
    with pytest.raises(SubmissionRefused, match="lib/ is a symbolic link"):
        scan_submission(tmp_path / "lib")


def test_links_to_folders_are_not_entered(lib):
    """Are links to a folder (the solutions, /proc/self/cwd/solutions, a classmate's lib/) left out
    rather than walked?"""
    (lib / "ref").symlink_to(ROOT / "solutions")
    (lib / "cwd").symlink_to("/proc/self/cwd/solutions")
    (lib / "classmate").symlink_to("../../classmate/lib")
    manifest = scan_submission(lib)
    assert sorted(paths(manifest)) == ["__init__.py", "mine.py"]
    assert [note.split(" ")[0] for note in manifest.notes] == ["lib/classmate", "lib/cwd", "lib/ref"]


def test_editor_litter_is_ignored_quietly(lib):
    """Are an Emacs lock (a dangling .# link), backups, swap files, byte code and checkpoints
    ignored without a note, and kept out of the copy?"""
    (lib / ".#mine.py").symlink_to("student@host.12345:1700000000")
    for name in ("mine.py~", "#mine.py#", ".mine.py.swp", ".DS_Store", "mine.pyc"):
        (lib / name).write_text("litter")
    for folder in ("__pycache__", ".ipynb_checkpoints"):
        (lib / folder).mkdir()
        (lib / folder / "mine.cpython-311.pyc").write_text("litter")
    manifest = scan_submission(lib)
    assert manifest.notes == ()
    assert sorted(paths(manifest)) == ["__init__.py", "mine.py"]


def test_a_fifo_is_left_out_without_blocking(lib):
    """Is a named pipe noted and left out, with neither the scan nor the copy opening it?"""
    os.mkfifo(lib / "pipe")
    started = time.perf_counter()
    manifest = scan_submission(lib)
    copy_manifest(lib, manifest, lib.parent / "copy")
    assert time.perf_counter() - started < 5
    assert manifest.notes == ("lib/pipe is a named pipe (FIFO); only regular files are read, so it was left out.",)
    assert not (lib.parent / "copy" / "pipe").exists()


def test_a_link_to_dev_zero_is_left_out(lib):
    """Is lib/x -> /dev/zero left out, so nothing is read from it?"""
    (lib / "zeros.py").symlink_to("/dev/zero")
    manifest = scan_submission(lib)
    assert "zeros.py" not in paths(manifest)
    assert manifest.notes[0].startswith("lib/zeros.py is a symbolic link")


def test_two_links_to_dot_are_copied_once(lib):
    """Do two links to `.` (a copy that follows them grows as 2^depth) cost two notes and nothing more?"""
    (lib / "a").symlink_to(".")
    (lib / "b").symlink_to(".")
    manifest = scan_submission(lib)
    assert len(manifest.notes) == 2
    copy_manifest(lib, manifest, lib.parent / "copy")
    assert sorted(tree(lib.parent / "copy")) == ["__init__.py", "mine.py"]


def test_a_2_gib_sparse_file_is_left_out_by_its_size(lib):
    """Is a 2 GiB sparse file left out by its size alone (never read), with a note naming its size?"""
    (lib / "weights.bin").touch()
    os.truncate(lib / "weights.bin", 2 << 30)
    manifest = scan_submission(lib)
    assert "weights.bin" not in paths(manifest)
    assert manifest.notes == ("lib/weights.bin is 2.0 GiB, more than the 16.0 MiB a file other than a .py may have "
                              "in lib/, so it was left out.",)


def test_100000_files_are_refused_quickly(tmp_path):
    """Is a lib/ of 100,000 empty files refused as soon as the entry bound is passed (a generous
    bound against a hang here; the measured time is in the helper's report)?"""
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(100_000):
        (lib / f"f{i}.py").touch()
    started = time.perf_counter()
    with pytest.raises(SubmissionRefused, match=f"more than {SubmissionBounds().max_entries} files and folders"):
        scan_submission(lib)
    assert time.perf_counter() - started < 20


def test_a_depth_bomb_is_refused(tmp_path):
    """Is a lib/ nested 50 folders deep refused, with the bound in the message?"""
    folder = tmp_path / "lib"
    for _ in range(50):
        folder = folder / "d"
    folder.mkdir(parents=True)
    with pytest.raises(SubmissionRefused, match=f"more than the {SubmissionBounds().max_depth} the grader reads"):
        scan_submission(tmp_path / "lib")


def test_bounds_on_total_and_py_size_refuse_and_a_large_data_file_is_left_out(lib):
    """Over the total or a .py's own cap the submission is refused; a large non-.py is only left out."""
    (lib / "big.py").write_text("x = 1\n" * 100)
    with pytest.raises(SubmissionRefused, match="lib/big.py is 600 bytes, more than the 500 bytes one .py file"):
        scan_submission(lib, SubmissionBounds(max_py_bytes=500))
    with pytest.raises(SubmissionRefused, match="the files in lib/ come to more than 300 bytes"):
        scan_submission(lib, SubmissionBounds(max_total_bytes=300))
    (lib / "big.py").unlink()
    (lib / "table.csv").write_text("1,2\n" * 100)
    manifest = scan_submission(lib, SubmissionBounds(max_file_bytes=100))
    assert "table.csv" not in paths(manifest) and "lib/table.csv is 400 bytes" in manifest.notes[0]


def test_an_ambiguous_module_is_refused_naming_both(lib):
    """Is lib/mine.py beside a package lib/mine/ refused with a message that names both?"""
    (lib / "mine").mkdir()
    (lib / "mine" / "__init__.py").write_text("")
    with pytest.raises(SubmissionRefused) as refused:
        scan_submission(lib)
    assert "lib/mine.py and the folder lib/mine both define the module mine" in str(refused.value)


def test_an_extension_module_is_left_out_and_refused_beside_a_py(lib):
    """Is a compiled extension module never copied: noted alone, refused beside the .py it would shadow?"""
    (lib / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    manifest = scan_submission(lib)
    assert "fast.cpython-311-x86_64-linux-gnu.so" not in paths(manifest)
    assert "is a compiled extension module" in manifest.notes[0]
    (lib / "mine.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    with pytest.raises(SubmissionRefused, match="lib/mine.py and the compiled module lib/mine.cpython-311"):
        scan_submission(lib)


@pytest.mark.parametrize("change", ["link", "fifo", "grown", "folder link"])
def test_a_change_between_scan_and_copy_is_refused(lib, change):
    """Is a file swapped for a link (or a pipe), a file that grew, or a folder swapped for a link after
    the scan refused by the copy, instead of being followed?"""
    (lib / "pkg").mkdir()
    (lib / "pkg" / "inner.py").write_text("y = 2\n")
    manifest = scan_submission(lib)
    if change == "link":
        (lib / "mine.py").unlink()
        (lib / "mine.py").symlink_to(SOLUTION)
    elif change == "fifo":
        (lib / "mine.py").unlink()
        os.mkfifo(lib / "mine.py")
    elif change == "grown":
        with open(lib / "mine.py", "a") as f:
            f.write("# more\n")
    else:
        (lib / "pkg").rename(lib.parent / "elsewhere")
        (lib / "pkg").symlink_to(ROOT / "solutions")
    changed = "lib/pkg" if change == "folder link" else "lib/mine.py"
    with pytest.raises(SubmissionRefused, match=f"^{changed} changed while the submission was being read"):
        copy_manifest(lib, manifest, lib.parent / "copy")


def test_the_manifest_survives_the_jails_json():
    """Does a Manifest come back equal from the JSON the jail reads?"""
    manifest = Manifest((("a.py", 3), ("pkg/b.py", 0)), ("lib/x is a socket; ...",))
    assert Manifest.from_json(manifest.to_json()) == manifest


@pytest.mark.slow
def test_the_jail_can_import_the_reader_in_isolated_mode():
    """Does jail.py, run as `python -I -S`, find submission.py beside it?"""
    jail = ROOT / "autograder" / "sandbox" / "jail.py"
    probe = f"import runpy, sys; sys.argv = ['jail.py']; runpy.run_path({str(jail)!r}, run_name='probe')"
    completed = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr


def test_the_sandbox_runs_the_manifest_and_keeps_its_notes(lib):
    """Does a worker get the scanned files only (a linked module does not exist for it), and do
    the sandbox's notes say what was left out?"""
    (lib / "linear_svm.py").symlink_to(SOLUTION)
    with Sandbox(lib.parent) as sandbox:
        assert sandbox.call("mine.add", 2, 3) == 5
        assert sandbox.notes == ("lib/linear_svm.py is a symbolic link; links are not followed, so it was left out.",)
        with pytest.raises(Exception, match="linear_svm"):
            sandbox.call("linear_svm.svm_loss_naive", 0, 0, 0, 0)


def test_a_refused_submission_gets_zero_on_every_check_with_the_reason(tmp_path):
    """Does run_checks give a refused lib/ zero on every check, each saying why, and say it on top?"""
    (tmp_path / "lib").symlink_to(ROOT / "solutions")
    results = run_checks("svm", tmp_path, include_hidden=False, seed=None)
    assert results.score == 0 and results.tests
    assert all("lib/ is a symbolic link" in t.output for t in results.tests)
    assert results.to_dict()["output"].startswith("Your submission could not be graded: lib/ is a symbolic link")


def test_grade_all_grades_dot_folders_refuses_links_and_lists_what_it_skips(tmp_path):
    """Does grade-all take a dot-folder as a student, a linked student folder as one to refuse (not
    follow), and list .git/ and .ipynb_checkpoints/ as skipped?"""
    for name in (".quiet-student", "alice", ".git", ".ipynb_checkpoints"):
        (tmp_path / name).mkdir()
    (tmp_path / "copycat").symlink_to(tmp_path / "alice")
    (tmp_path / "notes.txt").write_text("not a student")
    assert [p.name for p in student_folders(tmp_path)] == [".quiet-student", "alice", "copycat"]
    assert skipped_folders(tmp_path) == [".git", ".ipynb_checkpoints"]
    summary = BatchReport(skipped=skipped_folders(tmp_path)).summary()
    assert "skipped, as no student's: .git/, .ipynb_checkpoints/" in summary
    copy_reference_lib(tmp_path / "alice")
    results = grade_submission(tmp_path / "copycat", "svm", seed=1)
    assert results.score == 0
    assert all("copycat is a symbolic link; the grader does not follow links" in t.output for t in results.tests)


def test_package_zips_no_link_and_warns(tmp_path):
    """Does `package` leave a link in lib/ out of the zip, with the reader's note as a warning?"""
    from autograder.instructor.release import build_release
    release = build_release("svm", tmp_path / "release")
    (release / "lib" / "extra.py").symlink_to(SOLUTION)
    report = package("svm", release, run_public_checks=False)
    assert report.written, report.problems
    assert "lib/extra.py" not in report.included
    assert any(w.startswith("lib/extra.py is a symbolic link") for w in report.warnings)


def test_a_relative_submission_folder_is_read_where_it_is(lib, monkeypatch):
    """Does a Sandbox on a relative folder (`autograder check` in the assignment folder) copy from
    that folder, although the worker (and the jail's copy) starts in another cwd?"""
    monkeypatch.chdir(lib.parent)
    with Sandbox(".") as sandbox:
        assert sandbox.call("mine.add", 1, 2) == 3


def test_without_descriptor_relative_calls_the_reader_gives_the_same_and_still_refuses_a_swap(lib, monkeypatch):
    """Where os.open has no dir_fd (Windows), does the path-and-lstat fallback scan and copy the
    same files, and still refuse a folder swapped for a link?"""
    from autograder.sandbox import submission

    (lib / "pkg").mkdir()
    (lib / "pkg" / "inner.py").write_text("y = 2\n")
    (lib / "link.py").symlink_to(SOLUTION)
    by_descriptor = scan_submission(lib)
    monkeypatch.setattr(submission, "BY_DESCRIPTOR", False)
    assert scan_submission(lib) == by_descriptor
    copy_manifest(lib, by_descriptor, lib.parent / "copy")
    assert sorted(tree(lib.parent / "copy")) == ["__init__.py", "mine.py", "pkg/inner.py"]
    (lib / "pkg").rename(lib.parent / "elsewhere")
    (lib / "pkg").symlink_to(ROOT / "solutions")
    with pytest.raises(SubmissionRefused, match="^lib/pkg changed"):
        copy_manifest(lib, by_descriptor, lib.parent / "again")


def test_jailed_the_grader_makes_no_copy_of_its_own(lib):
    """Jailed, is lib/ copied once, by the jail into the worker's tmpfs, and never into the
    grader's own folder beside it?"""
    if not Sandbox(lib.parent).jailed:
        pytest.skip("the jail is not available here; unjailed, the grader's copy is the only one")
    with Sandbox(lib.parent) as sandbox:
        assert sandbox.call("mine.add", 1, 1) == 2
        assert (sandbox.workdir / "submission").is_dir()
        assert not (sandbox.workdir / "submission" / "lib").exists()


def test_a_swap_after_the_sandboxs_scan_is_refused_when_the_worker_starts(lib):
    """Does a file swapped for a link between the Sandbox's scan and its worker's start (where
    the copy is made: by the grader, or jailed by jail.py) fail the call with the reader's
    sentence, instead of the worker running the link's target?"""
    with Sandbox(lib.parent) as sandbox:
        (lib / "mine.py").unlink()
        (lib / "mine.py").symlink_to(SOLUTION)
        with pytest.raises(SandboxError, match="lib/mine.py changed while the submission was being read"):
            sandbox.call("mine.add", 1, 1)
