#!/usr/bin/env bash
# The whole GPU check of issue 19 in one run, sized for a short loan of a GPU machine.
#
#   bash tools/gpu_check.sh OUT_DIR            # on the GPU machine, in the repository root
#   BACKEND=cupy-strict bash tools/gpu_check.sh /tmp/dry   # a dry run on any CPU (the strict stand-in)
#
# Stages, each under its own time limit (seconds, overridable), each writing its log into OUT_DIR:
#   env.txt        GPU, CUDA, CuPy, PyTorch, and the optional packages that are missing
#   suite.txt      MINIGRAD_BACKEND=$BACKEND python -m pytest (the whole suite)
#   bench.txt      python -m benchmarks --backend cupy: models and syncs, against PyTorch CUDA (JSON in bench/)
#   twins.txt      the CUDA twins (minigrad/ops/cuda): pool, optimiser and model tests with them on, then
#                  python -m benchmarks.cuda_twins (twin/plain per kernel, Adam step and training step)
#   lessons.txt    python -m lessons --quick on the GPU backend (every claim is in the log; the figures go
#                  to $LESSONS_OUT, default /tmp/gpu_check_lessons, outside OUT_DIR)
# OUT_DIR ends with 8 files (6 logs, 2 JSON in bench/): the device tool brings back at most 8.
# Stages run in order of what the GPU run must establish first.  A stage that runs out of time is cut
# and the next one starts: the script never takes more than the sum of the limits
# (defaults 230 + 150 + 70 + 100 = 550 s, under one 600 s device call).
# Nothing is downloaded: what the machine lacks is reported in env.txt, not installed.
set -u
OUT=${1:?usage: bash tools/gpu_check.sh OUT_DIR}
BACKEND=${BACKEND:-cupy}
SUITE_S=${SUITE_S:-230} BENCH_S=${BENCH_S:-150} TWINS_S=${TWINS_S:-70} LESSONS_S=${LESSONS_S:-100}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MINIGRAD_NO_PROGRESS=1

stage() {  # name, limit, command...: run it with a deadline, log it, note its exit status and time
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    timeout --signal=INT --kill-after=10 "$limit" "$@" >"$OUT/$name.txt" 2>&1
    local rc=$?
    echo "$name: exit $rc after $((SECONDS - start)) s (limit $limit s)" | tee -a "$OUT/summary.txt"
}

{
    date -u +%FT%TZ
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 || true
    python - <<'EOF'
import importlib, platform
print('python', platform.python_version())
for name in ('numpy', 'cupy', 'torch', 'pytest', 'hypothesis', 'matplotlib', 'PIL', 'skimage', 'sklearn', 'tqdm'):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, '__version__', '?'))
    except Exception as exc:
        print(name, 'MISSING', type(exc).__name__, exc)
try:
    import cupy
    print('cupy devices', cupy.cuda.runtime.getDeviceCount(), 'CUDA runtime', cupy.cuda.runtime.runtimeGetVersion())
except Exception as exc:
    print('cupy unusable:', exc)
try:
    import torch
    print('torch cuda', torch.cuda.is_available(), torch.version.cuda)
except Exception:
    pass
EOF
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

LESSON_BACKEND=cupy
[ "$BACKEND" = cupy-strict ] && LESSON_BACKEND=numpy   # the dry run: lessons on the CPU backend

# The GPU machine has 16 cores and pytest-xdist: 8 workers share the GPU (memory is no issue on an H200).
WORKERS=()
[ "$BACKEND" = cupy ] && python -c 'import xdist' 2>/dev/null && WORKERS=(-n "${SUITE_WORKERS:-8}")
MINIGRAD_BACKEND=$BACKEND stage suite "$SUITE_S" \
    python -m pytest -q -p no:cacheprovider "${WORKERS[@]}"
if [ "$BACKEND" = cupy ]; then
    stage bench "$BENCH_S" python -m benchmarks --backend cupy --only models,syncs --repeats 3 --out "$OUT/bench"
else
    stage bench "$BENCH_S" python -m benchmarks --only syncs --no-torch --out "$OUT/bench"
fi
twins() {  # the twins' correctness on this device first, then their speed
    MINIGRAD_BACKEND=$BACKEND MINIGRAD_CUDA_KERNELS=1 python -m pytest -q -x -p no:cacheprovider \
        tests/test_cuda_twins.py tests/ops/test_pool.py tests/ops/test_conv.py tests/test_optim.py \
        tests/models/test_unet.py || return
    local quick=
    [ "$BACKEND" = cupy-strict ] && quick=--quick   # the dry run: emulated kernels, tiny shapes
    MINIGRAD_BACKEND=$BACKEND python -m benchmarks.cuda_twins $quick --out "$OUT/bench"
}
export -f twins
export BACKEND OUT
stage twins "$TWINS_S" bash -c twins   # timeout runs programs, not shell functions
MINIGRAD_LESSONS_OUT="${LESSONS_OUT:-/tmp/gpu_check_lessons}" MINIGRAD_BACKEND=$BACKEND stage lessons "$LESSONS_S" \
    python -m lessons --quick --backend "$LESSON_BACKEND"
tail -n 3 "$OUT/suite.txt" "$OUT/bench.txt" "$OUT/twins.txt" "$OUT/lessons.txt"
cat "$OUT/summary.txt"
