"""VideoMAE pre-training: masks, target, loss, HF equivalence, configs."""
import glob

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

import videomae_det  # noqa: F401
from conftest import ROOT, hf_pretraining_model
from videomae_det.checkpoint.hf import convert_hf_pretrainer
from videomae_det.models.masking import decoder_mask, make_mask
from videomae_det.models.pretrainer import patchify, unpatchify

TINY = dict(
    type='VideoMAEPretrainer',
    backbone=dict(type='VideoMAE',
                  arch=dict(embed_dims=64, num_layers=2, num_heads=4),
                  img_size=32, num_frames=4),
    decoder=dict(embed_dims=32, num_layers=2, num_heads=2))


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize('ratio', [0.75, 0.9, 0.95])
def test_tube_mask_ratio_and_same_mask_in_every_slice(ratio):
    mask = make_mask('tube', 3, (8, 14, 14), ratio, gen())
    per_slice = mask.reshape(3, 8, 196)
    assert (per_slice.sum(-1) == int(ratio * 196)).all()
    assert (per_slice == per_slice[:, :1]).all()  # a tube
    assert not (per_slice[0, 0] == per_slice[1, 0]).all()  # per sample


def test_random_and_frame_masks():
    rand = make_mask('random', 4, (8, 14, 14), 0.9, gen())
    assert (rand.sum(1) == int(0.9 * 1568)).all()
    assert not (rand.reshape(4, 8, 196) == rand.reshape(4, 8, 196)[:, :1]
                ).all()
    frame = make_mask('frame', 4, (8, 14, 14), 0.875, gen())
    slices = frame.reshape(4, 8, 196)
    assert (slices.all(-1) | ~slices.any(-1)).all()  # whole slices
    assert (slices.all(-1).sum(1) == 7).all()


def test_masks_are_seeded():
    a = make_mask('tube', 2, (4, 7, 7), 0.9, gen(1))
    assert torch.equal(a, make_mask('tube', 2, (4, 7, 7), 0.9, gen(1)))
    assert not torch.equal(a, make_mask('tube', 2, (4, 7, 7), 0.9, gen(2)))
    with pytest.raises(KeyError, match='unknown mask type'):
        make_mask('block', 1, (1, 2, 2), 0.5, gen())
    with pytest.raises(ValueError, match='ratio'):
        make_mask('tube', 1, (1, 2, 2), 1.0, gen())


def test_decoder_mask_is_subset_of_hidden():
    mask = make_mask('tube', 3, (4, 7, 7), 0.9, gen())
    dec = decoder_mask(mask, 0.5, gen(3))
    assert not (dec & ~mask).any()
    assert (dec.sum(1) == round(0.5 * int(mask[0].sum()))).all()


def test_decoder_and_encoder_place_tokens_alike_at_any_size():
    """The decoder's table is the official flat sinusoid at the nominal
    size; elsewhere it follows the encoder's rule (the nominal table
    resampled), not a flat table over the new token count."""
    from videomae_det.checkpoint.adapt import resample_pos_embed
    from videomae_det.models.backbones.videomae import sinusoid_table
    model = MODELS.build(TINY)
    nominal = model.backbone.grid_size  # (2, 2, 2)
    torch.testing.assert_close(model.decoder_pos_table((4, 32, 32), 32),
                               sinusoid_table(8, 32), rtol=0, atol=0)
    table = model.decoder_pos_table((4, 48, 64), 32)
    assert table.shape == (1, 2 * 3 * 4, 32)
    torch.testing.assert_close(table, resample_pos_embed(
        sinusoid_table(8, 32), nominal, (2, 3, 4)))
    assert not torch.allclose(table, sinusoid_table(24, 32))
    # the encoder's fixed table at the same grid: the same rule, own width
    torch.testing.assert_close(
        model.backbone.position_embedding((2, 3, 4)),
        resample_pos_embed(sinusoid_table(8, 64), nominal, (2, 3, 4)))
    x = torch.randn(2, 3, 4, 48, 64)
    mask = make_mask('tube', 2, (2, 3, 4), 0.75, gen())
    assert model.reconstruct(x, mask)['pred'].shape == (2, 18, 2 * 16 * 16 * 3)


def test_patchify_layout_and_inverse():
    """Cube pixels run (t, h, w) then channel; tokens run (t, h, w)."""
    v = torch.arange(2 * 3 * 4 * 32 * 48, dtype=torch.float).reshape(
        2, 3, 4, 32, 48)
    cubes = patchify(v, 2, 16)
    assert cubes.shape == (2, 2 * 2 * 3, 2 * 16 * 16, 3)
    # token 4 = (t'=0, h'=1, w'=1); its pixel 17 = (t=0, y=1, x=1), ch 2
    assert cubes[1, 4, 17, 2] == v[1, 2, 0, 16 + 1, 16 + 1]
    # token 7 = (t'=1, h'=0, w'=1); pixel 256 = (t=1, y=0, x=0)
    assert cubes[0, 7, 256, 0] == v[0, 0, 2 + 1, 0, 16]
    torch.testing.assert_close(unpatchify(cubes, (2, 2, 3), 2, 16), v)


def brute_force_target(pixels01: np.ndarray, tubelet: int, patch: int):
    """Loop over cubes: (B, N, t*p*p*C), normalised per cube and channel."""
    B, C, T, H, W = pixels01.shape
    rows = []
    for b in range(B):
        cubes = []
        for t in range(0, T, tubelet):
            for y in range(0, H, patch):
                for x in range(0, W, patch):
                    cube = pixels01[b, :, t:t + tubelet, y:y + patch,
                                    x:x + patch]
                    flat = cube.reshape(C, -1).T  # (t*p*p, C)
                    mean = flat.mean(0)
                    std = flat.std(0, ddof=1)
                    cubes.append(((flat - mean) / (std + 1e-6)).reshape(-1))
        rows.append(cubes)
    return np.array(rows)


def test_loss_against_independent_target():
    model = MODELS.build(TINY).eval()
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (2, 3, 4, 32, 32)).float()
    pre = model.data_preprocessor
    inputs = (raw - pre.mean.view(1, 3, 1, 1, 1)) / pre.std.view(
        1, 3, 1, 1, 1)
    mask = make_mask('tube', 2, (2, 2, 2), 0.5, gen())
    ref = brute_force_target((raw / 255.).double().numpy(), 2, 16)
    ref_hidden = torch.from_numpy(ref)[mask].reshape(2, -1, 1536).float()
    with torch.no_grad():
        out = model.reconstruct(inputs, mask)
    torch.testing.assert_close(out['target'], ref_hidden, rtol=1e-5,
                               atol=1e-5)
    expected = ((out['pred'] - ref_hidden)**2).mean()
    torch.testing.assert_close(out['loss'], expected, rtol=1e-5, atol=1e-6)
    model.norm_target = False
    with torch.no_grad():
        raw_target = model.reconstruct(inputs, mask)['target']
    cubes = patchify(raw / 255., 2, 16).flatten(2)
    torch.testing.assert_close(raw_target, cubes[mask].reshape(2, -1, 1536),
                               rtol=0, atol=1e-5)


@pytest.mark.parametrize('norm_pix_loss', [True, False])
def test_equals_hf_videomae_for_pretraining(norm_pix_loss):
    hf = hf_pretraining_model(2, norm_pix_loss)
    model = MODELS.build(dict(TINY, norm_target=norm_pix_loss)).eval()
    model.load_state_dict(convert_hf_pretrainer(hf.state_dict()),
                          strict=True)
    x = torch.randn(2, 3, 4, 32, 32)
    mask = make_mask('random', 2, (2, 2, 2), 0.5, gen(5))
    with torch.no_grad():
        ref = hf(x.transpose(1, 2), bool_masked_pos=mask)
        out = model.reconstruct(x, mask)
    assert ref.logits.abs().max() > 0.1
    torch.testing.assert_close(out['pred'], ref.logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(out['loss'], ref.loss, rtol=0, atol=1e-5)


def test_data_preprocessor_flattens_repeats_and_steps_masks():
    model = MODELS.build(TINY)
    pre = model.data_preprocessor
    clips = [torch.randint(0, 255, (2, 3, 4, 32, 32), dtype=torch.uint8)
             for _ in range(3)]
    first = pre(dict(inputs=clips, data_samples=None), training=True)
    assert first['inputs'].shape == (6, 3, 4, 32, 32)
    assert first['mask'].shape == (6, 8) and int(pre.step) == 1
    second = pre(dict(inputs=clips, data_samples=None), training=True)
    assert not torch.equal(first['mask'], second['mask'])
    # a resumed run restores `step` and draws the same masks again
    state = model.state_dict()
    assert 'data_preprocessor.step' in state
    other = MODELS.build(TINY)
    other.load_state_dict(state)
    third = pre(dict(inputs=clips, data_samples=None), training=True)
    again = other.data_preprocessor(dict(inputs=clips, data_samples=None),
                                    training=True)
    assert torch.equal(third['mask'], again['mask'])


def test_loss_and_predict_modes():
    model = MODELS.build(TINY)
    x = torch.randn(2, 3, 4, 32, 32)
    mask = make_mask('tube', 2, (2, 2, 2), 0.5, gen())
    losses = model(x, mode='loss', mask=mask)
    losses['loss'].backward()
    assert model.mask_token.grad is not None
    samples = model(x, mode='predict', mask=mask)
    assert samples[0].pred.shape == (4, 1536)
    with pytest.raises(ValueError, match='needs a mask'):
        model(x, mode='loss')
    dec = decoder_mask(mask, 0.5, gen())
    out = model(x, mode='tensor', mask=mask, decode_mask=dec)
    assert out['pred'].shape == (2, 2, 1536)
    with pytest.raises(ValueError, match='subset'):
        model(x, mode='tensor', mask=mask, decode_mask=~mask)


# the DDP recipes (the FSDP ones are tested in test_fsdp.py)
CONFIGS = sorted(glob.glob(str(ROOT / 'configs' /
                             'pretrain_vit[sblh]_*[0-9].py')))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.split('/')[-1])
def test_full_size_pretrain_configs_run_one_step(path):
    """Each full-size config builds as written and trains one step at a
    reduced input (4 frames, 32x32)."""
    cfg = Config.fromfile(path)
    assert cfg.optim_wrapper.optimizer.betas == (0.9, 0.95)
    assert cfg.model.data_preprocessor.mask_ratio == 0.9
    model = MODELS.build(cfg.model)
    clips = [torch.randint(0, 255, (1, 3, 4, 32, 32), dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=clips, data_samples=None),
                                   training=True)
    loss = model(**data, mode='loss')['loss']
    loss.backward()
    assert torch.isfinite(loss)
    arch = cfg.model.backbone.arch
    dec, heads = dict(small=(192, 3), base=(384, 6), large=(512, 8),
                      huge=(640, 8))[arch]  # the official decoders
    assert model.decoder.head.in_features == dec
    assert model.decoder.blocks[0].attn.num_heads == heads
    assert len(model.decoder.blocks) == 4
    del model


def test_lr_follows_the_official_rule():
    cfg = Config.fromfile(str(ROOT / 'configs' / 'pretrain_vitb_k400.py'))
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(1.5e-4 * 2048 /
                                                           256)
    assert cfg.auto_scale_lr.base_batch_size == 2048
    ssv2 = Config.fromfile(str(ROOT / 'configs' / 'pretrain_vitb_ssv2.py'))
    pipeline = ssv2.train_dataloader.dataset.pipeline
    assert pipeline[0].frame_interval == 2 and pipeline[1].flip_ratio == 0


def test_preprocessor_takes_the_backbones_cube():
    """The masks are drawn on the backbone's token grid (8-px patches here,
    no patch size in the preprocessor's config); a different cube given to
    the preprocessor is an error naming both keys."""
    from videomae_det.engine.runner_setup import ConfigError
    backbone = dict(type='VideoMAE', arch=dict(embed_dims=32, num_layers=1,
                                               num_heads=2),
                    img_size=32, num_frames=4, patch_size=8)
    model = MODELS.build(dict(type='VideoMAEPretrainer', backbone=backbone,
                              decoder=dict(embed_dims=16, num_heads=2)))
    clips = [torch.randint(0, 255, (3, 4, 32, 32), dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=clips, data_samples=None))
    assert data['mask'].shape == (1, 2 * 4 * 4)
    with pytest.raises(ConfigError, match='model.data_preprocessor.'
                       'patch_size=16 but model.backbone.patch_size=8'):
        MODELS.build(dict(type='VideoMAEPretrainer', backbone=backbone,
                          decoder=dict(embed_dims=16, num_heads=2),
                          data_preprocessor=dict(
                              type='MaskedVideoDataPreprocessor',
                              patch_size=16)))
