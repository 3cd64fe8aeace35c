"""The checks of every exercise, one module each (``ex01_central_difference`` ...).

Each module defines check functions ``check_something(mod)`` — ``mod`` is the learner's
file, loaded — and lists them in ``TESTS``. A check's docstring (first line) is what the
grader prints next to PASS or FAIL.
"""
