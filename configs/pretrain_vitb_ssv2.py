# ViT-B, Something-Something V2: stride 2, no flip (left/right matters in
# SSv2 labels), 2400 epochs.
_base_ = ['_base_/pretrain_vitb_k400.py']
data_root = 'data/sthv2/videos'
ann_file = 'data/sthv2/sthv2_train_list_videos.txt'
epochs = 2400
train_pipeline = [
    dict(type='DecodeClips', clip_len=16, frame_interval=2, num_clips=1,
         short_side=256),
    dict(type='MultiScaleCropResize', size=224,
         scales=(1, .875, .75, .66), flip_ratio=0.0),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(ann_file=ann_file,
                                     data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
train_cfg = dict(max_epochs=epochs)
