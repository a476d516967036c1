# The toy detector reading the mp4 videos directly (AVAVideoDecode) instead
# of extracted frames: same data, same model.
_base_ = ['ava_toy_vit-tiny.py']
data_root = 'data/toy_ava'
clip_len, frame_interval, size = 8, 2, 96
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval),
    dict(type='AVAVideoDecode'),
    dict(type='RandomRescale', scale_range=(size, size + 16)),
    dict(type='RandomCrop', size=size),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=clip_len,
         frame_interval=frame_interval, test_mode=True),
    dict(type='AVAVideoDecode'),
    dict(type='Resize', scale=(-1, size)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(
    data_prefix=dict(img=f'{data_root}/videos'), pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    data_prefix=dict(img=f'{data_root}/videos'), pipeline=val_pipeline))
test_dataloader = val_dataloader
