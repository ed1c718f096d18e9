"""A correct solution in a lib/ of 100,000 empty files (34 s per student to copy, outside every
time limit, before the reader): refused at once, zero, saying why.

layout: yes
score: zero
expect: files and folders, more than the grader reads
within: 5
"""


def arrange(lib, context):
    for i in range(100_000):
        (lib / f"f{i:06d}.txt").touch()
