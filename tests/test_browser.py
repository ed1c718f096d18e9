"""The student's seat in a real browser: every notebook run through JupyterLab's own UI.

JupyterLab serves, on a free localhost port with a token, a fresh release of every assignment
whose lib/ is the reference (and one release of svm with its stubs untouched). Debian's
Chromium (/usr/bin/chromium, headless; `--no-sandbox` as root), driven by Playwright for
Python with the system browser — never a browser that a test tool downloads — opens each
notebook, runs Run > Run All Cells, waits for the last cell, saves, and checks: no exception in
any output (stderr text such as warnings is fine), every cell ran, every figure is shown, the
last cell's self-check table says all public checks pass. On the stubs, the run stops at the
first stub with its one-line message. Screenshots go to browser-screenshots/ (or
$GRADLAB_SCREENSHOTS) for a person to look at.

Without Chromium or Playwright the tests skip, unless GRADLAB_REQUIRE_BROWSER=1 (set by .ci/run).
The kernels run in fast mode (GRADLAB_FAST=1); the timeouts only guard against hangs.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.course import ASSIGNMENTS
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.release import build_release
from conftest import ROOT

# A JupyterLab server and a browser.
pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("GRADLAB_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
REQUIRED = os.environ.get("GRADLAB_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(os.environ.get("GRADLAB_SCREENSHOTS") or ROOT / "browser-screenshots")
NOTEBOOKS = [(a.name, nb) for a in ASSIGNMENTS for nb in a.notebooks
             if (ROOT / "assignments" / a.name / nb).is_file()]
START_SECONDS = 120       # JupyterLab up, a notebook open, its kernel idle
NOTEBOOK_SECONDS = 300    # a fast-mode notebook takes well under a minute; this only stops a hang
START_TRIES = 3           # Run All Cells clicked before the notebook is ready can be ignored by the UI
NBGRADER_SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list", "course_list")
EXCEPTION_TEXT = re.compile(r"Traceback \(most recent call last\)|^Not implemented yet:|^\w*(Error|Exception): ", re.M)
STUB_LINE = re.compile(r"^Not implemented yet: Implement \S+ in lib/\w+\.py — implement it, save, rerun this cell$")

# Run All has taken effect once some code cell waits or has run.
STARTED = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))"""

# Done when no cell waits or runs ("[*]") and at least one has run: Run All queues every cell at
# once, and after an error JupyterLab clears the prompts of the cells it will not run.
FINISHED = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
        .map(e => e.textContent);
    return prompts.length > 0 && !prompts.some(t => t.includes('*')) && prompts.some(t => /\\[\\d+\\]/.test(t));
}"""


def unavailable(reason):
    if REQUIRED:
        pytest.fail(f"{reason}; GRADLAB_REQUIRE_BROWSER=1 requires the browser test to run.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        unavailable(f"no Chromium at {CHROMIUM} (on Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright; it drives the system "
                    "Chromium, so no `playwright install`)")
    flags = CHROMIUM_FLAGS + (["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
    with sync_playwright() as playwright:
        # Playwright gives the browser a new, empty profile (--user-data-dir) of its own.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        yield launched
        launched.close()


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving fresh releases (reference lib/, and svm-stubs/)."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    for name in sorted({name for name, _ in NOTEBOOKS}):
        copy_reference_lib(build_release(name, root / name))
    build_release("svm", root / "svm-stubs")
    # A student's JupyterLab: no nbgrader (not in their requirements.txt), no news pop-ups, and every
    # cell in the page (no virtual scrolling) so that each output can be inspected.
    config = base / "config"
    write_json(config / "jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": {
        f"nbgrader.server_extensions.{e}": False for e in NBGRADER_SERVER_EXTENSIONS}}})
    write_json(config / "labconfig" / "page_config.json", {"disabledExtensions": {"@jupyter/nbgrader": True}})
    settings = base / "settings" / "@jupyterlab"
    write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
               {"fetchNews": "false", "checkForUpdates": False})
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADLAB_COURSE_ROOT")}
    env.update(GRADLAB_FAST="1", JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={base / 'settings'}",
               f"--LabApp.workspaces_dir={base / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "server.log"
    with open(log, "w") as log_file:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    started = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                started.api("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {START_SECONDS} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield started
    finally:
        server.terminate()  # the server shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Run:
    page: object
    saved: object        # the notebook as JupyterLab saved it after the run
    cells: list          # the page's cell elements, in notebook order
    seconds: float


def run_all_cells(browser, lab, relative, shots):
    """Open `relative` in JupyterLab, Run > Run All Cells, wait for the end, save."""
    path = lab.root / relative
    notebook = nbformat.read(path, as_version=4)
    page = browser.new_page(viewport={"width": 1400, "height": 1600})  # tall: a whole table or figure fits
    page.set_default_timeout(START_SECONDS * 1000)
    start = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/{relative}?reset&token={lab.token}")
    page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-Cell').length === {len(notebook.cells)}")
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', state="attached")
    run_all(page)
    page.wait_for_function(FINISHED, timeout=NOTEBOOK_SECONDS * 1000, polling=500)
    seconds = time.monotonic() - start
    before = path.stat().st_mtime_ns
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.stat().st_mtime_ns != before, f"JupyterLab did not save {relative}"
    time.sleep(0.5)  # the contents API writes the file in one go, but let a slow disk finish
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    page.screenshot(path=str(shots / "00-window.png"))
    return Run(page, nbformat.read(path, as_version=4), page.query_selector_all(".jp-Notebook .jp-Cell"), seconds)


def run_all(page):
    """Run > Run All Cells, again if no cell started (a click that landed before the notebook was
    ready); a notebook that never starts fails here instead of waiting out the hang timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(START_TRIES):
        page.click('.lm-MenuBar-itemLabel:text-is("Run")')
        page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
        try:
            page.wait_for_function(STARTED, timeout=30_000, polling=200)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")  # close a menu left open
    raise AssertionError(f"Run All Cells started no cell after {START_TRIES} tries")


def stderr_texts(cell):
    return cell.eval_on_selector_all('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                                     "elements => elements.map(e => e.textContent)")


def close(run, lab):
    run.page.close()
    for session in lab.api("/api/sessions"):  # end the notebook's kernel: one at a time on 2 cores
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")


@pytest.mark.parametrize("name, notebook", NOTEBOOKS, ids=[f"{a}/{nb}" for a, nb in NOTEBOOKS])
def test_every_notebook_runs_through_the_ui_with_figures_and_no_exception(browser, lab, name, notebook, capsys):
    shots = SCREENSHOTS / f"{name}-{Path(notebook).stem}"
    run = run_all_cells(browser, lab, f"{name}/{notebook}", shots)
    try:
        saved = run.saved
        assert len(run.cells) == len(saved.cells)
        errors = [(i + 1, o.ename, o.evalue) for i, c in enumerate(saved.cells) if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
        assert errors == [], f"exceptions in {notebook} (cell, type, message): {errors}"
        not_run = [c.id for c in saved.cells if c.cell_type == "code" and c.execution_count is None]
        assert not_run == [], f"cells that did not run: {not_run}"
        missing_figures, shown = [], 0
        for number, (cell, element) in enumerate(zip(saved.cells, run.cells), 1):
            if cell.cell_type != "code":
                continue
            exceptions = [t for t in stderr_texts(element) if EXCEPTION_TEXT.search(t)]
            assert exceptions == [], f"cell {number} ({cell.id}) shows an exception: {exceptions[0][:500]}"
            if "plt.show()" in cell.source:
                images = element.query_selector_all(".jp-OutputArea-output img")
                if not images:
                    missing_figures.append(cell.id)
                    continue
                shown += 1
                images[0].screenshot(path=str(shots / f"{number:02d}-{cell.id}.png"))
        assert missing_figures == [], f"cells whose figure is not shown: {missing_figures}"
        assert shown > 0
        table = run.cells[-1].query_selector(".gradlab-self-check")
        assert table is not None, "the last cell shows no self-check table"
        table.screenshot(path=str(shots / f"{len(run.cells):02d}-check-your-work.png"))
        assert re.search(rf"{name}: all \d+ public checks pass", table.inner_text())
    finally:
        close(run, lab)
    with capsys.disabled():
        print(f"\n  {name}/{notebook}: ran in {run.seconds:.1f} s in Chromium; {shown} figures; screenshots in {shots}")


def test_on_the_stubs_the_run_stops_at_the_first_stub_with_one_line(browser, lab, capsys):
    shots = SCREENSHOTS / "svm-stubs"
    run = run_all_cells(browser, lab, "svm-stubs/svm.ipynb", shots)
    try:
        cells = list(zip(run.saved.cells, run.cells))
        stopped = [i for i, (c, _) in enumerate(cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
        assert len(stopped) == 1
        cell, element = cells[stopped[0]]
        shown = [t.strip() for t in stderr_texts(element)]
        assert len(shown) == 1 and STUB_LINE.match(shown[0]) and "\n" not in shown[0], shown
        assert "svm_loss_naive" in shown[0]
        element.screenshot(path=str(shots / f"{stopped[0] + 1:02d}-{cell.id}-stops-here.png"))
        after = [c for c, _ in cells[stopped[0] + 1:] if c.cell_type == "code"]
        assert after and all(c.execution_count is None for c in after), "cells after the stub ran"
    finally:
        close(run, lab)
    with capsys.disabled():
        print(f"\n  svm with stubs: stopped at the first stub after {run.seconds:.1f} s; screenshots in {shots}")
