#!/usr/bin/env bash
# docqa reader: end-to-end training pipeline (CPU only, offline).
#
#   bash training/run.sh                 # everything: setup data train export eval parity manifest
#   bash training/run.sh export eval     # only some stages, in the order given
#
# Settings (environment, defaults = the settings of the shipped model):
#   TIME_BUDGET=3900 (seconds; 0 = step-based) STEPS=0 (0 = one epoch) BATCH=16 LR=1e-4 THREADS=1 NICE=-5
#   TIME_BUDGET2=1200 STEPS2=0 LR2=5e-5 THREADS2=2 SEED2=43   (phase 2, continued from phase 1; both 0 = no phase 2)
#   SEQ=256 STRIDE=128 NEG_RATIO=0.25 SEED=42 EVAL_THREADS=1
# With TIME_BUDGET the learning-rate warm-up/decay follow elapsed time and training stops when it is spent, so the
# run ends on time on a shared CPU; the number of steps done is logged (rerun with TIME_BUDGET=0 STEPS=<n> for a
# step-based schedule of the same length).
# Data: squad/ (and tokenizers/bert-base-uncased/vocab.txt) under $SHARED_DATA_DIR, else the repository's data/
# (`npx docqa data fetch squad` writes data/squad/).
# Outputs: training/out/ (ignored by git: features, checkpoint, ONNX, eval JSON, logs) and the committed model
# folder models/minilm-l6-squad/ plus test/fixtures/parity/minilm-l6-squad-devb-500.json. The fp32 export is
# copied into the model folder too (for the fp32 evaluations and bench/reader.ts) but is not committed (.gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

PY=training/.venv/bin/python
OUT=training/out
MODEL_DIR=${MODEL_DIR:-models/minilm-l6-squad}
TIME_BUDGET=${TIME_BUDGET:-3900} STEPS=${STEPS:-0} BATCH=${BATCH:-16} LR=${LR:-1e-4} THREADS=${THREADS:-1} NICE=${NICE:--5}
TIME_BUDGET2=${TIME_BUDGET2:-1200} STEPS2=${STEPS2:-0} LR2=${LR2:-5e-5} THREADS2=${THREADS2:-2} SEED2=${SEED2:-43}
SEQ=${SEQ:-256} STRIDE=${STRIDE:-128} NEG_RATIO=${NEG_RATIO:-0.25} SEED=${SEED:-42} EVAL_THREADS=${EVAL_THREADS:-1}

stage_setup() {
  if [ ! -x "$PY" ]; then python3 -m venv training/.venv; fi
  "$PY" -m pip install -q --upgrade pip
  # the full lock: the exact versions the shipped model and the fixtures were made with
  "$PY" -m pip install -q -r training/requirements-lock.txt
}

stage_data() {
  (cd training && ../$PY prepare_data.py --max-seq-length "$SEQ" --doc-stride "$STRIDE" --neg-ratio "$NEG_RATIO" --seed "$SEED")
}

stage_train() {
  mkdir -p "$OUT"
  # negative nice needs root; falls back to normal priority otherwise
  local nice_cmd=(nice -n "$NICE"); nice -n "$NICE" true 2>/dev/null || nice_cmd=()
  (cd training && "${nice_cmd[@]}" ../$PY train.py --time-budget-s "$TIME_BUDGET" --max-steps "$STEPS" \
      --batch-size "$BATCH" --lr "$LR" --threads "$THREADS" --seed "$SEED" --out out/model-phase1) 2>&1 | tee "$OUT/train.log"
  stage_train2
}

stage_train2() { # phase 2: continue from phase 1 with a fresh shuffle and a second, lower warm-up/decay cycle
  local nice_cmd=(nice -n "$NICE"); nice -n "$NICE" true 2>/dev/null || nice_cmd=()
  rm -rf "$OUT/model"
  if [ "$TIME_BUDGET2" = 0 ] && [ "$STEPS2" = 0 ]; then cp -r "$OUT/model-phase1" "$OUT/model"; return; fi
  (cd training && "${nice_cmd[@]}" ../$PY train.py --init-from out/model-phase1 --time-budget-s "$TIME_BUDGET2" \
      --max-steps "$STEPS2" --batch-size "$BATCH" --lr "$LR2" --threads "$THREADS2" --seed "$SEED2" --out out/model) \
      2>&1 | tee "$OUT/train2.log"
}

stage_export() {
  (cd training && ../$PY export_onnx.py --ckpt out/model --out out/onnx/model.fp32.onnx)
  (cd training && ../$PY quantize.py --inp out/onnx/model.fp32.onnx --out out/onnx/model.onnx)
  mkdir -p "$MODEL_DIR"
  cp "$OUT/onnx/model.onnx" "$OUT/onnx/model.fp32.onnx" "$MODEL_DIR/"
  cp "$OUT/model/tokenizer.json" "$OUT/model/tokenizer_config.json" "$OUT/model/config.json" "$MODEL_DIR/"
}

ev() { # name, then evaluate.py arguments
  local name=$1; shift
  (cd training && ../$PY evaluate.py --threads "$EVAL_THREADS" --tokenizer "../$MODEL_DIR" --out "out/eval/$name.json" "$@") \
    > "$OUT/eval-$name.log" 2>&1
  grep -E '"(exact|f1|HasAns_f1|NoAns_f1|best_f1|best_f1_thresh|wall_s)"' "$OUT/eval-$name.log" | head -12 | tr -s ' \n' ' '; echo " <- $name"
}

stage_eval() {
  mkdir -p "$OUT/eval"
  # docqa's no-answer threshold: chosen on dev-a (training data) with other-paragraph negatives, never on dev-b
  ev deva-neg-onnx-int8 --onnx "../$MODEL_DIR/model.onnx" --file squad-v1.1-dev-a.json --add-negatives 1
  local T
  T=$("$PY" -c "import json;print(json.load(open('$OUT/eval/deva-neg-onnx-int8.json'))['reader_score_best_f1_thresh'])")
  echo "no-answer threshold (dev-a + negatives, model.onnx): $T"
  ev devb-onnx-int8 --onnx "../$MODEL_DIR/model.onnx" --file squad-v1.1-dev-b.json --threshold "$T"
  ev devb-onnx-fp32 --onnx "../$MODEL_DIR/model.fp32.onnx" --file squad-v1.1-dev-b.json --threshold "$T"
  ev devb-neg-onnx-int8 --onnx "../$MODEL_DIR/model.onnx" --file squad-v1.1-dev-b.json --add-negatives 1 --threshold "$T"
  ev v2sample-onnx-int8 --onnx "../$MODEL_DIR/model.onnx" --file squad-v2.0-dev-sample.json --threshold "$T"
  ev v2sample-onnx-fp32 --onnx "../$MODEL_DIR/model.fp32.onnx" --file squad-v2.0-dev-sample.json --threshold "$T"
  ev devb500-pytorch --torch out/model --file squad-v1.1-dev-b.json --limit 500
  ev devb500-onnx-fp32 --onnx "../$MODEL_DIR/model.fp32.onnx" --file squad-v1.1-dev-b.json --limit 500
  if [ "${FULL_PYTORCH_EVAL:-0}" = 1 ]; then
    ev devb-pytorch --torch out/model --file squad-v1.1-dev-b.json
  fi
}

stage_parity() {
  (cd training && ../$PY parity_fixture.py --model-dir "../$MODEL_DIR")
}

stage_manifest() {
  (cd training && ../$PY manifest.py --model-dir "../$MODEL_DIR")
}

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(setup data train export eval parity manifest)
for s in "${stages[@]}"; do
  echo "== $s ($(date -u +%H:%M:%S))"
  start=$(date +%s)
  "stage_$s"
  echo "== $s done in $(( $(date +%s) - start )) s"
done
