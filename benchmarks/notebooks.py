"""Each released notebook's execution time on the default data (full mode), reference as lib/."""
import os
import tempfile
import time
from pathlib import Path

import nbformat
from common import ROOT  # noqa: F401  (puts the course on sys.path)
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.release import build_release


def notebook_times():
    """{"assignment/notebook": seconds} of a full (not fast) run, kernel start included."""
    times = {}
    env = {k: v for k, v in os.environ.items() if k != "GRADLAB_FAST"}
    for assignment in ASSIGNMENTS:
        with tempfile.TemporaryDirectory() as folder:
            release = build_release(assignment.name, Path(folder) / assignment.name)
            copy_reference_lib(release)
            for name in assignment.notebooks:
                notebook = nbformat.read(release / name, as_version=4)
                start = time.perf_counter()
                NotebookClient(notebook, timeout=1200, kernel_name="python3",
                               resources={"metadata": {"path": str(release)}}, env=env).execute()
                times[f"{assignment.name}/{name}"] = time.perf_counter() - start
    return times
