"""gradlab's autograder: public and hidden checks run against student code in a sandboxed worker."""
__version__ = "0.1.0"
