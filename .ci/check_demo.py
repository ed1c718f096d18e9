"""Check what the README's demo command printed: the class table says what the demo promises.

    python3 .ci/check_demo.py DEMO_OUTPUT_LOG [DEMO_FOLDER]

`autograder demo` (autograder/instructor/demo.py) grades the reference, the untouched stubs and a
few known bugs and prints one line per student, "<student>  <score>/<max>  <checks that lost
points>". The reference must get full marks with no check lost, the stubs zero, each known bug
fewer than full marks; and the table must agree with DEMO_FOLDER/grades.csv (default
demo-output). Exit 0 when all of that holds, 1 with one line per problem otherwise.
"""
import csv
import re
import sys
from pathlib import Path

HEADER = re.compile(r"^student\s+score\s+checks that lost points$")
ROW = re.compile(r"^(?P<student>\S+)\s+(?P<score>\d+(?:\.\d+)?)/(?P<max>\d+(?:\.\d+)?)\s+(?P<lost>.+)$")


def class_table(text):
    """{student: (score, max_score, lost)} from the table under the demo's header line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if HEADER.match(line.strip())), None)
    if start is None:
        return None
    rows = {}
    for line in lines[start + 2:]:  # below the header and its dashes
        match = ROW.match(line.strip())
        if not match:
            break
        rows[match["student"]] = (float(match["score"]), float(match["max"]), match["lost"].strip())
    return rows


def problems(text, folder):
    table = class_table(text)
    if table is None:
        return ["The demo printed no class table (a line 'student  score  checks that lost points'); "
                "read its output above for the error that stopped it."]
    found = []
    reference = table.get("reference")
    if reference is None:
        found.append(f"The class table has no 'reference' row; it has: {', '.join(table) or 'no rows'}.")
    elif not (reference[1] > 0 and reference[0] == reference[1] and reference[2] == "-"):
        found.append(f"The reference should get full marks with no check lost, but got "
                     f"{reference[0]:g}/{reference[1]:g} and lost: {reference[2]}.")
    stubs = table.get("untouched-stubs")
    if stubs is None:
        found.append("The class table has no 'untouched-stubs' row.")
    elif stubs[0] != 0:
        found.append(f"The untouched stubs should score 0, but got {stubs[0]:g}/{stubs[1]:g}.")
    bugs = {name: row for name, row in table.items() if name.startswith("bug-")}
    if not bugs:
        found.append("The class table has no known-bug row (bug-...).")
    for name, (score, max_score, lost) in sorted(bugs.items()):
        if score >= max_score or lost == "-":
            found.append(f"The known bug {name} should lose points, but got {score:g}/{max_score:g}.")
    grades = Path(folder) / "grades.csv"
    if not grades.is_file():
        return found + [f"The demo should have written {grades}, but it does not exist."]
    with open(grades, newline="") as f:
        csv_rows = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    printed = {name: row[:2] for name, row in table.items()}
    if csv_rows != printed:
        found.append(f"{grades} holds {csv_rows}, but the printed table says {printed}.")
    return found


def main(argv):
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    text = Path(argv[0]).read_text(errors="replace")
    found = problems(text, argv[1] if len(argv) == 2 else "demo-output")
    for problem in found:
        print(f"check_demo: {problem}", file=sys.stderr)
    if not found:
        print(f"check_demo: the demo's class table is right ({len(class_table(text))} students).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
