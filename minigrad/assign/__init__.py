"""Classroom assignments inside minigrad: solution markers, the student copy, the autograder.

* :mod:`~minigrad.assign.markers` — ``# BEGIN SOLUTION aN_task`` … ``# END SOLUTION``
  blocks around the real implementations (plus optional ``# BEGIN PROMPT`` hints);
* :mod:`~minigrad.assign.release` — the student copy, where the chosen tasks'
  blocks become ``raise NotImplementedError("aN_task: …")``;
* :mod:`~minigrad.assign.checks` — how graded checks are written and listed;
* :mod:`~minigrad.assign.grade` — the grader: reference values in a trusted
  process, the submission's values from a :mod:`~minigrad.assign.sandbox`ed
  :mod:`~minigrad.assign.worker` (through :mod:`~minigrad.assign.jobs` and the
  :mod:`~minigrad.assign.values` wire format), compared in
  :mod:`~minigrad.assign.judge`; :mod:`~minigrad.assign.report` prints a table
  or Gradescope JSON;
* :mod:`~minigrad.assign.catalog` — the assignments and their tasks.

Command line: ``python -m minigrad.assign {release,grade,autograder,list} --help``;
the teacher's guide is docs/assignments.md.  This package uses the standard
library and NumPy only, never the rest of minigrad: it must work on a
student's copy that does not import.
"""
from .catalog import ASSIGNMENTS, BY_NUMBER, TASKS
from .grade import GradeError, grade
from .markers import Block, MarkerError, parse_blocks
from .release import ReleaseError, find_blocks, release

__all__ = ['ASSIGNMENTS', 'BY_NUMBER', 'TASKS', 'Block', 'MarkerError', 'parse_blocks', 'GradeError',
           'grade', 'ReleaseError', 'find_blocks', 'release']
