"""Reading ferry.coco's inputs from disk (I/O): profiles, PEM files, initdata inputs."""

from __future__ import annotations

from pathlib import Path

from ferry._kernel import load_documents
from ferry.coco._errors import ProfileError
from ferry.coco._profile import CocoProfile, parse_profile
from ferry.errors import InputError, ManifestError

__all__ = ["load_profile", "read_bytes"]


def read_bytes(path: str | Path, what: str, *, limit: int = 16 * 1024 * 1024) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise InputError(f"{what} is {size} bytes, over the {limit} byte limit", where=str(p))
        return p.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{what} not found", where=str(p)) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{what} is a directory, expected a file", where=str(p)) from exc
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", where=str(p)) from exc


def load_profile(path: str | Path | None) -> CocoProfile:
    """The profile in ``path`` (YAML), or the built-in default profile when ``path`` is None."""
    if path is None:
        return CocoProfile()
    raw = read_bytes(path, "CoCo profile", limit=1024 * 1024)
    try:
        docs = load_documents(raw.decode("utf-8"), str(path))
    except UnicodeDecodeError as exc:
        raise ProfileError("the profile is not UTF-8 text", where=str(path)) from exc
    except ManifestError as exc:
        raise ProfileError(exc.message, where=exc.where, hint=exc.hint) from exc
    if len(docs) != 1:
        raise ProfileError(f"expected one YAML document, found {len(docs)}", where=str(path))
    return parse_profile(docs[0].data, str(path))
