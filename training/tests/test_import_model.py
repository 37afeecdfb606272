"""training/import_model.py on a tiny RoBERTa QA checkpoint made here, offline (random weights, the real roberta-base
BPE tokenizer of test/fixtures/models/tiny-roberta-qa): ONNX + int8 + tokenizer + manifest, parity with
transformers' pipeline, and the folder loads in onnxruntime (and in docqa's own reader when dist/ is built)."""
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from transformers import RobertaConfig, RobertaForQuestionAnswering, RobertaTokenizerFast

import import_model

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "test" / "fixtures" / "models" / "tiny-roberta-qa"


def tiny_roberta_checkpoint(path: Path) -> Path:
    """A Hugging Face checkpoint folder as a user would download one (config, safetensors, tokenizer files)."""
    torch.manual_seed(7)
    cfg = RobertaConfig(vocab_size=50265, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                        bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0, architectures=["RobertaForQuestionAnswering"])
    model = RobertaForQuestionAnswering(cfg).eval()
    with torch.no_grad():  # logits spread over a few units, so argmax ties do not make the test fragile
        model.qa_outputs.weight.normal_(0, 0.5)
    model.save_pretrained(str(path))
    tok = RobertaTokenizerFast(tokenizer_file=str(FIXTURE / "tokenizer.json"), model_max_length=512)
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("import")
    ckpt = tiny_roberta_checkpoint(root / "tiny-roberta-squad2")
    out = root / "docqa-model"
    assert import_model.main([str(ckpt), str(out), "--name", "tiny-roberta-import", "--version", "0.0.1"]) == 0
    return ckpt, out


def test_folder_has_docqa_files_and_a_manifest_with_their_sha256(imported):
    _ckpt, out = imported
    names = {p.name for p in out.iterdir()}
    assert {"model.onnx", "model.fp32.onnx", "tokenizer.json", "tokenizer_config.json", "config.json",
            "manifest.json"} <= names
    m = json.loads((out / "manifest.json").read_text())
    assert m["name"] == "tiny-roberta-import" and m["version"] == "0.0.1"
    for name, info in m["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"]
        assert (out / name).stat().st_size == info["bytes"]
    assert m["base"]["modelType"] == "roberta"
    assert m["base"]["architectures"] == ["RobertaForQuestionAnswering"]
    assert "model.safetensors" in m["base"]["weightsSha256"]
    assert m["onnx"]["inputs"] == {"input_ids": "int64 [batch, sequence]", "attention_mask": "int64 [batch, sequence]"}
    assert m["onnx"]["exportCheck"]["ortVsPytorchMaxAbsDiff"] < 1e-4
    assert m["onnx"]["exportCheck"]["paddedBatchVsSingleMaxAbsDiff"] < 1e-4


def test_parity_with_the_transformers_pipeline(imported):
    _ckpt, out = imported
    p = json.loads((out / "manifest.json").read_text())["parity"]
    assert p["fp32Onnx"]["identicalAnswers"] == p["fp32Onnx"]["questions"] == len(import_model.PAIRS)
    assert p["fp32Onnx"]["maxScoreDiff"] < 1e-4
    assert 0 <= p["int8Onnx"]["identicalAnswers"] <= p["int8Onnx"]["questions"]


def test_onnxruntime_loads_the_int8_model_with_docqa_interface(imported):
    ckpt, out = imported
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in sess.get_outputs()] == ["start_logits", "end_logits"]
    tok = RobertaTokenizerFast(tokenizer_file=str(out / "tokenizer.json"))
    enc = tok(["Who wrote Hamlet?", "Where?"], ["Hamlet was written by Shakespeare.", "Here and there."],
              padding=True, return_tensors="np")
    s, e = sess.run(None, {"input_ids": enc["input_ids"].astype(np.int64),
                           "attention_mask": enc["attention_mask"].astype(np.int64)})
    assert s.shape == e.shape == enc["input_ids"].shape
    # int8 close to the PyTorch checkpoint
    model = RobertaForQuestionAnswering.from_pretrained(str(ckpt)).eval()
    with torch.no_grad():
        ref = model(input_ids=torch.from_numpy(enc["input_ids"]), attention_mask=torch.from_numpy(enc["attention_mask"]))
    mask = enc["attention_mask"].astype(bool)
    assert np.abs(s[mask] - ref.start_logits.numpy()[mask]).max() < 0.5


def test_refuses_a_non_empty_out_folder_and_a_folder_without_config(imported, tmp_path):
    ckpt, out = imported
    with pytest.raises(SystemExit, match="not empty"):
        import_model.main([str(ckpt), str(out)])
    with pytest.raises(SystemExit, match="config.json"):
        import_model.main([str(tmp_path), str(tmp_path / "x")])


@pytest.mark.skipif(not (REPO / "dist" / "cli" / "main.js").exists() or shutil.which("node") is None,
                    reason="docqa is not built (npm run build)")
def test_docqa_reader_answers_with_the_imported_folder(imported, tmp_path):
    _ckpt, out = imported
    squad = {"version": "1.1", "data": [{"title": "t", "paragraphs": [
        {"context": "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601.",
         "qas": [{"id": "q1", "question": "Who wrote Hamlet?",
                  "answers": [{"text": "William Shakespeare", "answer_start": 31}]}]}]}]}
    f = tmp_path / "one.json"
    f.write_text(json.dumps(squad))
    r = subprocess.run(["node", str(REPO / "dist" / "cli" / "main.js"), "eval", "reader", str(f), "--model-dir", str(out),
                        "--data-dir", str(tmp_path / "data"), "--no-save", "--quiet", "--json"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert "tiny-roberta-import" in json.dumps(res)
