"""Stubs that link the hidden checks, the grader's environment (the course secret) and the
course's secret settings into lib/ and raise with what they read: nothing of it may show.

base: stub
layout: yes
score: zero
absent: BEGIN HIDDEN TESTS | GRADLAB_SEED | 7349018265
"""

LEAK = '''

import os as _os


def _leak():
    shown = []
    for name in ("checks.txt", "cwd_checks.txt", "environ.txt", "course.txt", "cwd_course.txt"):
        try:
            with open(_os.path.join(_os.path.dirname(__file__), name), errors="replace") as f:
                text = f.read(1 << 20)
        except OSError as exc:
            shown.append(f"{name}: {exc}")
            continue
        for marker in ("BEGIN HIDDEN TESTS", "GRADLAB_SEED", "hidden_rng"):
            at = text.find(marker)
            shown.append(text[max(at, 0):max(at, 0) + 200].replace("\\0", " "))
    return " / ".join(shown)


def svm_loss_naive(W, X, y, reg):
    raise ValueError(_leak())


def svm_loss_vectorized(W, X, y, reg):
    raise ValueError(_leak())
'''


def arrange(lib, context):
    root = context["course_root"]
    links = {"checks.txt": root / "autograder" / "checks" / "svm.py",
             "cwd_checks.txt": "/proc/self/cwd/autograder/checks/svm.py",
             "environ.txt": "/proc/self/environ"}
    if (root / "course.local.toml").exists():  # a dangling link would stop a following copy before any leak
        links.update({"course.txt": root / "course.local.toml", "cwd_course.txt": "/proc/self/cwd/course.local.toml"})
    for name, target in links.items():
        (lib / name).symlink_to(target)
    module = lib / "linear_svm.py"
    module.write_text(module.read_text() + LEAK)
