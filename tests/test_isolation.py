"""The isolation levels (autograder/sandbox/isolation.py): what each one keeps from a worker, and
that nothing of a worker or of the grader's scratch outlives them.

Each test runs a small probe lib/ in a real worker at one level and asks it what it can reach.
The root jail is what CI grades with; the pool uid (root where namespaces are refused) is
simulated by making `jail_available` say no; the user jail needs a normal user who can run this
interpreter (`nobody` here; `.ci/run` lets it reach the interpreter), and is skipped with the
reason elsewhere, unless GRADLAB_REQUIRE_JAIL=1 turns the skip into a failure.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from autograder.instructor.grade import grade_submission
from autograder.instructor.reference import copy_reference_lib
from autograder.sandbox import isolation, scratch
from autograder.sandbox.proxy import Sandbox
from conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the isolation levels are Linux's")

PROBE = '''
import ctypes, os

def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return "refused: " + type(exc).__name__

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(200).decode(errors="replace")
    except OSError as exc:
        return "refused: " + type(exc).__name__

def write(path):
    try:
        with open(path, "w") as f:
            f.write("planted")
        return "written"
    except OSError as exc:
        return "refused: " + type(exc).__name__

def uid():
    return os.getuid()

def status(field):
    return [line.split(":", 1)[1].strip() for line in open("/proc/self/status") if line.startswith(field + ":")][0]

def make_shared_memory(key):
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.shmget(key, 1 << 20, 0o1000 | 0o600)   # IPC_CREAT

def sleep_forever():
    import time
    time.sleep(600)
'''


def probe_folder(tmp_path):
    folder = tmp_path / "probe"
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "__init__.py").write_text("")
    (folder / "lib" / "probe.py").write_text(PROBE)
    return folder


def shared_memory_keys():
    header, *rows = Path("/proc/sysvipc/shm").read_text().splitlines()
    return {int(row.split()[0]) for row in rows}


@pytest.fixture
def pool_uid_level(monkeypatch):
    """Root where `unshare` is refused (a container without CAP_SYS_ADMIN), simulated."""
    if os.geteuid() != 0:
        pytest.skip("the pool-uid level is root's")
    monkeypatch.setattr(isolation, "jail_available", lambda: (False, "simulated: namespaces are refused"))
    assert isolation.isolation_level()[0] == isolation.POOL_UID


def test_the_root_jail_shows_nothing_of_the_course_and_takes_every_privilege(tmp_path):
    """Jailed as root: does the worker see the course, the grader's package or its /proc, or keep a capability?"""
    if isolation.isolation_level()[0] != isolation.ROOT_JAIL:
        pytest.skip(f"no root jail here: {isolation.jail_available()[1]}")
    with Sandbox(probe_folder(tmp_path)) as sandbox:
        assert sandbox.call("probe.uid") >= isolation.UID_BASE
        for path in (ROOT, ROOT / "solutions", Path(isolation.__file__).parent.parent):
            assert sandbox.call("probe.listing", str(path)).startswith("refused"), path
        assert sandbox.call("probe.status", "CapEff") == "0000000000000000"
        assert sandbox.call("probe.status", "NoNewPrivs") == "1"
        # Its own PID namespace: the worker is process 1 and sees no other process, the grader's included.
        assert [p for p in sandbox.call("probe.listing", "/proc") if p.isdigit()] == ["1"]


def test_a_masked_path_inside_a_bound_folder_is_empty_in_the_jail(tmp_path, monkeypatch):
    """A course under a folder the jail binds (e.g. /usr/local/src/course): is it hidden anyway?"""
    if isolation.isolation_level()[0] != isolation.ROOT_JAIL:
        pytest.skip(f"no root jail here: {isolation.jail_available()[1]}")
    system = tmp_path / "usr"
    course = system / "local" / "src" / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "solutions" / "linear_svm.py").write_text("SECRET = 'the reference'\n")
    (system / "visible.txt").write_text("system file\n")
    monkeypatch.setattr(isolation, "SYSTEM_READONLY", (*isolation.SYSTEM_READONLY, str(system)))
    with Sandbox(probe_folder(tmp_path), hidden=[course]) as sandbox:
        assert sandbox.call("probe.read", str(system / "visible.txt")) == "system file\n"
        assert sandbox.call("probe.read", str(course / "solutions" / "linear_svm.py")).startswith("refused")
        assert sandbox.call("probe.listing", str(course)) in ([], "refused: PermissionError")


def test_a_hidden_path_the_worker_needs_is_refused_not_shown():
    """A results folder that IS a folder the worker must read: is it refused with a clear message?"""
    readonly = isolation.readonly_paths()
    with pytest.raises(RuntimeError, match="must be visible to the worker"):
        isolation.masked_paths(readonly, [readonly[0]])


def test_the_pool_uid_cannot_write_results_signal_the_grader_or_read_its_environment(tmp_path, pool_uid_level):
    """Root without namespaces: does the worker drop to a pool uid that cannot touch the trusted side?"""
    results = tmp_path / "results"
    results.mkdir()
    os.chmod(tmp_path, 0o755)
    with Sandbox(probe_folder(tmp_path)) as sandbox:
        assert sandbox.call("probe.uid") >= isolation.UID_BASE
        assert sandbox.call("probe.write", str(results / "results.json")).startswith("refused")
        assert sandbox.call("probe.read", f"/proc/{os.getpid()}/environ").startswith("refused")
        assert sandbox.call("probe.status", "NoNewPrivs") == "1"
    assert not (results / "results.json").exists()


def test_pool_uid_workers_cannot_read_each_others_copies(tmp_path, pool_uid_level):
    """Two students graded at once without namespaces: can one worker read the other's copy of lib/?"""
    with Sandbox(probe_folder(tmp_path / "a")) as first, Sandbox(probe_folder(tmp_path / "b")) as second:
        assert first.call("probe.uid") != second.call("probe.uid")
        copy = second.workdir / "submission" / "lib" / "probe.py"
        assert copy.is_file()
        assert first.call("probe.read", str(copy)).startswith("refused")
        assert first.call("probe.listing", str(second.workdir / "submission")).startswith("refused")


def test_the_pool_uid_leaves_no_shared_memory_behind(tmp_path, pool_uid_level):
    """A pool worker has no IPC namespace: is its System V shared memory removed when it ends?"""
    key = 0x6A61_0001
    with Sandbox(probe_folder(tmp_path)) as sandbox:
        assert sandbox.call("probe.make_shared_memory", key) >= 0
        assert key in shared_memory_keys()
    assert key not in shared_memory_keys()


def test_the_root_jail_keeps_shared_memory_inside_its_namespace(tmp_path):
    """Jailed: does a worker's shared memory never reach the machine (and so no other worker)?"""
    if isolation.isolation_level()[0] != isolation.ROOT_JAIL:
        pytest.skip(f"no root jail here: {isolation.jail_available()[1]}")
    key = 0x6A61_0002
    with Sandbox(probe_folder(tmp_path)) as sandbox:
        assert sandbox.call("probe.make_shared_memory", key) >= 0
        assert key not in shared_memory_keys()


def test_every_level_says_what_it_does_not_protect(monkeypatch):
    """Does the results' isolation line say, below the root jail, what the worker can still reach?"""
    from autograder.sandbox.proxy import Limits

    statements = {}
    for level in (isolation.ROOT_JAIL, isolation.USER_JAIL, isolation.POOL_UID, isolation.UNJAILED):
        monkeypatch.setattr(isolation, "isolation_level", lambda level=level: (level, "simulated"))
        statements[level] = isolation.level_statement(Limits())
    assert "own uid per worker" in statements[isolation.ROOT_JAIL]
    assert "capability dropped" in statements[isolation.USER_JAIL]
    assert "shares the file system" in statements[isolation.POOL_UID]
    assert "can read whatever that user can read" in statements[isolation.UNJAILED]


def test_hidden_checks_as_root_without_any_isolation_are_refused(monkeypatch, tmp_path):
    """Root where neither namespaces nor a uid change are possible: is grading refused, not done as root?"""
    from autograder.runner import run_checks

    monkeypatch.setattr(isolation, "isolation_level", lambda: (isolation.UNJAILED, "simulated"))
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 0)
    with pytest.raises(isolation.IsolationRefused, match="Refusing to grade as root"):
        run_checks("svm", probe_folder(tmp_path), include_hidden=True, seed=1)


# -- what a normal user's grader gets: the user jail --------------------------------------------

def unprivileged(argv, **kwargs):
    """Run `argv` as `nobody` (no login shell needed), or skip when that user cannot run Python here."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to start a process as a normal user")
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                            "-c", "import numpy"], capture_output=True, text=True)
    if probe.returncode != 0:
        message = f"`nobody` cannot run {sys.executable} with numpy here ({probe.stderr.strip()[-200:]})"
        if os.environ.get("GRADLAB_REQUIRE_JAIL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


def world_readable_copy(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="gradlab-test-"))
    os.chmod(folder, 0o777)
    shutil.copytree(probe_folder(tmp_path), folder / "probe")
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return folder


@pytest.mark.slow
def test_a_normal_users_grader_jails_its_workers_in_a_user_namespace(tmp_path):
    """Graded by a normal user: is the worker jailed, and blind to the course and the grader's /proc?"""
    folder = world_readable_copy(tmp_path)
    script = textwrap.dedent(f'''
        import json, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from autograder.sandbox import isolation
        from autograder.sandbox.proxy import Sandbox
        isolation.make_grader_undumpable()
        with Sandbox({str(folder / "probe")!r}) as s:
            print(json.dumps({{"level": s.level, "uid": s.call("probe.uid"),
                               "course": s.call("probe.listing", {str(ROOT / "solutions")!r}),
                               "caps": s.call("probe.status", "CapEff"),
                               "bounding": s.call("probe.status", "CapBnd"),
                               "environ": s.call("probe.read", "/proc/%d/environ" % os.getpid())}}))
    ''')
    try:
        completed = unprivileged([sys.executable, "-c", script], cwd=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    seen = json.loads(completed.stdout.strip().splitlines()[-1])
    if seen["level"] != isolation.USER_JAIL:
        pytest.skip(f"no user namespaces for normal users here ({isolation.user_jail_available()[1]})")
    assert seen["course"].startswith("refused")
    assert seen["caps"] == seen["bounding"] == "0000000000000000"
    assert seen["environ"].startswith("refused")


# -- nothing outlives the grader; nothing half-run is scored -------------------------------------

@pytest.mark.slow
def test_a_killed_grader_leaves_no_worker_and_its_scratch_is_swept(tmp_path):
    """The grader killed by a timeout or the OOM killer: does its worker die with it, and its folder go?"""
    folder = probe_folder(tmp_path)
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from autograder.sandbox.proxy import Sandbox
        s = Sandbox({str(folder)!r})
        print(s.call("probe.uid"), s.workdir, flush=True)
        s.call("probe.sleep_forever")
    ''')
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    uid, workdir = grader.stdout.readline().split()
    time.sleep(1)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = subprocess.run(["pgrep", "-f", workdir], capture_output=True, text=True).stdout.split()
        if not alive:
            break
        time.sleep(0.2)
    assert alive == [], f"processes of the killed grader's worker still run: {alive}"
    assert Path(workdir).exists()
    assert Path(workdir) in scratch.sweep_stale()
    assert not Path(workdir).exists()


def test_sweeping_keeps_the_folders_of_live_graders():
    """Is a scratch folder whose grader still holds it left alone by another grader's sweep?"""
    folder = scratch.ScratchDir("sandbox")
    try:
        assert folder.path not in scratch.sweep_stale()
        assert folder.intact()
    finally:
        folder.remove()


def test_temporary_files_removed_while_grading_give_an_error_not_a_score(tmp_path):
    """Another program deletes the grader's /tmp folders mid-run: is the student told, instead of scored?"""
    submission = copy_reference_lib(tmp_path / "student")
    before = set(Path(tempfile.gettempdir()).glob("gradlab-*"))
    done = threading.Event()

    def remove_new_scratch():
        while not done.is_set():
            for path in set(Path(tempfile.gettempdir()).glob("gradlab-reference-*")) - before:
                shutil.rmtree(path, ignore_errors=True)
            time.sleep(0.005)

    cleaner = threading.Thread(target=remove_new_scratch)
    cleaner.start()
    try:
        results = grade_submission(submission, "svm", seed=5)
    finally:
        done.set()
        cleaner.join()
    assert "interrupted" in results.extra_data.get("error", ""), results.extra_data
    assert results.score == 0
    assert all("Grading was interrupted" in t.output for t in results.tests)
