from .tube_head import BBoxHeadTube

__all__ = ['BBoxHeadTube']
