"""tools/convert_checkpoint.py: format detection and conversion with equal
outputs (Hugging Face, official layout, mmaction2)."""
import pytest
import torch

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
import official_reference
from mmaction.registry import MODELS

from conftest import hf_pretraining_model, run_python
from videomae_det.checkpoint import load_checkpoint_file
from videomae_det.models.masking import make_mask

TINY = dict(embed_dims=64, num_layers=2, num_heads=4)
# the nominal input of the reference models below (32 px, 4 frames): our
# position table is theirs only at the same nominal size
TINY_32 = dict(arch=TINY, img_size=32, num_frames=4)


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
                                                 **TINY_32),
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
        type='VideoMAE', arch=TINY, img_size=32, num_frames=4,
        out_type='pooled')))
    # the nominal size, and a non-square one (position tables resampled)
    for shape in ((32, 32), (48, 64)):
        x = torch.randn(2, 3, 4, *shape)
        with torch.no_grad():
            torch.testing.assert_close(ours(x), theirs(x), rtol=0,
                                       atol=1e-5)


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


# ---- official VideoMAE / VideoMAE V2 layouts, from their documented
# architecture (modeling_finetune.py / modeling_pretrain.py key names)

def official_keys(dims, depth, mlp_ratio=4., patch=16, tubelet=2,
                  prefix='', layer_scale=False):
    """{key: shape} of the official encoder (``prefix`` '' or 'encoder.')."""
    hidden = int(dims * mlp_ratio)
    keys = {f'{prefix}patch_embed.proj.weight': (dims, 3, tubelet, patch,
                                                 patch),
            f'{prefix}patch_embed.proj.bias': (dims,)}
    for i in range(depth):
        b = f'{prefix}blocks.{i}.'
        keys.update({
            b + 'norm1.weight': (dims,), b + 'norm1.bias': (dims,),
            b + 'attn.q_bias': (dims,), b + 'attn.v_bias': (dims,),
            b + 'attn.qkv.weight': (3 * dims, dims),
            b + 'attn.proj.weight': (dims, dims),
            b + 'attn.proj.bias': (dims,),
            b + 'norm2.weight': (dims,), b + 'norm2.bias': (dims,),
            b + 'mlp.fc1.weight': (hidden, dims),
            b + 'mlp.fc1.bias': (hidden,),
            b + 'mlp.fc2.weight': (dims, hidden), b + 'mlp.fc2.bias': (dims,)})
        if layer_scale:
            keys.update({b + 'gamma_1': (dims,), b + 'gamma_2': (dims,)})
    return keys


def official_pretrain_keys(dims, depth, dec_dims, dec_depth, mlp_ratio=4.,
                           patch=16, tubelet=2):
    keys = official_keys(dims, depth, mlp_ratio, patch, tubelet, 'encoder.')
    keys.update({'encoder.norm.weight': (dims,), 'encoder.norm.bias': (dims,),
                 'encoder_to_decoder.weight': (dec_dims, dims),
                 'mask_token': (1, 1, dec_dims),
                 'decoder.norm.weight': (dec_dims,),
                 'decoder.norm.bias': (dec_dims,),
                 'decoder.head.weight': (3 * tubelet * patch**2, dec_dims),
                 'decoder.head.bias': (3 * tubelet * patch**2,)})
    dec = official_keys(dec_dims, dec_depth, mlp_ratio, prefix='decoder.')
    keys.update({k: v for k, v in dec.items() if '.blocks.' in k})
    return keys


def random_state(keys, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = {k: torch.randn(s, generator=g) * 0.05 for k, s in keys.items()}
    for k in sd:  # LayerNorm weights near 1, as trained ones
        if 'norm' in k and k.endswith('weight'):
            sd[k] += 1
    return sd


def test_videomae_v2_giant_layout_maps_key_for_key():
    """ViT-g at full size (1408 dims, 40 blocks, MLP 48/11, patch 14,
    512-dim decoder with the same MLP ratio), shapes only (meta tensors)."""
    from videomae_det.checkpoint.formats import convert
    keys = official_pretrain_keys(1408, 40, 512, 4, 48 / 11, patch=14)
    assert keys['encoder.blocks.0.mlp.fc1.weight'] == (6144, 1408)
    assert keys['decoder.head.weight'] == (1176, 512)
    sd = {k: torch.empty(s, device='meta') for k, s in keys.items()}
    ours, fmt = convert({'model': sd}['model'], 'pretrainer')
    assert fmt == 'official_pretrain'
    with torch.device('meta'):
        model = MODELS.build(dict(
            type='VideoMAEPretrainer',
            backbone=dict(type='VideoMAE', arch='giant', patch_size=14),
            decoder=dict(num_layers=4)))
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()
                if k != 'data_preprocessor.step'}
    assert {k: tuple(v.shape) for k, v in ours.items()} == expected
    encoder = sum(v.numel() for k, v in ours.items()
                  if k.startswith('backbone.'))
    assert abs(encoder / 1e6 - 1011) < 5  # ViT-g/14: 1,011M (V2 paper)
    fine = official_keys(1408, 40, 48 / 11, patch=14)
    fine.update({'fc_norm.weight': (1408,), 'fc_norm.bias': (1408,),
                 'head.weight': (710, 1408), 'head.bias': (710,)})
    ours, fmt = convert({k: torch.empty(s, device='meta')
                         for k, s in fine.items()}, 'recognizer')
    assert fmt == 'official_finetune'
    assert ours['cls_head.fc_cls.weight'].shape == (710, 1408)
    assert len(ours) == len(fine)


@pytest.mark.parametrize('arch', [
    dict(dims=64, depth=2, heads=4, mlp_ratio=4., patch=8),
    # ViT-g's width, heads, MLP ratio and patch at reduced depth
    dict(dims=1408, depth=2, heads=16, mlp_ratio=48 / 11, patch=14)])
def test_official_finetuned_logits_equal(arch):
    from videomae_det.checkpoint.formats import convert
    keys = official_keys(arch['dims'], arch['depth'], arch['mlp_ratio'],
                         arch['patch'], layer_scale=True)
    keys.update({'fc_norm.weight': (arch['dims'],),
                 'fc_norm.bias': (arch['dims'],),
                 'head.weight': (7, arch['dims']), 'head.bias': (7,)})
    sd = random_state(keys)
    ours_sd, _ = convert(sd, 'recognizer')
    backbone = MODELS.build(dict(
        type='VideoMAE', out_type='pooled', patch_size=arch['patch'],
        img_size=2 * arch['patch'], num_frames=4, layer_scale=0.1,
        mlp_ratio=arch['mlp_ratio'],
        arch=dict(embed_dims=arch['dims'], num_layers=arch['depth'],
                  num_heads=arch['heads'])))
    head = torch.nn.Linear(arch['dims'], 7)
    backbone.load_state_dict(convert(sd, 'backbone')[0], strict=True)
    head.load_state_dict({k.split('.')[-1]: v for k, v in ours_sd.items()
                          if k.startswith('cls_head.')})
    x = torch.randn(2, 3, 4, 2 * arch['patch'], 2 * arch['patch'])
    with torch.no_grad():
        ref = official_reference.classify(sd, x, arch['heads'])
        out = head(backbone.eval()(x))
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)


def test_official_pretraining_reconstruction_and_loss_equal(tmp_path):
    """The official layout through the tool (top key ``model``), then our
    pre-trainer against the reference forward: prediction and loss."""
    sd = random_state(official_pretrain_keys(64, 2, 32, 2, patch=8))
    torch.save({'model': sd, 'epoch': 799}, tmp_path / 'official.pth')
    result = convert(tmp_path / 'official.pth', tmp_path / 'ours.pth',
                     'pretrainer')
    assert 'format: official_pretrain' in result.stdout
    ours = load(tmp_path / 'ours.pth', MODELS.build(dict(
        type='VideoMAEPretrainer', backbone=dict(type='VideoMAE', arch=TINY,
                                                 patch_size=8, img_size=16,
                                                 num_frames=4),
        decoder=dict(embed_dims=32, num_layers=2, num_heads=2),
        data_preprocessor=dict(type='MaskedVideoDataPreprocessor',
                               mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], patch_size=8))))
    x01 = torch.rand(2, 3, 4, 16, 16)
    mask = make_mask('tube', 2, (2, 2, 2), 0.75,
                     torch.Generator().manual_seed(1))
    pre = ours.data_preprocessor
    mean, std = pre.mean.view(-1) / 255, pre.std.view(-1) / 255
    with torch.no_grad():
        ref_pred, ref_loss = official_reference.pretrain(
            sd, x01, mean, std, mask, 4, 2, 2, 8)
        out = ours.reconstruct((x01 * 255 - pre.mean) / pre.std, mask)
    torch.testing.assert_close(out['pred'], ref_pred, rtol=0, atol=1e-5)
    torch.testing.assert_close(out['loss'], ref_loss, rtol=0, atol=1e-5)


def test_cosine_attention_is_refused():
    from videomae_det.checkpoint.formats import ConversionError, convert
    sd = random_state(official_keys(64, 1))
    sd['blocks.0.attn.scale'] = torch.zeros(4, 1, 1)
    with pytest.raises(ConversionError, match='cos_attn'):
        convert(sd, 'backbone')


# ---- Hugging Face export: from_pretrained offline, same outputs, and a
# bit-identical way back

def tiny_pretrainer():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='VideoMAE', arch=TINY, img_size=32, num_frames=4),
        decoder=dict(embed_dims=32, num_layers=2, num_heads=2)))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    return model.eval()


def test_export_pretrainer_to_hf_and_back_bit_identical(tmp_path):
    transformers = pytest.importorskip('transformers')
    from videomae_det.checkpoint.formats import convert
    from videomae_det.checkpoint.hf import export_hf
    ours = tiny_pretrainer()
    path = export_hf(ours, str(tmp_path / 'hf'))
    assert path.endswith('model.safetensors')
    hf = transformers.VideoMAEForPreTraining.from_pretrained(
        tmp_path / 'hf', local_files_only=True).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    mask = make_mask('tube', 2, (2, 2, 2), 0.5,
                     torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = hf(x.transpose(1, 2), bool_masked_pos=mask)
        out = ours.reconstruct(x, mask)
    torch.testing.assert_close(out['pred'], ref.logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(out['loss'], ref.loss, rtol=0, atol=1e-5)
    back, fmt = convert(load_checkpoint_file(path), 'pretrainer')
    assert fmt == 'hf_pretrain'
    original = {k: v for k, v in ours.state_dict().items()
                if k != 'data_preprocessor.step'}
    assert back.keys() == original.keys()
    for k, v in original.items():
        assert torch.equal(back[k], v), k


def test_export_classifier_to_hf_through_the_tool(tmp_path):
    """Ours (pooled backbone + ``cls_head.fc_cls``) -> HF folder with the
    tool -> ``VideoMAEForVideoClassification`` logits equal -> back
    bit-identical."""
    transformers = pytest.importorskip('transformers')
    torch.manual_seed(0)
    backbone = MODELS.build(dict(type='VideoMAE', **TINY_32,
                                 out_type='pooled'))
    head = torch.nn.Linear(64, 5)
    sd = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    sd.update({f'cls_head.fc_cls.{k}': v
               for k, v in head.state_dict().items()})
    torch.save({'state_dict': sd}, tmp_path / 'ours.pth')
    result = run_python(['tools/convert_checkpoint.py', str(tmp_path /
                         'ours.pth'), str(tmp_path / 'hf'), '--to', 'hf',
                         '--num-heads', '4', '--img-size', '32',
                         '--num-frames', '4'])
    assert 'wrote' in result.stdout
    hf = transformers.VideoMAEForVideoClassification.from_pretrained(
        tmp_path / 'hf', local_files_only=True).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(head(backbone.eval()(x)),
                                   hf(x.transpose(1, 2)).logits,
                                   rtol=0, atol=1e-5)
    result = convert(tmp_path / 'hf', tmp_path / 'back.pth', 'recognizer')
    back = load_checkpoint_file(tmp_path / 'back.pth')['state_dict']
    assert back.keys() == sd.keys()
    for k, v in sd.items():
        assert torch.equal(back[k], v), k


def test_hf_classifier_bin_to_recognizer_same_logits(tmp_path):
    """An HF ``VideoMAEForVideoClassification`` saved as
    ``pytorch_model.bin`` (random weights, biases included) -> the tool
    -> our backbone + head: equal logits."""
    transformers = pytest.importorskip('transformers')
    config = transformers.VideoMAEConfig(
        image_size=32, num_frames=4, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=256, use_mean_pooling=True,
        num_labels=5, layer_norm_eps=1e-6)
    torch.manual_seed(0)
    hf = transformers.VideoMAEForVideoClassification(config).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    hf.save_pretrained(tmp_path / 'hf', safe_serialization=False)
    assert (tmp_path / 'hf' / 'pytorch_model.bin').is_file()
    result = convert(tmp_path / 'hf', tmp_path / 'rec.pth', 'recognizer')
    assert 'format: hf' in result.stdout
    sd = load_checkpoint_file(tmp_path / 'rec.pth')['state_dict']
    backbone = MODELS.build(dict(type='VideoMAE', **TINY_32,
                                 out_type='pooled')).eval()
    backbone.load_state_dict({k[9:]: v for k, v in sd.items()
                              if k.startswith('backbone.')})
    head = torch.nn.Linear(64, 5)
    head.load_state_dict({k[16:]: v for k, v in sd.items()
                          if k.startswith('cls_head.fc_cls.')})
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(head(backbone(x)),
                                   hf(x.transpose(1, 2)).logits,
                                   rtol=0, atol=1e-5)


def test_export_refuses_what_hf_cannot_hold(tmp_path):
    from videomae_det.checkpoint.hf import export_hf
    model = MODELS.build(dict(type='VideoMAE', arch=TINY, layer_scale=0.1))
    with pytest.raises(KeyError, match='gamma_1 has no Hugging Face'):
        export_hf(model, str(tmp_path / 'x'))


# ---- direct use: init_cfg and load_from take any format

def test_init_cfg_takes_an_hf_folder_and_load_from_an_official_file(
        tmp_path):
    from mmengine.runner import load_checkpoint
    hf = hf_pretraining_model(decoder_layers=1)
    hf.save_pretrained(tmp_path / 'hf')
    backbone = MODELS.build(dict(
        type='VideoMAE', arch=TINY, img_size=32, num_frames=4,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'hf'))))
    backbone.init_weights()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            backbone.eval()(x),
            hf.videomae(x.transpose(1, 2)).last_hidden_state,
            rtol=0, atol=1e-5)
    # the official pre-training layout, as `load_from` loads it
    sd = random_state(official_pretrain_keys(64, 2, 32, 1))
    torch.save({'model': sd}, tmp_path / 'official.pth')
    pre = MODELS.build(dict(
        type='VideoMAEPretrainer', backbone=dict(type='VideoMAE', arch=TINY),
        decoder=dict(embed_dims=32, num_layers=1, num_heads=2)))
    load_checkpoint(pre, str(tmp_path / 'official.pth'), strict=True)
    assert torch.equal(pre.backbone.blocks[1].attn.qkv.weight,
                       sd['encoder.blocks.1.attn.qkv.weight'])
    assert torch.equal(pre.decoder.head.weight, sd['decoder.head.weight'])


# ---- adaptation to another input size

def notes(monkeypatch):
    """The adaptation notes logged during a test."""
    from videomae_det.checkpoint import adapt
    logged = []
    monkeypatch.setattr(adapt, 'print_log', lambda msg, **_: logged.append(
        msg))
    return logged


def test_tubelet_adapted_with_a_note(monkeypatch):
    logged = notes(monkeypatch)
    src = MODELS.build(dict(type='VideoMAE', arch=TINY, tubelet_size=2))
    dst = MODELS.build(dict(type='VideoMAE', arch=TINY, tubelet_size=1))
    dst.load_state_dict(src.state_dict())
    # a clip constant in time embeds as before, per tubelet
    frame = torch.randn(1, 3, 1, 32, 32)
    clip = frame.expand(1, 3, 4, 32, 32)
    with torch.no_grad():
        a = src.patch_embed(clip)[:, :4]  # first tubelet's 2x2 tokens
        b = dst.patch_embed(clip)[:, :4]
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    assert logged == ['adapted patch_embed.proj.weight: tubelet 2 -> 1 '
                      '(resampled in time, sum kept)']


def test_learned_position_table_resampled_or_refused(monkeypatch):
    logged = notes(monkeypatch)
    from videomae_det.checkpoint.adapt import AdaptationError
    src = MODELS.build(dict(type='VideoMAE', arch=TINY, img_size=32,
                            num_frames=4, learnable_pos_embed=True))
    with torch.no_grad():
        src.pos_embed.normal_()
    dst = MODELS.build(dict(type='VideoMAE', arch=TINY, img_size=32,
                            num_frames=8, learnable_pos_embed=True))
    dst.load_state_dict(src.state_dict())
    # as the source model resamples its own table for 8 frames at run time
    torch.testing.assert_close(dst.pos_embed,
                               src.position_embedding((4, 2, 2)))
    assert "(2, 2, 2) -> (4, 2, 2)" in logged[-1]
    fixed = MODELS.build(dict(type='VideoMAE', arch=TINY))
    with pytest.raises(AdaptationError, match='learnable_pos_embed=True'):
        fixed.load_state_dict(src.state_dict())
    other_patch = MODELS.build(dict(type='VideoMAE', arch=TINY,
                                    patch_size=8))
    with pytest.raises(AdaptationError, match='patch size must match'):
        other_patch.load_state_dict(fixed.state_dict())
    # a saved fixed table (mmaction2 keeps one) is dropped, nothing lost
    from videomae_det.models.backbones.videomae import sinusoid_table
    sd = dict(fixed.state_dict(), pos_embed=sinusoid_table(128, 64))
    fixed.load_state_dict(sd)
    assert logged[-1].startswith('dropped pos_embed: the fixed sinusoid')


@pytest.mark.parametrize('shape', [(64, 64), (80, 112)])
def test_mmaction2_ava_detector_to_ours_same_roi_features(tmp_path, shape):
    """mmaction2's own VideoMAE AVA detector (its shipped config, reduced
    width) -> the tool -> our detector: equal RoI features and scores, at
    the nominal input size and at a wider one (AVA tests at short side
    256 on a 224 model: the position table is resampled)."""
    import importlib.util
    import os.path as osp

    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData
    mm_root = osp.dirname(importlib.util.find_spec('mmaction').origin)
    theirs_cfg = Config.fromfile(osp.join(
        mm_root, '.mim/configs/detection/videomae/vit-base-p16_videomae-'
        'k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py'))
    theirs_cfg.model.init_cfg = None
    small = dict(img_size=64, embed_dims=64, depth=2, num_heads=4,
                 num_frames=4)
    theirs_cfg.model.backbone.update(small)
    theirs_cfg.model.roi_head.bbox_head.in_channels = 64
    torch.manual_seed(0)
    theirs = MODELS.build(theirs_cfg.model).eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    torch.save({'state_dict': theirs.state_dict(), 'meta': {}},
               tmp_path / 'mm_ava.pth')
    result = convert(tmp_path / 'mm_ava.pth', tmp_path / 'ours.pth',
                     'detector')
    assert 'format: mmaction2' in result.stdout
    ours_cfg = Config.fromfile('configs/ava_vitb.py')
    ours_cfg.model.backbone.update(
        arch=TINY, img_size=64, num_frames=4, init_cfg=None)
    ours_cfg.model.roi_head.bbox_head.in_channels = 64
    ours = MODELS.build(ours_cfg.model)
    ours = load(tmp_path / 'ours.pth', ours)
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=shape))
    sample.proposals = InstanceData(bboxes=torch.tensor(
        [[2., 4., 30., 50.], [20., 10., 60., 62.]]))
    data = dict(inputs=[torch.randint(0, 255, (3, 4, *shape),
                                      dtype=torch.uint8)],
                data_samples=[sample])
    feats = {}
    for name, model in (('ours', ours), ('theirs', theirs)):
        model.roi_head.bbox_roi_extractor.register_forward_hook(
            lambda m, i, o, name=name: feats.__setitem__(name, o[0]))
        with torch.no_grad():
            feats[name + '_scores'] = model.test_step(
                data)[0].pred_instances.scores
    assert feats['ours'].shape == (2, 64, 1, 8, 8)
    torch.testing.assert_close(feats['ours'], feats['theirs'], rtol=0,
                               atol=1e-5)
    torch.testing.assert_close(feats['ours_scores'], feats['theirs_scores'],
                               rtol=0, atol=1e-5)


def test_official_finetuned_checkpoint_loads_into_our_recognizer(tmp_path):
    """--to recognizer gives exactly the keys of our classification
    configs' Recognizer3D (backbone + TimeSformerHead.fc_cls)."""
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    keys = official_keys(96, 4, patch=8)
    keys.update({'fc_norm.weight': (96,), 'fc_norm.bias': (96,),
                 'head.weight': (5, 96), 'head.bias': (5,)})
    torch.save({'module': random_state(keys)}, tmp_path / 'ft.pth')
    result = convert(tmp_path / 'ft.pth', tmp_path / 'rec.pth', 'recognizer')
    assert 'format: official_finetune' in result.stdout
    cfg = Config.fromfile('configs/cls_toy-motions_vit-tiny.py')
    cfg.model.backbone.init_cfg = None
    load(tmp_path / 'rec.pth', MODELS.build(cfg.model))  # strict


def test_hf_export_reads_the_input_size_and_heads_from_the_saved_config(
        tmp_path):
    """A checkpoint our Runner wrote at 96 px, 8 frames, 3 heads: the HF
    config says so without flags (HF then runs the model at its own
    input size), and the files are readable by others (0644)."""
    transformers = pytest.importorskip('transformers')
    from mmengine.config import Config

    from videomae_det.engine.reliability import atomic_save_checkpoint
    cfg = Config.fromfile('configs/pretrain_toy_ava.py')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path / 'epoch_1.pth'
    atomic_save_checkpoint(dict(state_dict=model.state_dict(),
                                meta=dict(cfg=cfg.pretty_text)), str(path))
    result = run_python(['tools/convert_checkpoint.py', str(path),
                         str(tmp_path / 'hf'), '--to', 'hf'])
    assert 'img_size=96, num_frames=8, num_heads=3' in result.stdout
    hf = transformers.VideoMAEForPreTraining.from_pretrained(
        tmp_path / 'hf', local_files_only=True)
    assert (hf.config.image_size, hf.config.num_frames,
            hf.config.num_attention_heads) == (96, 8, 3)
    for out in (path, *(tmp_path / 'hf').iterdir()):
        assert out.stat().st_mode & 0o777 == 0o644, out
