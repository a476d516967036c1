# VideoMAE ViT-B fine-tuned on Kinetics-400 from its own
# VideoMAE pre-training (configs/pretrain_vitb_k400.py): the recipe of
# _base_/cls_vitb_k400.py with this size's depth,
# drop path 0.1, layer decay 0.75, 75 epochs.
_base_ = ['_base_/cls_vitb_k400.py']
