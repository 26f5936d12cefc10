"""ferry.coco."""

__all__: list[str] = []
