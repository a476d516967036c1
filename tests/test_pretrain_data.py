"""The pre-training data: list/folder dataset, the fast clip pipeline, and
the toy config end to end through the tools."""
import os

import cv2
import decord
import numpy as np
import pytest

import videomae_det  # noqa: F401
from conftest import ROOT, run_python
from videomae_det.datasets import (
    DecodeClips,
    MultiScaleCropResize,
    UnlabelledVideoDataset,
)
from videomae_det.datasets.transforms import clip_indices


def test_decoded_frames_equal_decord_at_the_same_indices(clips):
    """Native size: the frames are exactly decord's for the sampled
    indices; scaled (720p to short side 180): decord's own scaled decode of
    those indices."""
    path = clips['carphone_pristine']  # 176x144
    out = DecodeClips(clip_len=8, frame_interval=3, num_clips=2,
                      short_side=256)(dict(filename=path))
    ref = decord.VideoReader(path).get_batch(
        out['frame_inds'].tolist()).asnumpy()
    frames = out['imgs'][out['clip_frames'].reshape(-1)]
    np.testing.assert_array_equal(frames, ref)
    assert out['clip_frames'].shape == (2, 8)

    path = clips['bigbuckbunny']  # 1280x720
    out = DecodeClips(clip_len=4, frame_interval=4, num_clips=1,
                      short_side=180)(dict(filename=path))
    assert out['img_shape'] == (180, 320)
    ref = decord.VideoReader(path, width=320, height=180).get_batch(
        out['frame_inds'].tolist()).asnumpy()
    np.testing.assert_array_equal(out['imgs'][out['clip_frames'][0]], ref)


def test_clip_indices_loop_and_test_mode():
    inds = clip_indices(10, 4, 4, 3, test_mode=False)
    assert inds.shape == (3, 4) and (inds < 10).all()
    assert (np.diff(inds[0]) % 10 == 4).all()
    test = clip_indices(100, 4, 2, 3, test_mode=True)
    np.testing.assert_array_equal(test[:, 0], [23, 46, 70])


def test_crop_resize_test_mode_is_centre_crop(clips):
    results = DecodeClips(clip_len=4, frame_interval=2,
                          short_side=256)(dict(filename=clips['bikes']))
    imgs = results['imgs'].copy()
    out = MultiScaleCropResize(size=64, test_mode=True)(results)
    h, w = imgs.shape[1:3]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    ref = cv2.resize(imgs[0, y:y + s, x:x + s], (64, 64),
                     interpolation=cv2.INTER_LINEAR)
    assert out['imgs'].shape == (1, 3, 4, 64, 64)
    assert out['imgs'].dtype == np.uint8
    np.testing.assert_array_equal(out['imgs'][0, :, 0], ref.transpose(2, 0,
                                                                      1))


def test_crop_resize_draws_a_crop_and_flip_per_clip(clips):
    import random
    random.seed(3)
    results = DecodeClips(clip_len=2, frame_interval=2, num_clips=6,
                          short_side=256)(dict(filename=clips['bikes']))
    out = MultiScaleCropResize(size=64, flip_ratio=0.5)(results)
    assert out['imgs'].shape == (6, 3, 2, 64, 64)
    assert len(set(out['crop_boxes'])) > 1


def test_dataset_reads_lists_and_folders(tmp_path, clips):
    kinetics = tmp_path / 'k400.txt'
    kinetics.write_text('a.mp4 3\n\nb.mp4 7\n')
    ssv2 = tmp_path / 'ssv2.txt'
    ssv2.write_text('c.webm 48 12\n')
    ds = UnlabelledVideoDataset(ann_file=str(kinetics),
                                data_prefix=dict(video='/root'))
    assert [ds.get_data_info(i)['filename']
            for i in range(len(ds))] == ['/root/a.mp4', '/root/b.mp4']
    assert UnlabelledVideoDataset(
        ann_file=str(ssv2)).get_data_info(0)['filename'] == 'c.webm'
    folder = os.path.dirname(clips['bikes'])
    ds = UnlabelledVideoDataset(data_prefix=dict(video=folder))
    assert len(ds) == len(clips)
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        UnlabelledVideoDataset(ann_file=str(tmp_path / 'nope.txt'))
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='no videos'):
        UnlabelledVideoDataset(ann_file=str(tmp_path / 'empty.txt'))


def test_toy_pretraining_runs_and_the_visualiser_loads_it(tmp_path,
                                                          ann_file, clips):
    config = str(ROOT / 'configs' / 'pretrain_toy_clips.py')
    result = run_python([
        'tools/train.py', config, '--work-dir', str(tmp_path),
        '--cfg-options', f'train_dataloader.dataset.dataset.ann_file='
        f'{ann_file}', 'train_cfg.max_epochs=2',
        'default_hooks.checkpoint.interval=1',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ])
    assert 'loss:' in result.stdout + result.stderr
    ckpt = tmp_path / 'epoch_2.pth'
    assert ckpt.exists()
    png = tmp_path / 'recon.png'
    result = run_python([
        'tools/visualize_reconstruction.py', clips['bikes'], config,
        str(ckpt), '--out', str(png)
    ])
    assert 'mask ratio 90%: 228 of 256 tokens hidden' in result.stdout
    assert png.stat().st_size > 10_000
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
