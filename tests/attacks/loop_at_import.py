"""An infinite loop while lib/linear_svm.py is imported.

module: linear_svm
score: zero
expect: importing lib/linear_svm.py did not finish within the time limit
"""
while True:
    pass
