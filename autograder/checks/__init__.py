"""Checks per assignment: public ones ship to students, hidden ones (between HIDDEN TESTS markers) never do."""
