"""A student "folder" in the class root that is a symbolic link to an honest classmate's folder:
refused as a link, never graded as the classmate's work.

layout: yes
score: zero
expect: is a symbolic link; the grader does not follow links
"""
import shutil


def arrange(lib, context):
    folder = lib.parent
    shutil.rmtree(folder)
    folder.symlink_to(context["classmate"])
