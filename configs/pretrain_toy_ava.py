# Pre-train the toy detector's backbone (96 dims, 4 blocks, 16px patches,
# 96px input) on the toy AVA videos, 4 clips per decoded video, with the
# official per-cube normalised target. The toy's people and rooms have
# structure at the patch scale, so that target is learnable (on the earlier
# flat boxes on noise it barely moved).
# lr 3e-4, not the 2e-3 of pretrain_toy_clips.py: it transferred better to
# the toy detector, as it did for the classification toy.
# (measurements: docs/experiments/toy_detection.md) Make the data with:
#   python tools/data/make_toy_ava.py data/toy_ava
_base_ = ['pretrain_toy_clips.py']
num_frames, img_size = 8, 96

model = dict(
    backbone=dict(img_size=img_size, num_frames=num_frames, patch_size=16),
    norm_target=True)
train_pipeline = [
    dict(type='DecodeClips', clip_len=num_frames, frame_interval=2,
         num_clips=4, short_side=img_size),
    dict(type='MultiScaleCropResize', size=img_size,
         scales=(1, .875, .75, .66), flip_ratio=0.5),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    dataset=dict(
        times=2,
        dataset=dict(_delete_=True, type='UnlabelledVideoDataset',
                     ann_file='data/toy_ava/annotations/toy_pretrain_list.txt',
                     data_prefix=dict(video='data/toy_ava/videos'),
                     pipeline=train_pipeline)))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
