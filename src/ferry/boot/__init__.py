"""ferry.boot."""

__all__: list[str] = []
