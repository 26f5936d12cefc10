"""ferry.genai."""

__all__: list[str] = []
