#!/usr/bin/env bash
# docqa reader v2: the 12-layer reader (e5-small-v2 base) trained on the lent GPU machine in ONE call of <= 8 minutes,
# with rule-made SQuAD 2.0-style unanswerable questions; optionally a distilled 6-layer student. See docs/training.md
# ("How to run on the GPU machine") for the whole procedure and the exact device call.
#
#   bash training/gpu.sh prepare      # HERE, before the call: gzipped SQuAD files into training/.carry/squad, checks
#                                     # the int8 base (training/.carry/base) and what would travel (<= 64 MiB)
#   bash training/gpu.sh              # THERE (the GPU machine; python3 with torch, transformers, onnx, onnxruntime;
#                                     # no network): everything, results into $OUT (<= 8 files, <= 16 MiB each)
#   bash training/gpu.sh unpack DIR   # HERE, after the call: join the parts of DIR (the call's files) and check them
#   bash training/gpu.sh ablation     # THERE, a separate call: each unanswerable rule's effect on dev-a -- one short
#                                     # model per rule set in ABLATION_RULES ("none a b c a,b,c"), trained on the
#                                     # train subset ALONE so that dev-a is held out; ablation-<rules>.json to $OUT
#
# CPU check of the whole script (a handful of steps, small data; what docs/training.md reports):
#   PY=training/.venv/bin/python DEVICE=cpu STEPS=3 MAX_SEQ=128 LIMIT=200 EVAL_LIMIT=20 \
#     WORK=training/out/gpu-cpu-work OUT=training/out/gpu-cpu-out bash training/gpu.sh
#
# Settings (environment): DEVICE (cuda|cpu, default cuda when torch sees one), STEPS (cap on the teacher's and the
# student's steps; 0 = epochs decide), EPOCHS=3, BATCH=32, LR=1e-4, MAX_SEQ=256, STRIDE=MAX_SEQ/2, RULES=a,b,c (ablation:
# any subset, or none), UA_RATE=0.5, NEG_RATIO=0.25, LIMIT=0 (first N questions per training file), DISTIL=1,
# STUDENT_LAYERS=6, DISTIL_EPOCHS=3, ABL_EPOCHS=1, ABLATION_RULES="none a b c a,b,c", EVAL=1, EVAL_LIMIT=0 (dev-b questions; 0 = all), INT8_EVAL_LIMIT=1000,
# DEADLINE=450 (seconds for the whole script: training budgets are what is left after the reserves below),
# RESERVE_S=150 (kept for export, eval and packing), DISTIL_S=90 (the student's share), SEED=42, PY=python3,
# WORK=/tmp/docqa-gpu, OUT ($OUT; default training/out/gpu-out), NAME=e5-small-v2-squad2.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=true PYTHONUNBUFFERED=1

PY=${PY:-python3}
case "$PY" in */*) PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")" ;; esac  # absolute: stages cd
CARRY=${CARRY:-training/.carry}
WORK=${WORK:-/tmp/docqa-gpu}
OUT=${OUT:-training/out/gpu-out}
NAME=${NAME:-e5-small-v2-squad2}
STUDENT_NAME=${STUDENT_NAME:-e5-small-v2-l6-squad2}
STEPS=${STEPS:-0} EPOCHS=${EPOCHS:-3} BATCH=${BATCH:-32} LR=${LR:-1e-4} MAX_SEQ=${MAX_SEQ:-256} STRIDE=${STRIDE:-$(( ${MAX_SEQ:-256} / 2 ))}
RULES=${RULES:-a,b,c} UA_RATE=${UA_RATE:-0.5} NEG_RATIO=${NEG_RATIO:-0.25} LIMIT=${LIMIT:-0} SEED=${SEED:-42}
DISTIL=${DISTIL:-1} STUDENT_LAYERS=${STUDENT_LAYERS:-6} DISTIL_EPOCHS=${DISTIL_EPOCHS:-3}
EVAL=${EVAL:-1} EVAL_LIMIT=${EVAL_LIMIT:-0} INT8_EVAL_LIMIT=${INT8_EVAL_LIMIT:-1000}
DEADLINE=${DEADLINE:-450} RESERVE_S=${RESERVE_S:-150} DISTIL_S=${DISTIL_S:-90} ABL_EPOCHS=${ABL_EPOCHS:-1}
SQUAD_FILES="squad-v1.1-train-subset.json squad-v1.1-dev-a.json squad-v1.1-dev-b.json squad-v2.0-dev-sample.json"

T0=$(date +%s)
left() { echo $(( DEADLINE - ($(date +%s) - T0) )); }
say() { echo "== [$(( $(date +%s) - T0 )) s] $*"; }

prepare() { # HERE: the carried folder and the size of what travels
  local base="$CARRY/base"
  if [ ! -f "$base/base-int8.npz" ]; then
    echo "no int8 base in $base: run training/onnx_to_bert.py (docs/training.md, 'The 12-layer base')" >&2; return 1
  fi
  mkdir -p "$CARRY/squad"
  for f in $SQUAD_FILES; do
    local src="${SHARED_DATA_DIR:-data}/squad/$f"
    [ -f "$src" ] || { echo "$src missing: npx docqa data fetch squad" >&2; return 1; }
    gzip -9 -n -c "$src" > "$CARRY/squad/$f.gz"
  done
  local tree carry total
  tree=$(git ls-files -co --exclude-standard -z | grep -zv '^models/' | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  carry=$(du -sb "$CARRY" | cut -f1)
  total=$(( tree + carry ))
  printf 'travels: working tree without models/ %.1f MiB + carry %s %.1f MiB = %.1f MiB (limit 64 MiB)\n' \
    "$(echo "$tree/1048576" | bc -l)" "$CARRY" "$(echo "$carry/1048576" | bc -l)" "$(echo "$total/1048576" | bc -l)"
  if [ -d models ]; then
    echo "models/ is in the working tree: move it aside for the call (mv models /tmp/docqa-models-aside), put it back after"
  fi
  [ "$total" -le $(( 64 * 1048576 )) ] || { echo "too big to travel" >&2; return 1; }
}

unpack() { # HERE: join the parts the call brought back
  "$PY" training/gpu_pack.py unpack "$1" "${2:-training/out/gpu-result}"
}

pack() { # always runs at the end (trap): whatever exists goes to $OUT
  local folders=() extra=()
  [ -f "$WORK/models/$NAME/model.onnx" ] && folders+=("$WORK/models/$NAME")
  [ -f "$WORK/models/$STUDENT_NAME/model.onnx" ] && folders+=("$WORK/models/$STUDENT_NAME")
  [ -f "$WORK/teacher-slim-fp16.safetensors" ] && extra+=("$WORK/teacher-slim-fp16.safetensors")
  local logs=()
  for f in "$WORK"/gpu.log "$WORK"/data/prep.json "$WORK"/teacher/train_log.json "$WORK"/student/train_log.json \
           "$WORK"/teacher/eval.json "$WORK"/student/eval.json "$WORK"/teacher/onnx/export_check.json \
           "$WORK"/student/onnx/export_check.json "$WORK"/env.txt; do
    [ -f "$f" ] && logs+=("$f")
  done
  mkdir -p "$OUT"
  # logs get distinct names inside the tar
  local named=()
  for f in "${logs[@]}"; do
    local n; n=$(echo "${f#"$WORK"/}" | tr '/' '-')
    cp "$f" "$WORK/logs-$n" && named+=("$WORK/logs-$n")
  done
  if [ ${#folders[@]} -gt 0 ] || [ ${#named[@]} -gt 0 ]; then
    "$PY" training/gpu_pack.py pack --out "$OUT" "${folders[@]:-$WORK/none}" --extra "${extra[@]}" --logs "${named[@]}"
  fi
  say "done; $OUT: $(ls "$OUT" | tr '\n' ' ')"
}

export_model() { # $1 = checkpoint folder
  "$PY" training/gpu_export.py --ckpt "$1" --out "$1/onnx/model.fp32.onnx" &&
  (cd training && "$PY" quantize.py --inp "$1/onnx/model.fp32.onnx" --out "$1/onnx/model.onnx")
}

run_all() {
  mkdir -p "$WORK" "$OUT"
  WORK=$(cd "$WORK" && pwd); OUT=$(cd "$OUT" && pwd)
  exec > >(tee -a "$WORK/gpu.log") 2>&1
  trap pack EXIT
  say "start; deadline ${DEADLINE} s"
  { uname -a; nproc; "$PY" -c 'import sys, torch, transformers, onnx, onnxruntime; print(sys.version); print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-"); print("transformers", transformers.__version__, "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__)'; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null; } > "$WORK/env.txt" 2>&1
  cat "$WORK/env.txt"
  local dev=${DEVICE:-}
  [ -n "$dev" ] || dev=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')

  # data: the carried gzipped SQuAD files (or data/squad here), read through SHARED_DATA_DIR
  if [ -d "$CARRY/squad" ] && ls "$CARRY"/squad/*.gz >/dev/null 2>&1; then
    mkdir -p "$WORK/squad-data/squad"
    for f in "$CARRY"/squad/*.gz; do gunzip -c "$f" > "$WORK/squad-data/squad/$(basename "$f" .gz)"; done
    export SHARED_DATA_DIR="$WORK/squad-data"
  fi
  say "data (rules $RULES, ua rate $UA_RATE, neg ratio $NEG_RATIO, max seq $MAX_SEQ, limit $LIMIT)"
  "$PY" training/gpu_data.py --tokenizer "$CARRY/base" --out "$WORK/data" --rules "$RULES" --ua-rate "$UA_RATE" \
    --neg-ratio "$NEG_RATIO" --max-seq-length "$MAX_SEQ" --doc-stride "$STRIDE" --limit "$LIMIT" --seed "$SEED" || return 1

  local distil_s=0; [ "$DISTIL" = 1 ] && distil_s=$DISTIL_S
  local budget=$(( $(left) - RESERVE_S - distil_s ))
  [ "$budget" -gt 20 ] || budget=20
  say "teacher: 12 layers from the int8 base, $EPOCHS epochs, batch $BATCH, lr $LR, $dev, budget ${budget} s"
  "$PY" training/gpu_train.py --base "$CARRY/base" --data "$WORK/data" --out "$WORK/teacher" --device "$dev" \
    --epochs "$EPOCHS" --max-steps "$STEPS" --batch-size "$BATCH" --lr "$LR" --time-budget-s "$budget" \
    --seed "$SEED" --log-every 50 || return 1
  say "teacher: export + int8"
  if ! export_model "$WORK/teacher"; then
    # fallback: the trained weights minus the frozen word embeddings (fp16, ~43 MB) travel back instead, for
    # gpu_pack.py unslim + export here
    "$PY" training/gpu_pack.py slim --ckpt "$WORK/teacher" --out "$WORK/teacher-slim-fp16.safetensors"
    return 1
  fi

  if [ "$DISTIL" = 1 ] && [ "$(left)" -gt $(( RESERVE_S / 2 + 30 )) ]; then
    local sb=$(( $(left) - RESERVE_S / 2 - 30 ))
    [ "$sb" -le "$DISTIL_S" ] || sb=$DISTIL_S
    say "student: $STUDENT_LAYERS layers distilled from the teacher, budget ${sb} s"
    if "$PY" training/gpu_train.py --teacher "$WORK/teacher" --student-layers "$STUDENT_LAYERS" --data "$WORK/data" \
        --out "$WORK/student" --device "$dev" --epochs "$DISTIL_EPOCHS" --max-steps "$STEPS" --batch-size "$BATCH" \
        --lr "$LR" --time-budget-s "$sb" --seed "$SEED" --log-every 50; then
      export_model "$WORK/student" || echo "student export failed"
    fi
  fi

  local lim=(--limit "$EVAL_LIMIT" --int8-limit "$INT8_EVAL_LIMIT" --device "$dev" --threads "$(nproc)")
  [ "$EVAL_LIMIT" != 0 ] && lim+=(--threshold-limit "$EVAL_LIMIT" --v2-limit "$EVAL_LIMIT")
  if [ "$EVAL" = 1 ] && [ "$(left)" -gt 45 ]; then
    say "eval teacher"
    "$PY" training/gpu_eval.py --ckpt "$WORK/teacher" --onnx-int8 "$WORK/teacher/onnx/model.onnx" \
      --out "$WORK/teacher/eval.json" "${lim[@]}" || echo "teacher eval failed"
  fi
  if [ "$EVAL" = 1 ] && [ -f "$WORK/student/onnx/model.onnx" ] && [ "$(left)" -gt 35 ]; then
    say "eval student"
    "$PY" training/gpu_eval.py --ckpt "$WORK/student" --onnx-int8 "$WORK/student/onnx/model.onnx" \
      --out "$WORK/student/eval.json" "${lim[@]}" || echo "student eval failed"
  fi
  say "model folders"
  "$PY" training/gpu_pack.py folder --ckpt "$WORK/teacher" --onnx-dir "$WORK/teacher/onnx" --name "$NAME" \
    --eval "$WORK/teacher/eval.json" --data "$WORK/data/prep.json" --out "$WORK/models/$NAME" || return 1
  if [ -f "$WORK/student/onnx/model.onnx" ]; then
    "$PY" training/gpu_pack.py folder --ckpt "$WORK/student" --onnx-dir "$WORK/student/onnx" --name "$STUDENT_NAME" \
      --eval "$WORK/student/eval.json" --data "$WORK/data/prep.json" --out "$WORK/models/$STUDENT_NAME" ||
      echo "student folder failed"
  fi
}

ablation() { # each rule's effect on dev-a: models trained on the train subset ALONE (dev-a held out), one per rule set
  mkdir -p "$WORK" "$OUT"
  WORK=$(cd "$WORK" && pwd); OUT=$(cd "$OUT" && pwd)
  exec > >(tee -a "$WORK/ablation.log") 2>&1
  local dev=${DEVICE:-}
  [ -n "$dev" ] || dev=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
  if [ -d "$CARRY/squad" ]; then
    mkdir -p "$WORK/squad-data/squad"
    for f in "$CARRY"/squad/*.gz; do gunzip -c "$f" > "$WORK/squad-data/squad/$(basename "$f" .gz)"; done
    export SHARED_DATA_DIR="$WORK/squad-data"
  fi
  local sets=${ABLATION_RULES:-none a b c a,b,c} n=0
  for r in $sets; do n=$((n + 1)); done
  local per=$(( ($(left) - 20) / n ))
  say "ablation: rule sets [$sets], ${per} s each (train subset only, $ABL_EPOCHS epoch(s); dev-a held out)"
  for r in $sets; do
    local tag=${r//,/}
    "$PY" training/gpu_data.py --tokenizer "$CARRY/base" --out "$WORK/abl-$tag/data" --files squad-v1.1-train-subset.json \
      --rules "$r" --ua-rate "$UA_RATE" --neg-ratio "$NEG_RATIO" --max-seq-length "$MAX_SEQ" --doc-stride "$STRIDE" \
      --limit "$LIMIT" --seed "$SEED" || continue
    "$PY" training/gpu_train.py --base "$CARRY/base" --data "$WORK/abl-$tag/data" --out "$WORK/abl-$tag/model" \
      --device "$dev" --epochs "$ABL_EPOCHS" --max-steps "$STEPS" --batch-size "$BATCH" --lr "$LR" \
      --time-budget-s $(( per * 2 / 3 )) --seed "$SEED" --log-every 100 || continue
    "$PY" training/gpu_eval.py --ablation --ckpt "$WORK/abl-$tag/model" --out "$OUT/ablation-$tag.json" \
      --device "$dev" --threshold-limit "$EVAL_LIMIT" --v2-limit "$EVAL_LIMIT" || true
    rm -rf "$WORK/abl-$tag/model"
  done
  cp "$WORK/ablation.log" "$OUT/ablation.log"
  say "ablation done: $(ls "$OUT")"
}

case "${1:-run}" in
  prepare) prepare ;;
  ablation) ablation ;;
  unpack) shift; unpack "$@" ;;
  run) run_all ;;
  *) echo "usage: bash training/gpu.sh [prepare|run|unpack DIR [DEST]]" >&2; exit 2 ;;
esac
