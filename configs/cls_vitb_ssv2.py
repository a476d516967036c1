# VideoMAE ViT-B fine-tuned on Something-Something V2 from its own
# VideoMAE pre-training (configs/pretrain_vitb_ssv2.py): the recipe of
# _base_/cls_vitb_ssv2.py with this size's depth,
# drop path 0.1, layer decay 0.75, 40 epochs.
_base_ = ['_base_/cls_vitb_ssv2.py']
