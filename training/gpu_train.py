#!/usr/bin/env python3
"""Train the extractive QA reader on a GPU (bf16 autocast) or, for checks, the CPU; optionally distil a student.

    # the 12-layer teacher from the int8 base (dequantized in memory)
    python3 training/gpu_train.py --base training/.carry/base --data /tmp/docqa-gpu/data --out /tmp/docqa-gpu/teacher \
        --epochs 3 --batch-size 32 --lr 1e-4 --time-budget-s 200
    # a 6-layer student: every other layer of the teacher, trained on the teacher's logits and the labels
    python3 training/gpu_train.py --teacher /tmp/docqa-gpu/teacher --student-layers 6 --data ... --out .../student

Model: transformers BertForQuestionAnswering (QA head Linear(hidden, 2), new). Loss: mean of start and end
cross-entropy, CLS (index 0) = no answer. With --teacher: loss = alpha * T^2 * KL(teacher || student at
temperature T) + (1 - alpha) * cross-entropy, averaged over start and end.
Schedule: step-based, linear warm-up (--warmup of the steps) then linear decay to 0 at the last step, AdamW (no
decay on bias/LayerNorm), gradient-norm clip 1.0, length-grouped batches with dynamic padding, seeded.
Wall-clock guard: after --probe-steps steps the time per step is measured; when the planned steps would not end
inside --time-budget-s, the plan is cut to the steps that fit (the schedule then decays to 0 at the new last step),
and in any case training stops when the budget is spent. Steps planned, cut and done are logged.
Writes <out>/ (save_pretrained: config.json, model.safetensors; tokenizer files) and <out>/train_log.json.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


class Features:
    def __init__(self, path: Path):
        z = np.load(path / "features.npz")
        self.ids, self.tt, self.offsets = z["ids"], z["tt"], z["offsets"]
        self.start, self.end, self.kind = z["start"], z["end"], z["kind"]
        self.lens = np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.start)

    def batches(self, bs: int, rng: random.Random) -> list[list[int]]:
        idx = list(range(len(self)))
        rng.shuffle(idx)
        mega = bs * 50
        out = []
        for i in range(0, len(idx), mega):
            chunk = sorted(idx[i:i + mega], key=lambda k: self.lens[k])
            out.extend(chunk[j:j + bs] for j in range(0, len(chunk), bs))
        rng.shuffle(out)
        return out

    def collate(self, rows: list[int], device):
        L = int(max(self.lens[k] for k in rows))
        n = len(rows)
        ids = np.zeros((n, L), np.int64)
        tt = np.zeros((n, L), np.int64)
        am = np.zeros((n, L), np.int64)
        for r, k in enumerate(rows):
            a, b = self.offsets[k], self.offsets[k + 1]
            ids[r, : b - a] = self.ids[a:b]
            tt[r, : b - a] = self.tt[a:b]
            am[r, : b - a] = 1
        t = lambda x: torch.from_numpy(x).to(device, non_blocking=True)  # noqa: E731
        return (t(ids), t(am), t(tt), t(self.start[rows].astype(np.int64)), t(self.end[rows].astype(np.int64)))


def set_attn(config, impl: str) -> None:
    try:
        config._attn_implementation = impl
    except Exception:  # noqa: BLE001 -- older/newer transformers spell it differently
        setattr(config, "attn_implementation", impl)


def model_from_base(base: Path, attn: str):
    """BertForQuestionAnswering whose encoder is the dequantized int8 base (onnx_to_bert.py)."""
    from transformers import BertForQuestionAnswering

    from onnx_to_bert import load_int8_base

    encoder, config = load_int8_base(base)
    set_attn(config, attn)
    model = BertForQuestionAnswering(config)
    missing, unexpected = model.bert.load_state_dict(encoder.state_dict(), strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"base does not fit: missing {missing}, unexpected {unexpected}")
    return model


def student_from_teacher(teacher, layers: int):
    """A copy of the teacher with `layers` of its encoder layers, evenly spaced, ending with the last."""
    import copy

    n = teacher.config.num_hidden_layers
    keep = sorted({round(n - 1 - i * n / layers) for i in range(layers)})
    student = copy.deepcopy(teacher)
    student.bert.encoder.layer = torch.nn.ModuleList([student.bert.encoder.layer[i] for i in keep])
    student.config.num_hidden_layers = len(keep)
    return student, keep


def main() -> int:
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--base", help="int8 base folder (base-int8.npz, config.json, tokenizer.json)")
    src.add_argument("--init", help="a Hugging Face BertForQuestionAnswering folder to continue from")
    src.add_argument("--teacher", help="distil from this trained QA folder into a student (--student-layers)")
    ap.add_argument("--student-layers", type=int, default=6)
    ap.add_argument("--alpha", type=float, default=0.7, help="distillation: weight of the teacher term")
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--data", required=True, help="folder with features.npz (gpu_data.py)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--max-steps", type=int, default=0, help="cap on steps (0: epochs decide)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--freeze-word-embeddings", type=int, default=1,
                    help="keep the base's word embeddings (the trained weights minus them fit $OUT in fp16)")
    ap.add_argument("--time-budget-s", type=float, default=0, help="wall-clock guard (0: none)")
    ap.add_argument("--probe-steps", type=int, default=30)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--bf16", type=int, default=1, help="bf16 autocast (CUDA; on CPU only when asked with 2)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--log-every", type=int, default=50)
    a = ap.parse_args()

    t_begin = time.time()
    if a.threads:
        torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    from transformers import BertForQuestionAnswering

    teacher = None
    keep = None
    tok_src = None
    if a.base:
        model = model_from_base(Path(a.base), "sdpa")
        tok_src = Path(a.base)
    elif a.init:
        model = BertForQuestionAnswering.from_pretrained(a.init, attn_implementation="sdpa")
        tok_src = Path(a.init)
    else:
        teacher = BertForQuestionAnswering.from_pretrained(a.teacher, attn_implementation="sdpa").to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        model, keep = student_from_teacher(teacher.cpu(), a.student_layers)
        for p in model.parameters():  # the copy inherited the frozen teacher's flags
            p.requires_grad_(True)
        teacher.to(device)
        tok_src = Path(a.teacher)
    if a.freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    model.to(device).train()

    feats = Features(Path(a.data))
    rng = random.Random(a.seed)
    steps_per_epoch = math.ceil(len(feats) / a.batch_size)
    planned = math.ceil(steps_per_epoch * a.epochs)
    if a.max_steps:
        planned = min(planned, a.max_steps)
    total = [planned]
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and not any(x in n for x in no_decay)],
         "weight_decay": a.weight_decay},
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and any(x in n for x in no_decay)],
         "weight_decay": 0.0},
    ]
    fused = device.type == "cuda"
    try:
        opt = torch.optim.AdamW(groups, lr=a.lr, fused=fused)
    except (TypeError, RuntimeError):
        opt = torch.optim.AdamW(groups, lr=a.lr)

    def lr_at(step: int) -> float:  # step: 0-based index of the step about to run
        warm = max(1, int(total[0] * a.warmup))
        if step < warm:
            return a.lr * (step + 1) / warm
        return a.lr * max(0.0, (total[0] - step) / max(1, total[0] - warm))

    use_bf16 = (a.bf16 == 1 and device.type == "cuda") or a.bf16 == 2
    log = {"settings": vars(a), "features": len(feats), "steps_per_epoch": steps_per_epoch, "steps_planned": planned,
           "device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
           "bf16": use_bf16, "torch": torch.__version__, "curve": []}
    if keep is not None:
        log["student_layers_from_teacher"] = keep
    import transformers

    log["transformers"] = transformers.__version__
    print(json.dumps({k: log[k] for k in ("features", "steps_per_epoch", "steps_planned", "device", "device_name",
                                           "bf16")}), flush=True)
    t0 = time.time()
    step = 0
    run_loss = 0.0
    n_loss = 0
    epoch = 0
    stop_reason = "planned steps done"
    T = a.temperature
    while step < total[0]:
        for rows in feats.batches(a.batch_size, rng):
            ids, am, tt, sp, ep = feats.collate(rows, device)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                out = model(input_ids=ids, attention_mask=am, token_type_ids=tt)
                s_logits, e_logits = out.start_logits.float(), out.end_logits.float()
                ce = (torch.nn.functional.cross_entropy(s_logits, sp) +
                      torch.nn.functional.cross_entropy(e_logits, ep)) / 2
                if teacher is not None:
                    with torch.no_grad():
                        to = teacher(input_ids=ids, attention_mask=am, token_type_ids=tt)
                    kl = 0.0
                    for st, tl in ((s_logits, to.start_logits.float()), (e_logits, to.end_logits.float())):
                        mask = am.bool()
                        st = st.masked_fill(~mask, -1e4)
                        tl = tl.masked_fill(~mask, -1e4)
                        kl = kl + torch.nn.functional.kl_div(torch.log_softmax(st / T, -1), torch.log_softmax(tl / T, -1),
                                                             reduction="batchmean", log_target=True) * T * T / 2
                    loss = a.alpha * kl + (1 - a.alpha) * ce
                else:
                    loss = ce
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            run_loss += float(loss.detach())
            n_loss += 1
            el = time.time() - t0
            if step == a.probe_steps and a.time_budget_s:
                per = el / step
                fits = int((a.time_budget_s - (time.time() - t_begin)) / per) + step
                log["probe"] = {"steps": step, "s_per_step": round(per, 4), "steps_that_fit": fits}
                if fits < total[0]:
                    log["steps_cut"] = {"from": total[0], "to": fits}
                    print(f"wall-clock guard: {total[0]} steps would take {per * total[0]:.0f} s; cut to {fits}",
                          flush=True)
                    total[0] = max(fits, step)
            if step % a.log_every == 0 or step >= total[0]:
                rec = {"step": step, "epoch": epoch, "loss": round(run_loss / max(1, n_loss), 4),
                       "lr": lr_at(step - 1), "elapsed_s": round(el, 1)}
                log["curve"].append(rec)
                print(json.dumps(rec), flush=True)
                run_loss, n_loss = 0.0, 0
            if step >= total[0]:
                break
            if a.time_budget_s and time.time() - t_begin >= a.time_budget_s:
                stop_reason = "time budget spent"
                break
        else:
            epoch += 1
            continue
        break
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.time() - t0
    model.eval()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model.to("cpu").float().save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json", "base.json"):
        if (tok_src / name).exists():
            shutil.copyfile(tok_src / name, out / name)
    log.update({"steps_done": step, "steps_final_plan": total[0], "stop_reason": stop_reason,
                "epochs_done": round(step * a.batch_size / len(feats), 3), "train_wall_s": round(wall, 1),
                "wall_s": round(time.time() - t_begin, 1),
                "parameters": sum(p.numel() for p in model.parameters()),
                "layers": model.config.num_hidden_layers})
    (out / "train_log.json").write_text(json.dumps(log, indent=1) + "\n")
    print(f"done: {step} steps ({log['epochs_done']} epochs) in {wall:.0f} s; {stop_reason}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
