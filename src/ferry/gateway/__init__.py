"""ferry.gateway."""

__all__: list[str] = []
