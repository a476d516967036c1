"""The ViT sizes of VideoMAE (and VideoMAE V2's ViT-g), as plain data: the
backbone builds from them, and the checkpoint converter and the config
checks read them without importing the model."""
from typing import Dict

ARCH_SETTINGS: Dict[str, Dict[str, float]] = {
    'small': dict(embed_dims=384, num_layers=12, num_heads=6),
    'base': dict(embed_dims=768, num_layers=12, num_heads=12),
    'large': dict(embed_dims=1024, num_layers=24, num_heads=16),
    'huge': dict(embed_dims=1280, num_layers=32, num_heads=16),
    # VideoMAE V2's ViT-g (use with patch_size=14)
    'giant': dict(embed_dims=1408, num_layers=40, num_heads=16,
                  mlp_ratio=48 / 11),
}
