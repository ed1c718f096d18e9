"""The front door (issue 16): a README of at most 100 lines that links a guide per reader, whose
commands are ones the CLI accepts, and no reference anywhere to a section that moved.

Which tests *run* the commands is said at the end of each guide; here every `autograder`
command in a `bash` block is parsed with the CLI's own parser (never run), every link and
section reference is resolved, and CI's README marks are found.
"""
import contextlib
import importlib.util
import io
import re
import shlex

import pytest

from autograder import results as graded  # not `TestResult` by name: pytest would collect it
from autograder.cli import build_parser
from autograder.instructor import demo
from conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
GUIDES = ("students.md", "instructors.md", "grading.md", "maintainers.md", "adding-an-assignment.md")
PAGES = [README] + [DOCS / name for name in GUIDES]
BASH_BLOCK = re.compile(r"^```(?:bash|sh)\n(.*?)^```", re.S | re.M)
AUTOGRADER = re.compile(r"^(?:autograder|python3? -m autograder)\s+(.*)$")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A reference to a section in code, tests and scripts: the README or a docs/ page, then a quoted
# heading or an anchor.
SECTION_REFERENCE = re.compile(r"\b(README(?:\.md)?|docs/[\w-]+\.md)(?: \"([^\"]+)\"|#([\w-]+))")


def ci_script(name):
    """The module of the CI script .ci/<name>.py (a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shell_commands(text):
    """Each simple command of the `bash` blocks of a page, as words: comments dropped, command
    lists (`&&`, `||`, `;`) split, subshell parentheses removed."""
    commands = []
    for block in BASH_BLOCK.findall(text):
        for line in block.splitlines():
            current = []
            for word in shlex.split(line, comments=True) + [";"]:
                if word in ("&&", "||", ";"):
                    if current:
                        commands.append(current)
                    current = []
                elif word.strip("()"):
                    current.append(word.strip("()"))
    return commands


def autograder_arguments(command):
    """The arguments after `autograder` / `python -m autograder`, or None for another program."""
    match = AUTOGRADER.match(shlex.join(command))
    return shlex.split(match.group(1)) if match else None


def rejection(arguments):
    """argparse's complaint about `arguments` (None when the CLI's parser accepts them)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(arguments)
        except SystemExit as exit:
            return stderr.getvalue().strip() or f"exit {exit.code}"
    return None


def heading_anchors(text):
    """GitHub's anchors of the Markdown headings of `text`, and the heading texts themselves."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    return anchors, set(headings)


# -- the README ----------------------------------------------------------------------------------

def test_the_readme_is_a_front_door_of_at_most_100_lines_linking_every_guide():
    text = README.read_text()
    assert len(text.splitlines()) <= 100, f"README.md has {len(text.splitlines())} lines; move detail to docs/"
    for guide in GUIDES:
        assert f"(docs/{guide})" in text, f"README.md does not link docs/{guide}"
        assert (DOCS / guide).is_file()
    for heading in ("## Two commands", "## From a fresh clone to a graded assignment", "## Layout"):
        assert heading in text.splitlines(), f"README.md lost its section {heading!r}"


def test_ci_finds_the_readmes_two_commands_where_they_are_marked():
    finder = ci_script("readme_command")
    text = README.read_text()
    demo, tests = finder.readme_command("demo", text), finder.readme_command("tests", text)
    assert demo.startswith("python3 -m pip install") and demo.endswith("autograder demo")
    assert "pytest" in tests and '-m "not slow"' not in tests, "the README's test command is the full suite"
    assert f"```bash\n{demo}\n```" in text and f"```bash\n{tests}\n```" in text, "CI must run them as written"
    with pytest.raises(finder.MissingCommand, match="no fenced block right below a '<!-- ci: demo -->' line"):
        finder.readme_command("demo", text.replace("<!-- ci: demo -->", ""))


def demo_class(scores):
    """{student: Results} with one check per (points earned, points possible) pair in `scores`."""
    return {student: graded.Results([graded.TestResult(f"check_{i}", got, of, "")
                                     for i, (got, of) in enumerate(checks)])
            for student, checks in scores.items()}


def write_demo(folder, results):
    """What `autograder demo` prints (its own table) and the grades.csv it writes beside it."""
    rows = ["student_id,score,max_score"] + [f"{s},{r.score:g},{r.max_score:g}" for s, r in sorted(results.items())]
    (folder / "grades.csv").write_text("\n".join(rows) + "\n")
    return f"graded {len(results)} students\n\n{demo.class_table(results)}\n\nCSV: grades.csv\n"


def test_cis_demo_checker_reads_the_demos_own_table_and_refuses_a_wrong_one(tmp_path):
    checker = ci_script("check_demo")
    right = demo_class({"reference": [(2, 2), (3, 3)], "untouched-stubs": [(0, 2), (0, 3)],
                        "bug-sign": [(2, 2), (0, 3)]})
    assert checker.problems(write_demo(tmp_path, right), tmp_path) == []
    wrong = demo_class({"reference": [(2, 2), (1, 3)], "untouched-stubs": [(0, 2), (1, 3)],
                        "bug-sign": [(2, 2), (3, 3)]})
    found = checker.problems(write_demo(tmp_path, wrong), tmp_path)
    assert any("reference should get full marks" in p and "3/5" in p for p in found), found
    assert any("untouched stubs should score 0, but got 1/5" in p for p in found), found
    assert any("known bug bug-sign should lose points" in p for p in found), found
    printed = write_demo(tmp_path, right)
    (tmp_path / "grades.csv").write_text("student_id,score,max_score\nreference,4,5\n")
    assert any("grades.csv holds" in p for p in checker.problems(printed, tmp_path))
    assert checker.problems("Traceback (most recent call last): ...", tmp_path)[0].startswith(
        "The demo printed no class table")


def test_the_walkthrough_the_student_seat_test_runs_is_still_in_the_readme():
    from test_student_seat import walkthrough_commands

    commands = walkthrough_commands()
    assert len(commands) == 5 and commands[0] == "python3 -m pip install -e ."


# -- the guides ----------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_autograder_command_of_a_page_is_one_the_cli_accepts(page):
    rejected = {}
    for command in shell_commands(page.read_text()):
        arguments = autograder_arguments(command)
        if arguments is not None:
            complaint = rejection(arguments)
            if complaint:
                rejected[shlex.join(command)] = complaint.splitlines()[-1]
    assert rejected == {}, f"{page.name} shows commands the CLI rejects: {rejected}"


def test_the_command_parser_of_these_tests_rejects_what_the_cli_rejects():
    page = ("```bash\nautograder grade sub --assignment svm --sed 3   # a typo\n"
            "(cd x && python3 -m autograder check svm)\n```\n")
    commands = shell_commands(page)
    assert commands == [["autograder", "grade", "sub", "--assignment", "svm", "--sed", "3"], ["cd", "x"],
                        ["python3", "-m", "autograder", "check", "svm"]]
    assert "unrecognized arguments: --sed 3" in rejection(autograder_arguments(commands[0]))
    assert autograder_arguments(commands[1]) is None
    assert rejection(autograder_arguments(commands[2])) is None
    assert "invalid choice: 'gradee'" in rejection(["gradee"])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_of_a_page_leads_somewhere(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no file {destination}")
        elif anchor and anchor not in heading_anchors(destination.read_text())[0]:
            broken.append(f"{target}: {destination.name} has no heading with the anchor #{anchor}")
    assert broken == [], f"{page.name} has broken links: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_test_a_page_names_exists(page):
    named = set(re.findall(r"tests/(test_[a-z0-9_]+\.py)", page.read_text()))  # not placeholders (NAME)
    missing = sorted(n for n in named if not (ROOT / "tests" / n).is_file())
    assert missing == [], f"{page.name} names tests that do not exist: {missing}"


def test_grading_keeps_a_section_for_the_isolation_levels():
    anchors, headings = heading_anchors((DOCS / "grading.md").read_text())
    assert "Isolation levels" in headings and "isolation-levels" in anchors
    assert "extra_data.isolation" in (DOCS / "grading.md").read_text()


def test_no_code_test_or_script_refers_to_a_section_that_moved():
    sources = [p for folder in ("autograder", "tests", "benchmarks", ".ci") for p in (ROOT / folder).rglob("*")
               if p.suffix in (".py", ".md", "") and p.is_file() and "__pycache__" not in p.parts]
    dangling = []
    for path in sources + [ROOT / "nbgrader_config.py"]:
        for name, heading, anchor in SECTION_REFERENCE.findall(path.read_text(errors="replace")):
            target = README if name.startswith("README") else ROOT / name
            if not target.is_file():
                dangling.append(f"{path.relative_to(ROOT)}: {name} does not exist")
                continue
            anchors, headings = heading_anchors(target.read_text())
            if (heading and heading not in headings) or (anchor and anchor not in anchors):
                dangling.append(f"{path.relative_to(ROOT)}: {name} has no section {heading or '#' + anchor!r}")
    assert dangling == [], dangling
