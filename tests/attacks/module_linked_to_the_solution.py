"""The stubs with lib/linear_svm.py replaced by a link to solutions/linear_svm.py: the link is
left out (with a note), so the module is missing and nothing scores.

base: stub
layout: yes
score: zero
expect: lib/linear_svm.py is a symbolic link; links are not followed
"""


def arrange(lib, context):
    (lib / "linear_svm.py").unlink()
    (lib / "linear_svm.py").symlink_to(context["course_root"] / "solutions" / "linear_svm.py")
