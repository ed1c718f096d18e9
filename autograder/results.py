"""Grading results in Gradescope's results.json schema, and their readable table.

{"score": 7.0, "max_score": 10.0, "execution_time": 1.9,
 "tests": [{"name", "score", "max_score", "status", "output", "visibility"}, ...],
 "extra_data": {"grader_version", "seed", "assignment", "isolation", ...},
 "output": "..."}

`output` (present when not empty) is Gradescope's top-level text shown to the student above the
tests: notes on the submission as a whole, e.g. a file of lib/ that was left out.

`score` is the sum of the tests' scores; a test's status is "passed" only with full marks.
"""
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from .text_safety import capped, for_terminal

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"

    def __post_init__(self):
        # A student's exception text becomes this output: a forged 1 MB message must not be
        # stored, per check, in every results.json, CSV and report.
        self.output = capped(self.output)

    @property
    def status(self):
        return "passed" if self.score >= self.max_score else "failed"

    def to_dict(self):
        return {"name": self.name, "score": self.score, "max_score": self.max_score,
                "status": self.status, "output": self.output, "visibility": self.visibility}


@dataclass
class Results:
    tests: list[TestResult]
    execution_time: float = 0.0
    extra_data: dict = field(default_factory=dict)
    output: str = ""            # about the submission as a whole (Gradescope's top-level "output")

    @property
    def score(self):
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self):
        return round(sum(t.max_score for t in self.tests), 6)

    def to_dict(self):
        data = {"score": self.score, "max_score": self.max_score,
                "execution_time": round(self.execution_time, 3),
                "tests": [t.to_dict() for t in self.tests], "extra_data": self.extra_data}
        if self.output:
            data["output"] = capped(self.output)  # notes, set after construction too: capped where stored
        return data

    @classmethod
    def from_dict(cls, data):
        tests = [TestResult(t["name"], float(t["score"]), float(t["max_score"]), t.get("output", ""),
                            t.get("visibility", "visible")) for t in data["tests"]]
        return cls(tests, float(data.get("execution_time", 0.0)), dict(data.get("extra_data", {})),
                   str(data.get("output", "")))

    def write(self, path):
        """Write the JSON atomically: readers never see a half-written file."""
        write_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path):
        return cls.from_dict(json.loads(Path(path).read_text()))

    def table(self, width=100):
        """The results as a text table, then the message of every check that lost points; control
        characters in them (a student's message may hold any) are shown escaped, never sent raw."""
        names = [for_terminal(t.name) for t in self.tests]
        name_width = max([len("check")] + [len(name) for name in names])
        lines = [f"{'check':<{name_width}}  {'points':>11}  status",
                 f"{'-' * name_width}  {'-' * 11}  ------"]
        for t, name in zip(self.tests, names):
            lines.append(f"{name:<{name_width}}  {_points(t.score, t.max_score):>11}  {t.status}")
        lines.append(f"{'-' * name_width}  {'-' * 11}  ------")
        lines.append(f"{'total':<{name_width}}  {_points(self.score, self.max_score):>11}")
        if self.output:
            lines += ["", for_terminal(self.output.strip())]
        failed = [t for t in self.tests if t.status == "failed"]
        if failed:
            lines.append("")
            lines.append("What lost points:")
            for t in failed:
                body = textwrap.indent(for_terminal(t.output.strip()), "    ")
                lines.append(f"- {for_terminal(t.name)}:\n{body}")
        return "\n".join(lines)


def _points(score, max_score):
    return f"{score:g} / {max_score:g}"


def write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(temporary, path)


def validate(data):
    """Problems with a results.json dict against the schema above ([] when it conforms)."""
    problems = []
    for key, kind in (("score", (int, float)), ("max_score", (int, float)),
                      ("execution_time", (int, float)), ("tests", list), ("extra_data", dict)):
        if not isinstance(data.get(key), kind):
            problems.append(f"top-level {key!r} missing or not {kind}")
    if not isinstance(data.get("output", ""), str):
        problems.append("top-level 'output' is not a string")
    tests = data.get("tests") if isinstance(data.get("tests"), list) else []
    for i, t in enumerate(tests):
        for key, kind in (("name", str), ("score", (int, float)), ("max_score", (int, float)),
                          ("status", str), ("output", str), ("visibility", str)):
            if not isinstance(t.get(key), kind):
                problems.append(f"tests[{i}].{key} missing or not {kind}")
        if t.get("visibility") not in VISIBILITIES:
            problems.append(f"tests[{i}].visibility {t.get('visibility')!r} is not one of {VISIBILITIES}")
        full = isinstance(t.get("score"), (int, float)) and t["score"] >= t.get("max_score", 0)
        if t.get("status") != ("passed" if full else "failed"):
            problems.append(f"tests[{i}].status {t.get('status')!r} does not match its score")
    if tests and isinstance(data.get("score"), (int, float)):
        total = sum(t.get("score", 0) for t in tests)
        if abs(total - data["score"]) > 1e-6:
            problems.append(f"score {data['score']} is not the sum of the tests' scores {total}")
    return problems
