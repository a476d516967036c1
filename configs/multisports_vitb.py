# VideoMAE ViT-B (K400 pre-trained) on MultiSports (multisports_GT.pkl; the
# mp4 videos read directly, no frame extraction): 66 actions trained, 60
# scored (MultiSports' rules). Test boxes: the released Faster R-CNN person
# boxes (tools/data/tubes/convert_multisports_boxes.py). Protocol of
# mmaction2's MultiSports validation: annotated frames only, the top class
# per box (`--cfg-options val_dataloader.dataset.keyframes=all
# val_evaluator.frames=all test_dataloader.dataset.keyframes=all
# test_evaluator.frames=all` scores every frame). No VideoMAE MultiSports
# recipe is published: mmaction2's (configs/detection/slowonly/..._
# multisports-rgb.py: 8 epochs, warm-up over 5, lr x0.1 at 6 and 7) with the
# backbone's own 16x4 clips and our AVA ViT-B optimiser.
_base_ = ['_base_/tubes_vitb_k400.py']

data_root = 'data/multisports'
ann_file = f'{data_root}/trainval/multisports_GT.pkl'
proposal_file_test = f'{data_root}/annotations/person_boxes_val.pkl'
num_classes = 67  # 66 actions + background

model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes)))
stream = dict(type='AVAVideoDecode', units='frames')
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=4), stream,
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=4,
         test_mode=True), dict(stream, scale=(-1, 256)),  # at that size
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
data = dict(ann_file=ann_file, video_suffix='.mp4',
            data_prefix=dict(img=f'{data_root}/trainval'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **data))
val_dataloader = dict(dataset=dict(
    pipeline=val_pipeline, keyframes='annotated',
    proposal_file=proposal_file_test, **data))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file, protocol='multisports',
                     frames='annotated', labels_per_box='argmax')
test_evaluator = val_evaluator

epochs = 8
train_cfg = dict(max_epochs=epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=epochs,
         milestones=[6, 7], gamma=0.1)
]
