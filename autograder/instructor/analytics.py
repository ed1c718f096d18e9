"""Class analytics for a graded batch: what an instructor reads before section.

    autograder analytics DIR [--report report.md|report.html]

From the `<student_id>.json` results in DIR: per-check pass rates, the mean, median and
distribution of the scores, the most frequent failure messages and hints (which mistakes the
class made), and the slowest submissions. As a table in the terminal, and as a Markdown or
HTML report with two plots (a score histogram and the per-check pass rates), written as PNGs
beside the report.

Failure messages are grouped after normalising them: every number becomes `#` and the
student's own id `<student>`, so that "relative error 3.1e-02 on W (5, 3)" and "relative error
7.7e-01 on W (40, 10)" count as the same mistake.
"""
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..text_safety import for_html, for_markdown, for_terminal
from .batch import batch_assignment, read_batch

TOP = 10            # failure messages and hints listed
SLOWEST = 5         # submissions listed by execution time
NUMBER = re.compile(r"(?<![A-Za-z_\d.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def normalise(message, student=None):
    """`message` with every number replaced by '#' (and the student's id by '<student>')."""
    if student:  # as a whole word: a student called "ref" must not turn "reference" into "<student>erence"
        message = re.sub(rf"(?<![\w-]){re.escape(student)}(?![\w-])", "<student>", message)
    return " ".join(NUMBER.sub("#", message).split())


@dataclass
class CheckStats:
    name: str
    max_score: float
    visibility: str
    graded: int = 0          # students who have this check in their results
    passed: int = 0          # ... with full marks on it
    points: float = 0.0      # their points on it, summed

    @property
    def pass_rate(self):
        return self.passed / self.graded if self.graded else 0.0

    @property
    def mean_points(self):
        return self.points / self.graded if self.graded else 0.0


@dataclass
class Mistake:
    """One normalised failure message (or hint) and who got it."""
    text: str
    students: set = field(default_factory=set)
    checks: Counter = field(default_factory=Counter)   # check -> how many failures said it
    variants: set = field(default_factory=set)         # the messages as students read them

    @property
    def shown(self):
        """The message as read when everyone read the same, else the normalised one (numbers as #)."""
        return next(iter(self.variants)) if len(self.variants) == 1 else self.text


@dataclass
class ClassAnalytics:
    assignment: str
    results_dir: Path
    scores: dict              # student -> score
    max_score: float
    checks: list              # CheckStats, in results order
    failures: list            # Mistake, most students first
    hints: list               # Mistake, most students first
    times: dict               # student -> execution_time (s)
    seeds: list
    versions: list

    @property
    def mean(self):
        return statistics.fmean(self.scores.values())

    @property
    def median(self):
        return statistics.median(self.scores.values())

    @property
    def stdev(self):
        return statistics.pstdev(self.scores.values())

    def slowest(self, n=SLOWEST):
        return sorted(self.times.items(), key=lambda item: (-item[1], item[0]))[:n]

    def distribution(self, bins=10):
        """[(low, high, count)]: the scores in `bins` equal bins from 0 to the maximum (last bin closed)."""
        top = self.max_score or max(self.scores.values(), default=0) or 1.0
        width = top / bins
        counts = [0] * bins
        for score in self.scores.values():
            counts[min(int(score / width), bins - 1) if score > 0 else 0] += 1
        return [(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def analyse(results_dir):
    """ClassAnalytics of the batch in `results_dir` (BatchError when there is none)."""
    batch = read_batch(results_dir)
    checks, failures, hints = {}, {}, {}
    for student, results in sorted(batch.items()):
        for t in results.tests:
            stats = checks.setdefault(t.name, CheckStats(t.name, t.max_score, t.visibility))
            stats.graded += 1
            stats.passed += t.status == "passed"
            stats.points += t.score
            if t.status == "passed":
                continue
            lines = [line.strip() for line in t.output.strip().splitlines() if line.strip()]
            if lines:
                _count(failures, lines[0], student, t.name)
            for line in lines[1:]:
                if line.startswith("Hint:"):
                    _count(hints, line, student, t.name)
    return ClassAnalytics(
        assignment=batch_assignment(batch), results_dir=Path(results_dir),
        scores={s: r.score for s, r in batch.items()},
        max_score=max(r.max_score for r in batch.values()),
        checks=list(checks.values()),
        failures=_ranked(failures), hints=_ranked(hints),
        times={s: r.execution_time for s, r in batch.items()},
        seeds=sorted({str(r.extra_data.get("seed")) for r in batch.values()}),
        versions=sorted({str(r.extra_data.get("grader_version")) for r in batch.values()}))


def _count(mistakes, line, student, check):
    key = normalise(line, student)
    mistake = mistakes.setdefault(key, Mistake(key))
    mistake.students.add(student)
    mistake.variants.add(line)
    mistake.checks[check] += 1


def _ranked(mistakes):
    return sorted(mistakes.values(), key=lambda m: (-len(m.students), -sum(m.checks.values()), m.text))


# -- the report, as blocks rendered to the terminal, Markdown or HTML ------------------------------

def blocks(a, images=None):
    """The report as [(kind, ...)]: ("h1"|"h2"|"p", text), ("table", header, rows), ("img", alt, file)."""
    n = len(a.scores)
    out = [("h1", f"Class analytics: {a.assignment}"),
           ("p", f"{n} students graded in {a.results_dir} (seed {', '.join(a.seeds)}; grader version "
                 f"{', '.join(a.versions)})."),
           ("h2", "Scores"),
           ("p", f"mean {a.mean:.2f}, median {a.median:g}, standard deviation {a.stdev:.2f}, lowest "
                 f"{min(a.scores.values()):g}, highest {max(a.scores.values()):g}, out of {a.max_score:g}; "
                 f"{sum(s >= a.max_score for s in a.scores.values())} with full marks, "
                 f"{sum(s == 0 for s in a.scores.values())} with zero."),
           ("table", ["score", "students", ""],
            [[f"{lo:g}–{hi:g}", str(count), "#" * count] for lo, hi, count in a.distribution()])]
    if images:
        out.append(("img", f"Histogram of the {a.assignment} scores", images["scores"]))
    out += [("h2", "Checks"),
            ("table", ["check", "points", "visibility", "passed", "pass rate", "mean points"],
             [[c.name, f"{c.max_score:g}", c.visibility, f"{c.passed} / {c.graded}", f"{c.pass_rate:.0%}",
               f"{c.mean_points:.2f}"] for c in a.checks])]
    if images:
        out.append(("img", f"Pass rate of each {a.assignment} check", images["pass_rates"]))
    for title, mistakes, what in (("Most frequent failure messages", a.failures, "message"),
                                  ("Most frequent hints", a.hints, "hint")):
        out.append(("h2", title))
        if not mistakes:
            out.append(("p", f"No {what}s: every check passed."))
            continue
        out.append(("p", "Messages that differ only in their numbers count as one mistake; where they did "
                         "differ, the numbers are shown as #."))
        out.append(("table", ["students", "times", "checks", what],
                    [[str(len(m.students)), str(sum(m.checks.values())), ", ".join(sorted(m.checks)), m.shown]
                     for m in mistakes[:TOP]]))
    out += [("h2", "Slowest submissions"),
            ("table", ["student", "seconds", "score"],
             [[s, f"{t:.1f}", f"{a.scores[s]:g}"] for s, t in a.slowest()])]
    return out


def terminal_text(a):
    """The report for a terminal. Student ids and failure messages are a student's text: their
    control characters are shown escaped, before the columns are measured."""
    lines = []
    for block in blocks(a):
        kind = block[0]
        if kind == "h1":
            lines += [for_terminal(block[1]), "=" * len(for_terminal(block[1]))]
        elif kind == "h2":
            lines += ["", block[1], "-" * len(block[1])]
        elif kind == "p":
            lines.append(for_terminal(block[1]))
        elif kind == "table":
            rows = [[for_terminal(cell).replace("\n", " ").replace("\t", " ") for cell in row] for row in block[2]]
            lines += _text_table(block[1], rows)
    return "\n".join(lines)


def _text_table(header, rows, longest=48, last_longest=120):
    """Columns padded to their widest cell; long cells cut (the report files keep them whole)."""
    def cut(cell, n):
        return cell if len(cell) <= n else cell[:n - 3] + "..."

    rows = [[cut(cell, last_longest if i == len(row) - 1 else longest) for i, cell in enumerate(row)] for row in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    right = [i for i, h in enumerate(header) if h in ("points", "passed", "pass rate", "mean points", "students",
                                                        "times", "seconds", "score")]

    def fmt(row):
        return "  ".join(f"{c:>{w}}" if i in right else f"{c:<{w}}"
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)]


def markdown(blocks_):
    """The report as Markdown; every text (student ids and messages among them) as literal text."""
    lines = []
    for block in blocks_:
        kind = block[0]
        if kind in ("h1", "h2"):
            lines += [("# " if kind == "h1" else "## ") + for_markdown(block[1]), ""]
        elif kind == "p":
            lines += [for_markdown(block[1]), ""]
        elif kind == "table":
            lines.append("| " + " | ".join(map(for_markdown, block[1])) + " |")
            lines.append("|" + "|".join("---" for _ in block[1]) + "|")
            lines += ["| " + " | ".join(map(for_markdown, row)) + " |" for row in block[2]]
            lines.append("")
        elif kind == "img":
            lines += [f"![{for_markdown(block[1])}]({block[2]})", ""]
    return "\n".join(lines)


def html_page(blocks_, title):
    e = for_html
    body = []
    for block in blocks_:
        kind = block[0]
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{e(block[1])}</{kind}>")
        elif kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "img":
            body.append(f'<p><img src="{e(block[2])}" alt="{e(block[1])}"></p>')
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
            f"<style>{style}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")


def plot_scores(a, path):
    """A histogram of the scores, from 0 to the maximum."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend needed
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    edges = [lo for lo, _, _ in a.distribution()] + [a.max_score or 1.0]
    ax.hist(list(a.scores.values()), bins=edges, color="tab:blue", edgecolor="white")
    ax.set_title(f"{a.assignment}: scores of {len(a.scores)} students (mean {a.mean:.1f}, median {a.median:g})")
    ax.set_xlabel(f"score (out of {a.max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.savefig(path, dpi=100)


def plot_pass_rates(a, path):
    """A horizontal bar per check: the share of students with full marks on it."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(8, 1.6 + 0.32 * len(a.checks)), layout="constrained")
    ax = figure.subplots()
    names = [c.name for c in a.checks][::-1]
    rates = [100 * c.pass_rate for c in a.checks][::-1]
    colours = ["tab:blue" if c.visibility == "visible" else "tab:orange" for c in a.checks][::-1]
    ax.barh(names, rates, color=colours)
    ax.set_xlim(0, 100)
    figure.legend(handles=[Patch(color="tab:blue", label="visible at once"),
                           Patch(color="tab:orange", label="shown later (hidden checks)")],
                  loc="outside lower center", ncols=2)
    ax.set_title(f"{a.assignment}: pass rate per check")
    ax.set_xlabel("students with full marks on the check (%)")
    ax.set_ylabel("check")
    figure.savefig(path, dpi=100)


REPORT_SUFFIXES = (".md", ".html", ".htm")


def write_report(a, report):
    """Write the report (Markdown or HTML by its suffix) and its two PNGs beside it. → [paths written]"""
    report = Path(report)
    if report.suffix.lower() not in REPORT_SUFFIXES:
        raise ValueError(f"--report {report} should end in .md (Markdown) or .html (HTML), found "
                         f"{report.suffix or 'no suffix'!r}.")
    report.parent.mkdir(parents=True, exist_ok=True)
    images = {"scores": f"{report.stem}-scores.png", "pass_rates": f"{report.stem}-pass-rates.png"}
    plot_scores(a, report.parent / images["scores"])
    plot_pass_rates(a, report.parent / images["pass_rates"])
    content = blocks(a, images)
    if report.suffix.lower() == ".md":
        report.write_text(markdown(content))
    else:
        report.write_text(html_page(content, f"Class analytics: {a.assignment}"))
    return [report] + [report.parent / name for name in images.values()]
