"""The reference's clean svm_loss_vectorized is a decoy: the name is rebound to the naive loss.

module: linear_svm
score: below_full
expect: a for loop in svm_loss_naive
"""
svm_loss_vectorized = svm_loss_naive
