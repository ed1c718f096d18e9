"""nbgrader configuration of this course: run nbgrader's commands from this folder.

    nbgrader generate_assignment svm      # release/svm/: notebooks, lib/ stubs, student autograder
    nbgrader autograde svm                # auto-graded points from the sandboxed grader
    nbgrader generate_feedback svm
    nbgrader export

See autograder/instructor/nbgrader_glue.py for what is configured and why.
"""
from autograder.instructor.nbgrader_glue import configure

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
configure(c)
