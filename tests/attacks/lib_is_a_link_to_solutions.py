"""lib/ itself a symbolic link to the instructor's solutions/: graded as what it is, a link, so
the stubs' score (zero), never the reference's.

base: stub
layout: yes
score: zero
expect: lib/ is a symbolic link
"""
import shutil


def arrange(lib, context):
    shutil.rmtree(lib)
    lib.symlink_to(context["course_root"] / "solutions")
