"""Convolution and pooling ops (filled in by the conv work)."""

__all__ = []
