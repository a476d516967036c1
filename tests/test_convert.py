"""tools/convert_checkpoint.py: format detection and conversion with equal
outputs (Hugging Face, official layout, mmaction2)."""
import torch

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
from mmaction.registry import MODELS

from conftest import hf_pretraining_model, run_python
from videomae_det.checkpoint import load_checkpoint_file
from videomae_det.models.masking import make_mask

TINY = dict(embed_dims=64, num_layers=2, num_heads=4)


def convert(src, dst, to, check=True):
    return run_python(['tools/convert_checkpoint.py', str(src), str(dst),
                       '--to', to], check=check)


def load(path, model):
    sd = load_checkpoint_file(path)
    model.load_state_dict(sd.get('state_dict', sd), strict=True)
    return model.eval()


def test_hf_pretraining_folder_to_pretrainer_same_outputs(tmp_path):
    hf = hf_pretraining_model(decoder_layers=1)
    hf.save_pretrained(tmp_path / 'hf')  # model.safetensors, offline
    result = convert(tmp_path / 'hf' / 'model.safetensors',
                     tmp_path / 'ours.pth', 'pretrainer')
    assert 'format: hf_pretrain' in result.stdout
    ours = load(tmp_path / 'ours.pth', MODELS.build(dict(
        type='VideoMAEPretrainer', backbone=dict(type='VideoMAE',
                                                 arch=TINY),
        decoder=dict(embed_dims=32, num_layers=1, num_heads=2))))
    x = torch.randn(2, 3, 4, 32, 32)
    mask = make_mask('tube', 2, (2, 2, 2), 0.5,
                     torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = hf(x.transpose(1, 2), bool_masked_pos=mask)
        out = ours.reconstruct(x, mask)
    torch.testing.assert_close(out['pred'], ref.logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(out['loss'], ref.loss, rtol=0, atol=1e-5)


def test_official_layouts_round_trip(tmp_path):
    """The official pre-training layout (top key ``model``, ``encoder.*``)
    and the fine-tuned one (bare keys, ``fc_norm``, ``head``)."""
    torch.manual_seed(0)
    pre = MODELS.build(dict(type='VideoMAEPretrainer',
                            backbone=dict(type='VideoMAE', arch=TINY),
                            decoder=dict(embed_dims=32, num_layers=1,
                                         num_heads=2)))
    sd = {('encoder.' + k[9:] if k.startswith('backbone.') else k): v
          for k, v in pre.state_dict().items()
          if not k.startswith('data_preprocessor')}
    torch.save({'model': sd}, tmp_path / 'official.pth')
    result = convert(tmp_path / 'official.pth', tmp_path / 'o.pth',
                     'pretrainer')
    assert 'format: official_pretrain' in result.stdout
    converted = load_checkpoint_file(tmp_path / 'o.pth')['state_dict']
    for k, v in pre.state_dict().items():
        if k != 'data_preprocessor.step':
            assert torch.equal(converted[k], v), k
    fine = MODELS.build(dict(type='VideoMAE', arch=TINY, out_type='pooled'))
    sd = dict(fine.state_dict(), **{'head.weight': torch.zeros(5, 64),
                                    'head.bias': torch.zeros(5)})
    torch.save({'module': sd}, tmp_path / 'finetuned.pth')
    result = convert(tmp_path / 'finetuned.pth', tmp_path / 'b.safetensors',
                     'backbone')
    assert 'format: official_finetune' in result.stdout
    ours = load(tmp_path / 'b.safetensors', MODELS.build(dict(
        type='VideoMAE', arch=TINY, out_type='pooled')))
    x = torch.randn(1, 3, 4, 32, 32)
    torch.testing.assert_close(ours(x), fine.eval()(x))
    bad = convert(tmp_path / 'finetuned.pth', tmp_path / 'x.pth',
                  'pretrainer', check=False)
    assert bad.returncode == 1 and 'no pre-training decoder' in bad.stderr


def test_mmaction2_vit_mae_recognizer_to_backbone(tmp_path):
    from mmaction.models.backbones.vit_mae import VisionTransformer
    torch.manual_seed(0)
    theirs = VisionTransformer(img_size=32, embed_dims=64, depth=2,
                               num_heads=4, num_frames=4,
                               use_mean_pooling=True).eval()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if name != 'pos_embed':
                p.copy_(torch.randn_like(p) * 0.1)
    sd = {f'backbone.{k}': v for k, v in theirs.state_dict().items()}
    sd['cls_head.fc_cls.weight'] = torch.zeros(3, 64)
    torch.save({'state_dict': sd, 'meta': {}}, tmp_path / 'mm.pth')
    result = convert(tmp_path / 'mm.pth', tmp_path / 'ours.pth', 'backbone')
    assert 'format: mmaction2' in result.stdout
    ours = load(tmp_path / 'ours.pth', MODELS.build(dict(
        type='VideoMAE', arch=TINY, out_type='pooled')))
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-5)


def test_unknown_or_broken_checkpoints_are_reported(tmp_path):
    torch.save({'state_dict': {'foo': torch.zeros(1)}}, tmp_path / 'x.pth')
    bad = convert(tmp_path / 'x.pth', tmp_path / 'y.pth', 'backbone',
                  check=False)
    assert bad.returncode != 0 and 'not a VideoMAE checkpoint' in (
        bad.stderr + bad.stdout)
    model = MODELS.build(dict(type='VideoMAE', arch=TINY))
    sd = model.state_dict()
    sd['blocks.1.mlp.fc2.bias'] = torch.zeros(3)
    torch.save({'module': sd}, tmp_path / 'shape.pth')
    bad = convert(tmp_path / 'shape.pth', tmp_path / 'z.pth', 'backbone',
                  check=False)
    assert bad.returncode == 1
    assert 'shape: blocks.1.mlp.fc2.bias (3,) vs (64,)' in bad.stdout
    assert not (tmp_path / 'z.pth').exists()
