#!/usr/bin/env bash
# Passages/s of the bundled reader at batch 1/16/64 for each execution provider, one short run (bench/gpu/README.md).
#   bash bench/gpu/run.sh                  # EPS="cpu webgpu cuda" SECONDS_PER_BATCH=10 BATCHES=1,16,64
# An execution provider that cannot load (no GPU, no Vulkan loader, no CUDA provider library) prints its error and the
# script goes on with the next one; the exit status is 0 when at least one provider ran.
set -u
cd "$(dirname "$0")/../.."
NODE=${NODE:-node}
EPS=${EPS:-cpu webgpu cuda}
BATCHES=${BATCHES:-1,16,64}
SECONDS_PER_BATCH=${SECONDS_PER_BATCH:-10}
JS=dist/bench-build/bench/gpu/throughput.js
# the compiled config would look for models/ under dist/bench-build: name the bundled folder unless told otherwise
export DOCQA_MODEL_DIR=${DOCQA_MODEL_DIR:-$PWD/models/minilm-l6-squad}
if [ ! -f "$JS" ] || [ bench/gpu/throughput.ts -nt "$JS" ]; then
  npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict --skipLibCheck \
    --resolveJsonModule --rootDir . --outDir dist/bench-build bench/gpu/throughput.ts || exit 1
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "uptime: $(uptime)"
ok=0
for ep in $EPS; do
  echo "--- DOCQA_EXECUTION_PROVIDER=$ep"
  if DOCQA_EXECUTION_PROVIDER=$ep "$NODE" "$JS" --batch "$BATCHES" --seconds "$SECONDS_PER_BATCH"; then
    ok=1
  else
    echo "($ep: not available here)"
  fi
done
[ "$ok" = 1 ]
