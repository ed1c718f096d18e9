"""sys.exit(0) while lib/linear_svm.py is imported.

module: linear_svm
score: zero
expect: While importing lib/linear_svm.py, your code called sys.exit(0)
"""
import sys

sys.exit(0)
