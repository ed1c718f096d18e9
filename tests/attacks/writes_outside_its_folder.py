"""At import, tries to overwrite the hidden checks, plant files in the course and the class folder.

module: linear_svm
score: full
jail: required
"""

for _target in ("{course_root}/autograder/checks/svm.py", "{course_root}/planted-by-student.txt",
                "{class_root}/honest-1/lib/linear_svm.py", "/tmp/planted-by-student.txt"):
    try:
        with open(_target, "a") as _f:
            _f.write("\n# planted\n")
    except OSError:
        pass
