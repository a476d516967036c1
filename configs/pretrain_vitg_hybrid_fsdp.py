# VideoMAE V2's ViT-g pre-training (scripts/pretrain/vit_g_hybrid_pt.sh)
# sharded with FSDP: patch 14, 16 frames at stride 4, tube masking 90% and
# decoder masking 50% (V2 draws a running-cell pattern; here a random half
# of the hidden tokens is reconstructed), AdamW (0.9, 0.95), lr 6e-4 x
# total batch / 256 (V2's run_mae_pretraining.py counts videos, not the
# 4 clips drawn from each), gradient clip 0.02, 30 warm-up epochs of 300,
# activation checkpointing. 64 GPUs x 32 videos x 4 clips; data: a video
# list of UnlabeledHybrid.
_base_ = ['_base_/pretrain_vitb_k400.py', '_base_/fsdp.py']
data_root = 'data/hybrid/videos'
ann_file = 'data/hybrid/hybrid_train_list_videos.txt'
num_clips, epochs, warmup_epochs = 4, 300, 30
total_batch = 64 * 32  # videos
base_lr = 6e-4 * total_batch / 256

model = dict(
    backbone=dict(arch='giant', patch_size=14, with_cp=True),
    data_preprocessor=dict(decoder_mask_ratio=0.5))
train_pipeline = [
    dict(type='DecodeClips', clip_len=16, frame_interval=4,
         num_clips=num_clips, short_side=256),
    dict(type='MultiScaleCropResize', size=224, scales=(1, .875, .75, .66),
         flip_ratio=0.5),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(ann_file=ann_file,
                                     data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
train_cfg = dict(max_epochs=epochs)
optim_wrapper = dict(optimizer=dict(lr=base_lr), clip_grad=dict(max_norm=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=total_batch)
