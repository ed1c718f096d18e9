"""Hostile submissions: the batch finishes, they gain nothing, they are told why, and honest
classmates graded beside them keep full marks.

Each tests/attacks/*.py is appended to lib/<module>.py of the reference (or of the stubs, with
`base: stub`); `{course_root}` and `{class_root}` in it become real paths. `score:` is what the
attack must end with (zero, below_full, or full when the code is right despite the attack),
`expect:` a text that some failed check (or the results' top-level output) must show,
`absent:` texts (separated by " | ") that must appear in no output at all: no check's, not the
top-level one, not grade-all's summary on stdout. A case with `layout: yes` arranges the submission's folder
itself instead: its `arrange(lib: Path, context: dict)` runs on the copied base (context:
course_root, class_root, classmate = an honest student's folder) and may replace lib/, add
links, pipes and files beside the modules or append to them. `within:` bounds (seconds) the
grading time of the case. `jail: required` attacks are contained only
by a jail (namespaces, and the root jail's own uid or the user jail's dropped capabilities);
without one they would run unconfined, so they are left out when no jail is available, and
`GRADLAB_REQUIRE_JAIL=1` turns that into a failure.

The whole class is graded twice: by root (the root jail) and by a normal user, `nobody` (the
user jail), since an instructor may grade either way.
"""
import ast
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.sandbox.isolation import UID_BASE, UID_LOCK_DIR, UID_POOL_SIZE, jail_available, user_jail_available
from conftest import ROOT

# Every test here reads the attack batch, graded by `autograder grade-all` in a subprocess.
pytestmark = pytest.mark.slow

ATTACKS_DIR = ROOT / "tests" / "attacks"
# In the grader's environment during the batch (the --seed given wins over it): a case that
# reaches the grader's /proc/self/environ would find it there.
SECRET_SEED = "7349018265"
JAILED, WHY_NOT = jail_available()
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def load_attacks():
    attacks = {}
    for path in sorted(ATTACKS_DIR.glob("*.py")):
        code = path.read_text()
        doc = ast.get_docstring(ast.parse(code))
        fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in doc.splitlines()[1:] if ":" in line)}
        attacks[path.stem] = dict(fields, code=code, summary=doc.splitlines()[0], path=path)
    return attacks


def arrange(attack, folder, context):
    """Run a `layout: yes` case's arrange(lib, context) on the student's folder."""
    namespace = {"__file__": str(attack["path"]), "__name__": f"attack_{attack['path'].stem}"}
    exec(compile(attack["code"], str(attack["path"]), "exec"), namespace)
    namespace["arrange"](folder / "lib", context)


def every_output(result):
    """All the text a student or the instructor is shown of one student's results."""
    return [result.get("output", "")] + [t["output"] for t in result["tests"]]


ATTACKS = load_attacks()
RUNNABLE = {name: a for name, a in ATTACKS.items() if JAILED or a.get("jail") != "required"}


def nobody_can_grade():
    """"" when `nobody` can run this interpreter with numpy and read the course, else why not."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "grading as another user needs root and setpriv"
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", f"import numpy, os; os.listdir({str(ROOT)!r})"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`nobody` cannot run {sys.executable} with numpy on {ROOT} ({probe.stderr.strip()[-300:]})"
    return ""


def graded_as(who):
    """The attacks a grader run by `who` grades: without a jail, not those only a jail contains."""
    jailed = JAILED if who == "root" else user_jail_available()[0]
    return {name: a for name, a in ATTACKS.items() if jailed or a.get("jail") != "required"}


def fingerprint(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module", params=["root", "normal user"])
def batch(request):
    """(grade-all's CompletedProcess, {student: results}, fingerprints before, after, class root,
    the cases graded) for the whole class graded by root or by `nobody`."""
    who = request.param
    if who == "normal user":
        why_not = nobody_can_grade()
        if why_not:
            if os.environ.get("GRADLAB_REQUIRE_JAIL") == "1":
                pytest.fail(why_not)
            pytest.skip(why_not)
    runnable = graded_as(who)
    # Not pytest's tmp_path: its folders are root's alone, and `nobody` grades this class too.
    scratch = Path(tempfile.mkdtemp(prefix="gradlab-attack-class-"))
    os.chmod(scratch, 0o755)
    root, out = scratch / "class", scratch / "out"
    for honest in ("honest-1", "honest-2"):
        copy_reference_lib(root / honest)
    context = {"course_root": ROOT, "class_root": root, "classmate": root / "honest-1"}
    for name, attack in runnable.items():
        folder = root / name
        (copy_stub_lib if attack.get("base") == "stub" else copy_reference_lib)(folder)
        if attack.get("layout") == "yes":
            arrange(attack, folder, context)
            continue
        target = folder / "lib" / f"{attack['module']}.py"
        code = attack["code"].replace("{course_root}", str(ROOT)).replace("{class_root}", str(root))
        target.write_text(target.read_text() + "\n\n" + code)
    out.mkdir()
    if who == "normal user":
        os.chmod(out, 0o777)
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink() and (path.is_dir() or path.is_file()):
                os.chmod(path, os.stat(path).st_mode | 0o755)
    protected = [ROOT / "autograder" / "checks" / "svm.py", root / "honest-1" / "lib" / "linear_svm.py"]
    before = fingerprint(protected)
    command = [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "svm", "--csv",
               str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2", "--seed", "99"]
    try:
        completed = subprocess.run(AS_NOBODY + command if who == "normal user" else command,
                                   capture_output=True, text=True, timeout=1500, cwd=ROOT,
                                   env=dict(os.environ, GRADLAB_SEED=SECRET_SEED))
        results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
        yield completed, results, before, fingerprint(protected), root, runnable
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_the_batch_finishes_and_every_student_has_results(batch):
    completed, results, *_, runnable = batch
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert sorted(results) == sorted(["honest-1", "honest-2", *runnable])
    # Where the cases that only a jail contains were graded, a jail was in force (root: the root
    # jail; nobody: a user jail), as the results say.
    if any(a.get("jail") == "required" for a in runnable.values()):
        isolation = results["honest-1"]["extra_data"]["isolation"]
        assert "jailed (root jail)" in isolation or "jailed (user jail" in isolation, isolation
    assert "could not be graded" not in completed.stdout or ", 0 could not be graded" in completed.stdout


def test_honest_classmates_keep_full_marks(batch):
    _, results, *_ = batch
    for honest in ("honest-1", "honest-2"):
        assert results[honest]["score"] == results[honest]["max_score"], results[honest]


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_an_attack_gains_nothing_and_is_explained(batch, name):
    _, results, *_, runnable = batch
    if name not in runnable:
        pytest.skip(f"{name} needs a jail, and this grader has none")
    attack, r = runnable[name], results[name]
    expected = attack["score"]
    if expected == "zero":
        assert r["score"] == 0, r
    elif expected == "below_full":
        assert r["score"] < r["max_score"], r
    else:
        assert r["score"] == r["max_score"], [t["output"] for t in r["tests"] if t["status"] == "failed"]
    if "expect" in attack:
        outputs = [r.get("output", "")] + [t["output"] for t in r["tests"] if t["status"] == "failed"]
        assert any(attack["expect"] in o for o in outputs), outputs
    if "within" in attack:
        assert r["execution_time"] < float(attack["within"]), r["execution_time"]


@pytest.mark.parametrize("name", sorted(n for n, a in RUNNABLE.items() if "absent" in a))
def test_an_attack_reveals_nothing(batch, name):
    """No text the case names as secret is in any output of its results, nor in grade-all's summary."""
    completed, results, *_, runnable = batch
    if name not in runnable:
        pytest.skip(f"{name} needs a jail, and this grader has none")
    shown = every_output(results[name]) + [completed.stdout]
    for secret in runnable[name]["absent"].split(" | "):
        assert not [text for text in shown if secret in text], secret


def test_nothing_outside_the_workers_folder_was_written(batch):
    _, _, before, after, root, _ = batch
    assert before == after
    assert not (ROOT / "planted-by-student.txt").exists()
    assert not os.path.exists("/tmp/planted-by-student.txt")


def test_no_process_of_the_workers_outlives_the_grading(batch):
    """No live process holds a worker uid that no grader has claimed (other graders may be running
    on this machine, so a claimed uid may legitimately be busy), and the attack's sleepers are gone. A normal user's
    grader has no pool: no process of that user may be left."""
    table = subprocess.run(["ps", "-eo", "uid=,stat=,args="], capture_output=True, text=True).stdout.splitlines()
    rows = [line.split(None, 2) for line in table]
    assert [r for r in rows if len(r) == 3 and "sleep 98765" in r[2]] == []
    assert [r for r in rows if len(r) == 3 and r[0] == str(NOBODY) and not r[1].startswith("Z")] == []
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
