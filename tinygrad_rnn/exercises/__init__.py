"""The exercises that go with the tutorials, and their grader.

- ``registry``: ``EXERCISES`` (name, chapter, title, hints), ``find("ex01")``
- ``checks``: each exercise's checks, plain functions taking the learner's module
- ``grader``: ``grade(exercise, path)`` loads a learner's file in a child process that computes its
  outputs, and judges them here (a time limit, crashes and early exits reported as errors; a
  bubblewrap sandbox with ``sandboxed=True`` where there is one, else ordinary Python with the
  user's rights); ``grade_many`` grades several
- ``results``: grades as data (``check --format json|junit``)
- ``classroom``: grading a class, one sub-folder per student, into a CSV gradebook and JSON
  (``tinygrad-rnn grade``)

The learner edits the stubs in ``tutorials/exercises/`` and runs ``tinygrad-rnn check``. The reference
solutions are not in the package: they are in the repository's ``tests/solutions/``, which the tests grade.
"""
from .grader import Report, find_exercises_dir, grade, grade_many, load_module
from .registry import CHAPTERS, EXERCISES, Exercise, UnknownExercise, find

__all__ = ["EXERCISES", "CHAPTERS", "Exercise", "UnknownExercise", "find", "grade", "grade_many", "Report",
           "load_module", "find_exercises_dir"]
