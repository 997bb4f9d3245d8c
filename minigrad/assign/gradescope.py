"""Build a Gradescope autograder folder for some assignments.

``write_autograder(source, out, assignments)`` writes::

    out/student/        the student release (no hidden checks): the clean base a submission lands on
    out/reference/      the reference solution with every graded check, hidden ones included
                        (a release with solutions=True, hidden_tests=True)
    out/setup.sh        installs NumPy
    out/run_autograder  makes reference/ readable by root only, copies ONLY the files that hold
                        the assignments' tasks from the submission onto a fresh copy of student/,
                        and grades it (as root: the submission runs as another user) into
                        /autograder/results/results.json

Zip the *contents* of ``out`` (``cd out && zip -r ../autograder.zip .``) and upload
it as the assignment's autograder.  The reference never leaves the grader's
side: the submission's process gets inputs, and cannot read reference/.
"""
import shutil
import stat
from pathlib import Path

from .catalog import parse_numbers
from .release import ReleaseError, release

SETUP = """#!/usr/bin/env bash
# Gradescope: runs once when the autograder image is built.
set -e
apt-get update && apt-get install -y python3 python3-pip
pip3 install "numpy>=1.23"
"""

RUN = """#!/usr/bin/env bash
# Gradescope: runs for every submission (in /autograder/submission), as root.
set -u
SRC=/autograder/source
WORK=/autograder/work
ASSIGNMENTS={assignments}
chmod -R go-rwx "$SRC/reference"     # the submission runs as another user: it must not read the reference
rm -rf "$WORK" && cp -r "$SRC/student" "$WORK"
# Only the files holding the tasks come from the submission, wherever they sit in it.
for f in $(python3 "$SRC/student/assignments/grade.py" list --path "$SRC/student" --files \\
           --assignments "$ASSIGNMENTS"); do
  found=$(find /autograder/submission -type f -path "*/$f" | head -n 1)
  [ -z "$found" ] && found=$(find /autograder/submission -type f -name "$(basename "$f")" | head -n 1)
  if [ -n "$found" ]; then cp "$found" "$WORK/$f"; else echo "submission has no $f"; fi
done
mkdir -p /autograder/results
python3 "$SRC/reference/assignments/grade.py" grade --path "$WORK" --assignments "$ASSIGNMENTS" \\
    --reference "$SRC/reference" --json /autograder/results/results.json
"""


def write_autograder(source, out, assignments, force=False):
    """Write the autograder folder (see the module docstring); returns ``out`` as a Path."""
    numbers = parse_numbers(assignments) if isinstance(assignments, str) or assignments is None \
        else parse_numbers(','.join(map(str, assignments)))
    source, out = Path(source), Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"autograder: {out} is not empty; pass --force to replace it")
        if not (out / 'run_autograder').is_file():
            raise ReleaseError(f"autograder: {out} is not empty and is not an autograder folder; refusing "
                               "to delete it")
        shutil.rmtree(out)
    release(source, out / 'student', assignments=numbers, hidden_tests=False, practice=False)
    release(source, out / 'reference', solutions=True, hidden_tests=True)
    for name, text in (('setup.sh', SETUP), ('run_autograder', RUN.format(assignments=','.join(map(str, numbers))))):
        path = out / name
        path.write_text(text, encoding='utf-8')
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return out
