from .backbones import VideoMAE

__all__ = ['VideoMAE']
