"""Classroom assignments inside minigrad: solution markers, the student copy, the autograder.

* :mod:`~minigrad.assign.markers` — ``# BEGIN SOLUTION aN_task`` … ``# END SOLUTION``
  blocks around the real implementations (plus optional ``# BEGIN PROMPT`` hints);
* :mod:`~minigrad.assign.release` — the student copy, where the chosen tasks'
  blocks become ``raise NotImplementedError("aN_task: …")``;
* :mod:`~minigrad.assign.grade` and :mod:`~minigrad.assign.report` — run the
  graded tests in a subprocess, score them, print a table or Gradescope JSON;
* :mod:`~minigrad.assign.catalog` — the assignments and their tasks.

Command line: ``python -m minigrad.assign {release,grade,list} --help``; the
teacher's guide is docs/assignments.md.  This package uses the standard
library only (and pytest, in the subprocess), never the rest of minigrad: it
must work on a student's copy that does not import.
"""
from .catalog import ASSIGNMENTS, BY_NUMBER, TASKS
from .grade import GradeError, grade
from .markers import Block, MarkerError, parse_blocks
from .release import ReleaseError, find_blocks, release

__all__ = ['ASSIGNMENTS', 'BY_NUMBER', 'TASKS', 'Block', 'MarkerError', 'parse_blocks', 'GradeError',
           'grade', 'ReleaseError', 'find_blocks', 'release']
