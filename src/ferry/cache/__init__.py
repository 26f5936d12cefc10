"""ferry.cache."""

__all__: list[str] = []
