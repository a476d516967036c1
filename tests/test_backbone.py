"""The VideoMAE backbone: presets, masking, outputs, HF equivalence."""
import gc

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS

import videomae_det  # noqa: F401
from videomae_det.checkpoint.hf import convert_hf_backbone
from videomae_det.models import VideoMAE
from videomae_det.models.backbones.videomae import sinusoid_table

TINY = dict(embed_dims=64, num_layers=2, num_heads=4)
# paper table: 22M / 86M / 307M / 632M
PARAMS = dict(small=22e6, base=86e6, large=307e6, huge=632e6)


def randomize(model: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial values everywhere (zero biases would hide key swaps)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


@pytest.mark.parametrize('arch', ['small', 'base', 'large', 'huge'])
def test_full_size_preset_params_and_one_step(arch):
    """Every preset builds at full size, has the paper's parameter count
    (within 3%) and runs a forward and backward pass at a reduced input."""
    model = VideoMAE(arch=arch, out_type='featmap')
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PARAMS[arch]) / PARAMS[arch] < 0.03, n
    x = torch.randn(1, 3, 4, 32, 32)
    out = model(x)
    dims = model.embed_dims
    assert out.shape == (1, dims, 2, 2, 2)
    out.mean().backward()
    assert model.blocks[0].attn.qkv.weight.grad is not None
    del model, out
    gc.collect()


@pytest.mark.parametrize('out_type,shape', [('tokens', (2, 2 * 2 * 3, 64)),
                                            ('pooled', (2, 64)),
                                            ('featmap', (2, 64, 2, 2, 3))])
def test_out_types(out_type, shape):
    model = VideoMAE(arch=TINY, out_type=out_type)
    assert model(torch.randn(2, 3, 4, 32, 48)).shape == shape


def test_sinusoid_matches_official_numpy_table():
    """The official table: angle pos / 10000^(2 (j // 2) / d), sin on even
    and cos on odd columns, built in float64 numpy."""
    n, d = 50, 24
    angles = np.array([[p / np.power(10000, 2 * (j // 2) / d)
                        for j in range(d)] for p in range(n)])
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    ref = torch.from_numpy(angles).float()[None]
    torch.testing.assert_close(sinusoid_table(n, d), ref, rtol=0, atol=1e-7)


def test_visible_only_equals_full_then_gather_without_attention():
    """With no blocks no token sees another, so embedding only the visible
    tokens must equal embedding all and gathering the visible ones."""
    model = VideoMAE(arch=dict(TINY, num_layers=0)).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    mask = torch.zeros(2, 8, dtype=torch.bool)
    mask[0, [1, 2, 5]] = True
    mask[1, [0, 6, 7]] = True
    full = model(x)
    vis = model(x, mask)
    assert vis.shape == (2, 5, 64)
    torch.testing.assert_close(vis, full[~mask].reshape(2, 5, 64))


def test_mask_errors_are_clear():
    model = VideoMAE(arch=TINY)
    x = torch.randn(2, 3, 4, 32, 32)
    uneven = torch.zeros(2, 8, dtype=torch.bool)
    uneven[0, 0] = True
    with pytest.raises(ValueError, match='same number'):
        model(x, uneven)
    with pytest.raises(ValueError, match='mask must be bool'):
        model(x, torch.zeros(2, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match='T must be a multiple of 2'):
        model(torch.randn(1, 3, 3, 32, 32))
    # a partial patch at the right/bottom edge is left out, as Conv3d does
    assert model(torch.randn(1, 3, 4, 40, 47)).shape == (1, 2 * 2 * 2, 64)
    with pytest.raises(ValueError, match='featmap'):
        VideoMAE(arch=TINY, out_type='featmap')(x, uneven | True)
    with pytest.raises(KeyError, match='unknown arch'):
        VideoMAE(arch='gigantic')
    with pytest.raises(KeyError, match='lacks'):
        VideoMAE(arch=dict(embed_dims=64))


def test_learnable_pos_embed_interpolates_in_3d():
    model = VideoMAE(arch=TINY, img_size=32, num_frames=4,
                     learnable_pos_embed=True)
    assert model.pos_embed.shape == (1, 8, 64)
    # same grid: the parameter itself; another grid: trilinear resampling
    assert model.position_embedding((2, 2, 2)) is model.pos_embed
    assert model.position_embedding((4, 3, 2)).shape == (1, 24, 64)
    model(torch.randn(1, 3, 8, 48, 32)).sum().backward()
    assert model.pos_embed.grad.abs().sum() > 0
    # a constant table stays constant under interpolation
    with torch.no_grad():
        model.pos_embed.fill_(0.5)
    torch.testing.assert_close(model.position_embedding((3, 5, 4)),
                               torch.full((1, 60, 64), 0.5))


def test_fixed_pos_table_is_the_nominal_grids_resampled():
    """The official table at the nominal grid; elsewhere that table
    resampled (mmaction2 equality: test_convert), never a 1-D sinusoid
    recomputed for the new token count, which would move every token's
    code once the grid is wider (AVA's 256x341 test frames)."""
    model = VideoMAE(arch=TINY, img_size=32, num_frames=4)
    torch.testing.assert_close(model.position_embedding((2, 2, 2)),
                               sinusoid_table(8, 64))
    wide = model.position_embedding((2, 2, 3))
    assert wide.shape == (1, 12, 64)
    assert not torch.allclose(wide, sinusoid_table(12, 64))
    # the corner tokens of each frame keep their nominal codes exactly in
    # height (2 -> 2 rows is the identity), and frames are not mixed
    nominal = sinusoid_table(8, 64).reshape(2, 2, 2, 64)
    torch.testing.assert_close(wide.reshape(2, 2, 3, 64)[:, :, 1],
                               nominal.mean(2), atol=0.05, rtol=0)


@pytest.mark.parametrize('dtype', [None, torch.bfloat16, torch.float16])
def test_activation_checkpointing_matches_plain(dtype):
    """with_cp recomputes under the same autocast state and RNG state:
    gradients equal the plain run's, drop path included."""
    grads = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = VideoMAE(arch=TINY, with_cp=with_cp, drop_path_rate=0.3)
        model.train()
        x = torch.randn(2, 3, 4, 32, 32)
        torch.manual_seed(1)
        with torch.autocast('cpu', dtype=dtype or torch.bfloat16,
                            enabled=dtype is not None):
            out = model(x)
        if dtype is not None:
            assert out.dtype == dtype
        out.float().square().mean().backward()
        grads.append(torch.cat([p.grad.flatten()
                                for p in model.parameters()]))
    torch.testing.assert_close(grads[1], grads[0], rtol=0, atol=0)


def test_layer_scale_and_no_qkv_bias():
    model = VideoMAE(arch=TINY, layer_scale=0.1, qkv_bias=False)
    blk = model.blocks[0]
    assert blk.attn.q_bias is None and 'attn.q_bias' not in dict(
        blk.named_parameters())
    torch.testing.assert_close(blk.gamma_1, torch.full((64, ), 0.1))
    assert model(torch.randn(1, 3, 2, 16, 16)).shape == (1, 1, 64)


def _hf_pair(use_mean_pooling: bool, num_labels: int = 0):
    transformers = pytest.importorskip('transformers')
    config = transformers.VideoMAEConfig(
        image_size=48, patch_size=16, num_channels=3, num_frames=4,
        tubelet_size=2, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=256, qkv_bias=True,
        use_mean_pooling=use_mean_pooling, layer_norm_eps=1e-6,
        hidden_act='gelu', num_labels=max(num_labels, 1))
    torch.manual_seed(0)
    hf = (transformers.VideoMAEForVideoClassification(config)
          if num_labels else transformers.VideoMAEModel(config)).eval()
    randomize(hf)
    ours = VideoMAE(arch=TINY, img_size=48, num_frames=4,
                    out_type='pooled' if num_labels else 'tokens').eval()
    missing, unexpected = ours.load_state_dict(
        convert_hf_backbone(hf.state_dict()), strict=True)
    assert not missing and not unexpected
    return hf, ours


def test_encoder_equals_hf_videomae_model():
    """Same weights, same clip: our tokens equal HF's last hidden state
    (fp32, max abs diff <= 1e-5), with and without a mask."""
    hf, ours = _hf_pair(use_mean_pooling=False)
    x = torch.randn(3, 3, 4, 48, 48)
    mask = torch.zeros(3, 18, dtype=torch.bool)
    gen = torch.Generator().manual_seed(3)
    for row in mask:
        row[torch.randperm(18, generator=gen)[:12]] = True
    with torch.no_grad():
        ref = hf(pixel_values=x.transpose(1, 2)).last_hidden_state
        ref_vis = hf(pixel_values=x.transpose(1, 2),
                     bool_masked_pos=mask).last_hidden_state
        out, out_vis = ours(x), ours(x, mask)
    assert ref.abs().max() > 0.1
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)
    torch.testing.assert_close(out_vis, ref_vis, rtol=0, atol=1e-5)


def test_pooled_feature_equals_hf_classifier_path():
    """Mean pooling + fc_norm + HF's classifier gives HF's logits."""
    hf, ours = _hf_pair(use_mean_pooling=True, num_labels=7)
    x = torch.randn(2, 3, 4, 48, 48)
    with torch.no_grad():
        ref = hf(pixel_values=x.transpose(1, 2)).logits
        out = torch.nn.functional.linear(ours(x), hf.classifier.weight,
                                         hf.classifier.bias)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)


def test_builds_through_mmaction_and_mmdet_registries():
    from mmdet.registry import MODELS as MMDET_MODELS
    cfg = dict(type='VideoMAE', arch=TINY, out_type='featmap')
    assert isinstance(MODELS.build(cfg), VideoMAE)
    assert isinstance(MMDET_MODELS.build(cfg), VideoMAE)
    assert isinstance(MMDET_MODELS.build(dict(cfg, type='mmaction.VideoMAE')),
                      VideoMAE)
