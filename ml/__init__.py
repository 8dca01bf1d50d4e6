"""FertiVision image analyzers: pure PyTorch, numpy and Pillow. Never imports Django."""

__all__ = ["base", "registry"]
