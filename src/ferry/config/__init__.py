"""ferry.config: layered configuration."""

__all__: list[str] = []
