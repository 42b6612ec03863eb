"""The course around the lessons: exercises that check themselves, and the student and
instructor builds of the lessons (``python -m gankit.course build --out DIR``).

An exercise is three cells at the end of a lesson: the task (markdown), a code cell
tagged ``solution`` whose answer lies between ``### BEGIN SOLUTION`` and ``### END
SOLUTION``, and a check cell that calls :func:`check`. The student build replaces each
answer by ``raise NotImplementedError("exercise 05.1: ...")``; the check compares a
student's function with what the engine computes (a spectral radius, a trajectory, a
metric), never with a stored copy of the answer, and says what is right, or what is
wrong with a hint.

>>> import math
>>> check("00.1", lambda eta: math.sqrt(1 + eta**2), lambda eta: abs(complex(1, eta)),
...       inputs=[0.1, 0.5])
exercise 00.1: right: your answer agrees with the reference at 0.1, 0.5
"""

from __future__ import annotations

from gankit.course.build import build
from gankit.course.checks import ExerciseError, check

__all__ = ["ExerciseError", "build", "check"]
