"""Hostile submissions: the batch finishes, they gain nothing, they are told why, and honest
classmates graded beside them keep full marks.

Each tests/attacks/*.py is appended to lib/<module>.py of the reference (or of the stubs, with
`base: stub`); `{course_root}` and `{class_root}` in it become real paths. `score:` is what the
attack must end with (zero, below_full, or full when the code is right despite the attack),
`expect:` a text that some failed check must show. `jail: required` attacks are contained only
by the root jail (own uid, namespaces); without it they would run unconfined, so they are left
out when the jail is unavailable, and `GRADLAB_REQUIRE_JAIL=1` turns that into a failure.
"""
import ast
import fcntl
import hashlib
import json
import os
import subprocess
import sys

import pytest

from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.sandbox.isolation import UID_BASE, UID_LOCK_DIR, UID_POOL_SIZE, jail_available
from conftest import ROOT

ATTACKS_DIR = ROOT / "tests" / "attacks"
JAILED, WHY_NOT = jail_available()


def load_attacks():
    attacks = {}
    for path in sorted(ATTACKS_DIR.glob("*.py")):
        code = path.read_text()
        doc = ast.get_docstring(ast.parse(code))
        fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in doc.splitlines()[1:] if ":" in line)}
        attacks[path.stem] = dict(fields, code=code, summary=doc.splitlines()[0])
    return attacks


ATTACKS = load_attacks()
RUNNABLE = {name: a for name, a in ATTACKS.items() if JAILED or a.get("jail") != "required"}


def fingerprint(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for honest in ("honest-1", "honest-2"):
        copy_reference_lib(root / honest)
    for name, attack in RUNNABLE.items():
        folder = root / name
        (copy_stub_lib if attack.get("base") == "stub" else copy_reference_lib)(folder)
        target = folder / "lib" / f"{attack['module']}.py"
        code = attack["code"].replace("{course_root}", str(ROOT)).replace("{class_root}", str(root))
        target.write_text(target.read_text() + "\n\n" + code)
    protected = [ROOT / "autograder" / "checks" / "svm.py", root / "honest-1" / "lib" / "linear_svm.py"]
    before = fingerprint(protected)
    out = tmp_path_factory.mktemp("out")
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "svm", "--csv",
         str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2", "--seed", "99"],
        capture_output=True, text=True, timeout=1500)
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return completed, results, before, fingerprint(protected), root


def test_the_batch_finishes_and_every_student_has_results(batch):
    completed, results, *_ = batch
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert sorted(results) == sorted(["honest-1", "honest-2", *RUNNABLE])
    assert "could not be graded" not in completed.stdout or ", 0 could not be graded" in completed.stdout


def test_honest_classmates_keep_full_marks(batch):
    _, results, *_ = batch
    for honest in ("honest-1", "honest-2"):
        assert results[honest]["score"] == results[honest]["max_score"], results[honest]


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_an_attack_gains_nothing_and_is_explained(batch, name):
    _, results, *_ = batch
    attack, r = RUNNABLE[name], results[name]
    expected = attack["score"]
    if expected == "zero":
        assert r["score"] == 0, r
    elif expected == "below_full":
        assert r["score"] < r["max_score"], r
    else:
        assert r["score"] == r["max_score"], [t["output"] for t in r["tests"] if t["status"] == "failed"]
    if "expect" in attack:
        outputs = [t["output"] for t in r["tests"] if t["status"] == "failed"]
        assert any(attack["expect"] in o for o in outputs), outputs


def test_nothing_outside_the_workers_folder_was_written(batch):
    _, _, before, after, root = batch
    assert before == after
    assert not (ROOT / "planted-by-student.txt").exists()
    assert not os.path.exists("/tmp/planted-by-student.txt")


def test_no_process_of_the_workers_outlives_the_grading(batch):
    """No live process holds a worker uid that no grader has claimed (other graders may be running
    on this machine, so a claimed uid may legitimately be busy), and the attack's sleepers are gone."""
    table = subprocess.run(["ps", "-eo", "uid=,stat=,args="], capture_output=True, text=True).stdout.splitlines()
    rows = [line.split(None, 2) for line in table]
    assert [r for r in rows if len(r) == 3 and "sleep 98765" in r[2]] == []
    busy = {int(uid) for uid, stat, _ in (r for r in rows if len(r) == 3)
            if UID_BASE <= int(uid) < UID_BASE + UID_POOL_SIZE and not stat.startswith("Z")}
    for uid in sorted(busy):
        with open(UID_LOCK_DIR / f"{uid}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a grader holds this uid right now
            alive = subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, text=True).stdout.split()
            assert alive == [], f"uid {uid} is free but still runs {alive}"


def test_the_jail_is_in_force_where_ci_requires_it():
    if os.environ.get("GRADLAB_REQUIRE_JAIL") == "1":
        assert JAILED, WHY_NOT
    skipped = sorted(set(ATTACKS) - set(RUNNABLE))
    if skipped:
        pytest.skip(f"without the jail ({WHY_NOT}) these attacks would run unconfined: {', '.join(skipped)}")
