"""``python -m benchmarks``: the end-to-end benchmark (see benchmarks/run.py)."""
from benchmarks.run import main

main()
