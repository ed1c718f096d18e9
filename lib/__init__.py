"""Your code for the course: implement the stubs in these modules."""
