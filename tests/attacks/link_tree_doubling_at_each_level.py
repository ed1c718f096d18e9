"""A correct solution beside two links to `.` (a copy that follows them grows as 2^depth, 2 GB in
20 s): the links are left out with a note, the solution keeps full marks.

layout: yes
score: full
expect: lib/a is a symbolic link
"""


def arrange(lib, context):
    (lib / "a").symlink_to(".")
    (lib / "b").symlink_to(".")
