# The VideoMAE paper's own AVA detector (MCG-NJU/VideoMAE-Action-Detection)
# and its test protocol, built from the project's parts: the backbone's
# final-norm feature map averaged over time, RoIAlign 7x7 (scale 1/16,
# sampling ratio 0, aligned=False), max pooling, one Linear over 80 actions
# (a zero background row first), sigmoid on all of them; person boxes from
# AlphAction's detections at score >= 0.8 (tools/data/ava/
# convert_alphaction_boxes.py), pooled 10 % wider and 5 % taller, scores
# multiplied by the detector's; AlphAction's normalisation, zero padding
# to multiples of 16 after it; 16 frames at stride 4 at 25 fps around the
# keyframe (-31 ... +29 frames); the evaluator without the official
# 50-per-keyframe cap, as the paper's code scores. Training: its run
# scripts' recipe (AdamW, weight decay 0.05, drop path 0.2, 5 warm-up
# epochs then cosine to 5e-7, batch 128; lr, layer decay and epochs per
# size in each config). The released checkpoints convert with
# tools/convert_checkpoint.py --to detector (format official_ava).
_base_ = ['ava_vitb_k400.py']

proposal_file_val = ('data/ava/annotations/'
                     'ava_val_det_person_bbox.alphaction.pkl')
video_root = 'data/ava/videos_15min'  # AVA's 15-minute segments
mean, std = [122.7717, 115.9465, 102.9801], [57.375, 57.375, 57.375]

model = dict(
    backbone=dict(img_size=224, num_frames=16),
    roi_head=dict(
        type='OfficialAVARoIHead', enlarge=(0.1, 0.05),
        score_by_detector=True,
        bbox_roi_extractor=dict(output_size=7, aligned=False,
                                sampling_ratio=0, with_temporal_pool=True),
        bbox_head=dict(dropout_ratio=0.0, temporal_pool_type='avg',
                       spatial_pool_type='max')),
    data_preprocessor=dict(_delete_=True, type='PaddedActionDataPreprocessor',
                           _scope_='mmaction', mean=mean, std=std,
                           format_shape='NCTHW', pad_size_divisor=16))

official_times = dict(timestamp_start=900, timestamp_end=1800, fps=25)
clip = dict(clip_len=16, frame_interval=4, offset=1)
train_pipeline = [
    dict(type='SampleAVAFramesOffset', **clip),
    dict(type='AVAVideoDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=224),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackAVAInputs')
]
val_pipeline = [
    dict(type='SampleAVAFramesOffset', test_mode=True, **clip),
    dict(type='AVAVideoDecode', scale=(-1, 256)),  # decoded at that size
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackAVAInputs')
]
# training on the ground-truth boxes, as the official runs
train_dataloader = dict(dataset=dict(
    proposal_file=None, data_prefix=dict(img=video_root),
    pipeline=train_pipeline, **official_times))
val_dataloader = dict(dataset=dict(
    proposal_file=proposal_file_val, person_det_score_thr=0.0,
    missing_proposals='skip', data_prefix=dict(img=video_root),
    pipeline=val_pipeline, **official_times))
test_dataloader = val_dataloader
val_evaluator = dict(max_per_keyframe=0)  # uncapped, as the paper's code
test_evaluator = val_evaluator

epochs, warmup_epochs = 30, 5
train_cfg = dict(max_epochs=epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=5e-7, by_epoch=True,
         begin=warmup_epochs, convert_to_iter_based=True)
]
optim_wrapper = dict(clip_grad=None)
auto_scale_lr = dict(enable=False, base_batch_size=128)
