"""training/onnx_to_bert.py on a tiny BertModel exported here the way the Maven jar's e5-small-v2.onnx was (torch
TorchScript exporter, opset 11, constant folding: anonymous, transposed MatMul initializers), and the int8 base."""
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from transformers import BertConfig, BertModel

import onnx_to_bert as ob

REPO = Path(__file__).resolve().parents[2]
TOKENIZER = REPO / "test" / "fixtures" / "models" / "tiny-bert-qa" / "tokenizer.json"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(3)
    cfg = BertConfig(vocab_size=30522, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=96, max_position_embeddings=512, layer_norm_eps=1e-12)
    cfg._attn_implementation = "eager"
    model = BertModel(cfg, add_pooling_layer=False).eval()
    with torch.no_grad():  # trained-looking parameters: no two biases or LayerNorms alike (the exporter would share them)
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.1 if "LayerNorm.weight" in name else 0.05) + ("LayerNorm.weight" in name))
    path = tmp_path_factory.mktemp("onnx") / "tiny-bert.onnx"

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    x = (torch.randint(1000, 2000, (2, 8)), torch.ones(2, 8, dtype=torch.long), torch.zeros(2, 8, dtype=torch.long))
    dyn = {n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids",
                                                        "last_hidden_state")}
    torch.onnx.export(Wrap(model).eval(), x, str(path), input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=11,
                      do_constant_folding=True, dynamo=False)
    return model, path


def test_the_export_has_anonymous_matmul_weights(exported):
    _model, path = exported
    names = [t.name for t in onnx.load(str(path)).graph.initializer]
    assert any(n.startswith("onnx::MatMul") for n in names)
    assert not any(n.endswith("query.weight") for n in names)


def test_conversion_recovers_every_parameter_and_the_config(exported):
    model, path = exported
    sd, info, notes = ob.onnx_to_state_dict(onnx.load(str(path)))
    assert info["head_dim"] == 12 and info["hidden_act"] == "gelu" and info["layer_norm_eps"] == 1e-12
    ref = {k: v.numpy() for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    assert set(sd) == set(ref)
    for k, v in ref.items():
        np.testing.assert_array_equal(sd[k], v, err_msg=k)
    cfg = ob.bert_config(sd, info, None, None)
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size) == (2, 48, 4, 96)
    assert "named from the bias" in notes[0]


def test_converted_model_matches_onnxruntime_within_1e_4(exported):
    _model, path = exported
    sd, info, _ = ob.onnx_to_state_dict(onnx.load(str(path)))
    converted = ob.build_model(sd, ob.bert_config(sd, info, None, None))
    res = ob.compare_with_ort(converted, path, ob.load_tokenizer(TOKENIZER))
    assert res["sentences"] == 32
    assert res["maxAbsDiff"] <= 1e-4, res


def test_a_wrong_head_count_is_caught_by_the_comparison(exported):
    _model, path = exported
    sd, info, _ = ob.onnx_to_state_dict(onnx.load(str(path)))
    wrong = ob.build_model(sd, ob.bert_config(sd, info, 2, None))
    assert ob.compare_with_ort(wrong, path, ob.load_tokenizer(TOKENIZER), ob.SENTENCES[:4])["maxAbsDiff"] > 1e-3


def test_int8_round_trip_is_within_half_a_step_per_row_and_dequantizes_to_a_model(exported, tmp_path):
    model, path = exported
    sd, info, _ = ob.onnx_to_state_dict(onnx.load(str(path)))
    q = ob.quantize_int8(sd)
    assert q["encoder.layer.0.attention.self.query.weight.q"].dtype == np.int8
    assert "encoder.layer.0.attention.self.query.bias" in q  # 1-D stays fp32
    back = ob.dequantize_arrays(q)
    for k, v in sd.items():
        if v.ndim == 2:
            step = q[k + ".scale"][:, None]
            assert np.all(np.abs(back[k] - v) <= step / 2 + 1e-7), k
        else:
            np.testing.assert_array_equal(back[k], v)
    folder = tmp_path / "base"
    folder.mkdir()
    np.savez(folder / "base-int8.npz", **q)
    ob.bert_config(sd, info, None, None).save_pretrained(str(folder))
    (folder / "tokenizer.json").write_bytes(TOKENIZER.read_bytes())
    assert ob.main(["dequantize", str(folder), str(tmp_path / "hf")]) == 0
    loaded = BertModel.from_pretrained(str(tmp_path / "hf")).eval()
    ids = torch.tensor([[101, 2054, 2003, 102]])
    with torch.no_grad():
        a = model(input_ids=ids).last_hidden_state
        b = loaded(input_ids=ids).last_hidden_state
    assert torch.nn.functional.cosine_similarity(a[0], b[0], dim=-1).min() > 0.99
    assert (tmp_path / "hf" / "tokenizer.json").exists()
