"""A copycat whose lib/ is a relative link to an honest classmate's lib/: refused, zero.

base: stub
layout: yes
score: zero
expect: lib/ is a symbolic link
"""
import os
import shutil


def arrange(lib, context):
    shutil.rmtree(lib)
    lib.symlink_to(os.path.relpath(context["classmate"] / "lib", lib.parent))
