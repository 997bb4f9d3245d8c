"""Speed and memory benchmarks for minigrad (run the files as scripts)."""
