"""A package lib/linear_svm/ beside the clean lib/linear_svm.py: the import system loads the
package, whose svm_loss_vectorized is the naive loss. The static check must read the package
(or the submission be refused as ambiguous), never the clean decoy module.

layout: yes
score: below_full
"""


def arrange(lib, context):
    package = lib / "linear_svm"
    package.mkdir()
    source = (lib / "linear_svm.py").read_text()
    (package / "__init__.py").write_text(source + "\n\nsvm_loss_vectorized = svm_loss_naive\n")
