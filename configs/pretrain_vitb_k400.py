# ViT-B, Kinetics-400, 1600 epochs (the paper's main K400 setting; its
# ablations use 800: --cfg-options train_cfg.max_epochs=800).
_base_ = ['_base_/pretrain_vitb_k400.py']
