# The same config, new-style route: videomae_det's generated module of the
# AVA ViT-B detector, imported under read_base() (no `import videomae_det`
# needed to read it; building it imports the package).
from mmengine.config import read_base

with read_base():
    from videomae_det.configs.ava_vitb import *  # noqa: F401,F403

data_root = 'data/toy_ava'
anno = f'{data_root}/annotations'
toy = dict(timestamp_start=900, timestamp_end=910, fps=30, num_classes=6)

# your pre-trained VideoMAE here (a missing file is an error); the example
# starts from scratch
model.backbone.init_cfg = None  # noqa: F405
model.roi_head.bbox_head.update(num_classes=6, dropout_ratio=0.3)  # noqa
for loader, split in ((train_dataloader, 'train'),  # noqa: F405
                      (val_dataloader, 'val'), (test_dataloader, 'val')):  # noqa
    loader.dataset.update(
        ann_file=f'{anno}/toy_{split}.csv',
        exclude_file=f'{anno}/toy_{split}_excluded_timestamps.csv',
        label_file=f'{anno}/toy_action_list.pbtxt',
        proposal_file=f'{anno}/toy_dense_proposals_{split}.pkl',
        data_prefix=dict(img=f'{data_root}/rawframes'), **toy)
for evaluator in (val_evaluator, test_evaluator):  # noqa: F405
    evaluator.update(
        ann_file=f'{anno}/toy_val.csv',
        exclude_file=f'{anno}/toy_val_excluded_timestamps.csv',
        label_file=f'{anno}/toy_action_list.pbtxt', num_classes=6)
del loader, split, evaluator  # noqa: F821
