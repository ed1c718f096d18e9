"""The course: its assignments, which `lib` modules each one owns, and the course settings.

This is the one place that lists, per assignment, the modules students implement, the
notebooks and the checks module (`autograder/checks/<name>.py`). Everything else (releases,
grading, nbgrader and Gradescope glue) reads it from here.
"""
import os

try:
    import tomllib  # novermin (3.11+, with the tomli fallback below)
except ModuleNotFoundError:  # Python 3.10 (Gradescope's default image): the same parser, as a package
    import tomli as tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKS_DIR = PACKAGE_DIR / "checks"


@dataclass(frozen=True)
class Assignment:
    name: str
    modules: tuple[str, ...]      # lib modules whose solution regions this assignment asks for
    notebooks: tuple[str, ...]    # files in assignments/<name>/
    # Given helpers that, in this release, call the student's own function instead of handing
    # out its answer: ("module.helper", "module.student_function").
    delegated: tuple[tuple[str, str], ...] = ()

    @property
    def checks_file(self):
        return CHECKS_DIR / f"{self.name}.py"


# In course order: an assignment's modules are "earlier" for every assignment after it.
ASSIGNMENTS = (
    Assignment("svm", ("linear_svm", "linear_classifier"), ("svm.ipynb",)),
    Assignment("softmax", ("softmax",), ("softmax.ipynb",)),
    Assignment("optimization", ("optimization",), ("optimization.ipynb",),
               delegated=(("gradient_check.eval_numerical_gradient", "optimization.numerical_gradient_centered"),)),
    Assignment("backprop", ("graph", "layers", "neural_net"), ("backprop.ipynb", "two_layer_net.ipynb")),
)
BY_NAME = {a.name: a for a in ASSIGNMENTS}


class UnknownAssignment(ValueError):
    def __init__(self, name):
        super().__init__(f"Unknown assignment {name!r}; expected one of: {', '.join(BY_NAME)}.")


def assignment(name):
    """The Assignment called `name`, or UnknownAssignment listing the valid names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownAssignment(name) from None


def owner(module):
    """The assignment whose students implement lib/<module>.py, or None for a given helper."""
    return next((a for a in ASSIGNMENTS if module in a.modules), None)


def course_root():
    """The instructor's course folder (holding solutions/ and assignments/), or None.

    It is the folder above the `autograder` package in a checkout, or $GRADLAB_COURSE_ROOT.
    A student release has no solutions/, so it has no course root.
    """
    candidates = [os.environ.get("GRADLAB_COURSE_ROOT"), PACKAGE_DIR.parent]
    for candidate in candidates:
        if candidate and (Path(candidate) / "solutions").is_dir():
            return Path(candidate).resolve()
    return None


class NoCourseRoot(FileNotFoundError):
    def __init__(self):
        super().__init__(
            "No course folder with solutions/ was found: neither $GRADLAB_COURSE_ROOT nor the folder above the "
            f"installed autograder package ({PACKAGE_DIR.parent}) holds one. Grade from a gradlab checkout, or set "
            "GRADLAB_COURSE_ROOT to the course folder (an installed wheel carries the grader, not the course).")


def require_course_root(root=None):
    """`root` as a Path, else the course root; NoCourseRoot when there is none."""
    found = Path(root) if root else course_root()
    if found is None:
        raise NoCourseRoot()
    return found


@dataclass(frozen=True)
class Settings:
    """Course settings: `course.toml` (committed) and `course.local.toml` (secrets, not committed).

    - earlier_modules: "reference" (default) ships the modules of earlier assignments as the
      reference solution, "stub" ships them as stubs (students copy their own in).
    - seed: the course secret that seeds the hidden inputs; $GRADLAB_SEED wins over the file.
    """

    earlier_modules: str = "reference"
    seed: int | None = None


def settings(root=None):
    root = Path(root) if root else course_root()
    values = {}
    for name in ("course.toml", "course.local.toml"):
        path = root / name if root else None
        if path and path.is_file():
            with open(path, "rb") as f:
                data = tomllib.load(f)
            values.update(data.get("release", {}))
            values.update(data.get("grading", {}))
    if os.environ.get("GRADLAB_SEED"):
        values["seed"] = os.environ["GRADLAB_SEED"]
    earlier = values.get("earlier_modules", "reference")
    if earlier not in ("reference", "stub"):
        raise ValueError(f"course.toml: earlier_modules must be \"reference\" or \"stub\", found {earlier!r}.")
    seed = values.get("seed")
    if seed is not None:
        try:
            seed = int(seed)
        except ValueError:
            raise ValueError(f"The course seed must be an integer, found {seed!r} "
                             "(from $GRADLAB_SEED or course.local.toml).") from None
    return Settings(earlier_modules=earlier, seed=seed)
