"""Stubs that try to run the instructor's solutions/ and the hidden checks instead.

module: linear_svm
base: stub
score: zero
expect: Not implemented yet
jail: required
"""
for _source in ("{course_root}/solutions/linear_svm.py", "{course_root}/autograder/checks/svm.py"):
    try:
        exec(open(_source).read())
    except Exception:
        pass
