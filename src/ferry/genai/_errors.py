"""The errors ferry.genai raises: leaves under :class:`ferry.errors.GenAIError`."""

from __future__ import annotations

from ferry.errors import GenAIError

__all__ = ["OTLPDecodeError", "PayloadTooLargeError", "PriceTableError", "StoreError", "TraceNotFoundError"]


class OTLPDecodeError(GenAIError):
    """An OTLP payload or file that cannot be decoded (bad JSON, bad protobuf, wrong shape)."""


class PayloadTooLargeError(GenAIError):
    """An OTLP payload above the receiver's size limit (after decompression)."""


class PriceTableError(GenAIError):
    """A price table that cannot be read or has a bad entry."""


class StoreError(GenAIError):
    """The trace store cannot be opened or written."""


class TraceNotFoundError(GenAIError):
    """A trace id that is not in the input or the store."""
