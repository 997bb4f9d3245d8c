"""Run the minigrad grader without importing minigrad itself.

``python -m minigrad.assign grade`` first imports the ``minigrad`` package; if
your edits broke it (a syntax error, say), that import fails before the grader
starts.  This script loads the grader's own folder (``minigrad/assign``, which
uses only the standard library) under another name and runs the same command
line, so the grader can tell you what is broken::

    python assignments/grade.py grade --assignments 2
    python assignments/grade.py list
"""
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / 'minigrad' / 'assign'


def _load():
    spec = importlib.util.spec_from_file_location('minigrad_assign_standalone', PACKAGE / '__init__.py',
                                                  submodule_search_locations=[str(PACKAGE)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(spec.name + '.__main__')


if __name__ == '__main__':
    main = _load().main
    argv = sys.argv[1:]
    sys.exit(main(argv))
