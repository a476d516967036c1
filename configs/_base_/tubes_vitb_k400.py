# VideoMAE ViT-B (K400 pre-trained) on a tube benchmark in the ACT format
# (UCF101-24, JHMDB-21, MultiSports): the AVA detector of ava_vitb_k400.py
# with a single-label softmax head that learns the background (a tube has
# one action; untrimmed videos hold people who do not act), one sample per
# keyframe of TubeDataset, and TubeMAP's frame-mAP and video-mAP by the
# benchmark's official rules. A dataset config sets the files, the class
# count, the protocol and the recipe; `--cfg-options split=1` moves every
# split key at once (JHMDB-21 has 3 splits).
_base_ = ['ava_vitb_k400.py']

split = 0
ann_file = None  # the ACT annotation pickle
proposal_file_test = None  # person boxes at test; None: ground truth
num_classes = 25  # labels + background

# softmax over background + actions, negatives trained as background
# (mmaction2's BBoxHeadAVA trains positives only: see BBoxHeadTube)
# Boxes overlapping an acting person at IoU >= 0.5 learn the action (Fast
# R-CNN's rule and the metrics' threshold): AVA's 0.9 would teach a box
# that only jitters around an actor as background.
model = dict(
    roi_head=dict(bbox_head=dict(type='BBoxHeadTube',
                                 num_classes=num_classes, multilabel=False)),
    train_cfg=dict(rcnn=dict(assigner=dict(
        pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5))))

dataset_type = 'TubeDataset'
# the AVA pipelines of the base; a keyframe's clip is centred on it and
# clamped at the video's ends (SampleAVAFrames with the dataset's fps=1)
train_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, ann_file=ann_file, split=split,
    subset='train', data_prefix=dict(img=''), filename_tmpl='{:05d}.jpg',
    pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, ann_file=ann_file, split=split,
    subset='test', data_prefix=dict(img=''), filename_tmpl='{:05d}.jpg',
    keyframes='all', proposal_file=proposal_file_test,
    pipeline={{_base_.val_pipeline}}, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='TubeMAP', ann_file=ann_file,
                     protocol='ucf-jhmdb', split=split, frames='all')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='tubes/frame_mAP'))
