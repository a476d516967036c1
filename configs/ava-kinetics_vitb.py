# VideoMAE ViT-B (K400 pre-trained) on AVA-Kinetics: AVA v2.2 train plus
# the Kinetics part, read straight from the Kinetics-700 clips
# (<youtube_id>_<start:06d>_<end:06d>.mp4, any folders below
# kinetics_root); validated on AVA-Kinetics val (AVA val and the Kinetics
# val keyframes in one frame-mAP@0.5, the official AVA rules), with AVA
# val's own mAP reported beside it (mAP/ava_val_v2.2). Recipe of mmaction2's
# vit-base-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py
# (16x4 clips, AdamW 1.25e-4 for batch 64, layer decay 0.75, drop path 0.2,
# 5 warm-up epochs then cosine to 20), which is _base_/ava_vitb_k400.py's.
# Target, theirs: 33.6 mAP on AVA val.
_base_ = ['_base_/ava_vitb_k400.py']

kinetics_root = 'data/ava_kinetics/kinetics_clips'
kinetics_anno = 'data/ava_kinetics/annotations'
kinetics_ann_train = f'{kinetics_anno}/kinetics_train_v1.0.csv'
kinetics_ann_val = f'{kinetics_anno}/kinetics_val_v1.0.csv'
# person boxes (scores > 0.7 kept): mmaction2's fetch_proposal.py output
# reads as is (keys by its re-cut clips or by YouTube id)
kinetics_proposals_train = f'{kinetics_anno}/kinetics_proposal.pkl'
kinetics_proposals_val = f'{kinetics_anno}/kinetics_val_proposal.pkl'

clip = dict(clip_len=16, frame_interval=4)
decode = dict(type='AVAVideoDecode')  # times from each clip's start
kinetics_train_pipeline = [
    dict(type='SampleAVAFrames', **clip), decode,
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
kinetics_val_pipeline = [
    dict(type='SampleAVAFrames', test_mode=True, **clip),
    dict(decode, scale=(-1, 256)),  # decoded at that size
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
kinetics = dict(type='KineticsAVADataset', label_file={{_base_.label_file}},
                data_prefix=dict(img=kinetics_root),
                person_det_score_thr=0.7)
train_dataloader = dict(dataset=dict(
    _delete_=True, type='SeededConcatDataset', datasets=[
        {{_base_.train_dataloader.dataset}},
        dict(ann_file=kinetics_ann_train, pipeline=kinetics_train_pipeline,
             proposal_file=kinetics_proposals_train, **kinetics)]))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='SeededConcatDataset', datasets=[
        {{_base_.val_dataloader.dataset}},
        dict(ann_file=kinetics_ann_val, pipeline=kinetics_val_pipeline,
             proposal_file=kinetics_proposals_val, test_mode=True,
             **kinetics)]))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=[{{_base_.ann_file_val}}, kinetics_ann_val])
test_evaluator = val_evaluator
