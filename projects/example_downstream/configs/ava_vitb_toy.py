# A downstream project's config, text route: videomae_det's AVA ViT-B
# detector from the installed package, with this project's data (the toy
# AVA set of `python -m videomae_det.tools data/make_toy_ava data/toy_ava`)
# and a head setting of its own. `videomae_det::` needs `import
# videomae_det` to have run (our tools, mim and python -m videomae_det.tools
# do; add it to your own tools).
_base_ = ['videomae_det::ava_vitb.py']

data_root = 'data/toy_ava'
anno = f'{data_root}/annotations'
toy = dict(timestamp_start=900, timestamp_end=910, fps=30, num_classes=6)
splits = {
    split: dict(ann_file=f'{anno}/toy_{split}.csv',
                exclude_file=f'{anno}/toy_{split}_excluded_timestamps.csv',
                label_file=f'{anno}/toy_action_list.pbtxt',
                proposal_file=f'{anno}/toy_dense_proposals_{split}.pkl')
    for split in ('train', 'val')
}

model = dict(
    # your pre-trained VideoMAE here (a missing file is an error); the
    # example starts from scratch
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=6, dropout_ratio=0.3)))
train_dataloader = dict(dataset=dict(
    data_prefix=dict(img=f'{data_root}/rawframes'), **splits['train'],
    **toy))
val_dataloader = dict(dataset=dict(
    data_prefix=dict(img=f'{data_root}/rawframes'), **splits['val'], **toy))
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=6, **{
    k: v for k, v in splits['val'].items() if k != 'proposal_file'})
test_evaluator = val_evaluator
