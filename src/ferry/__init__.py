"""ferry: carries Kubernetes platform teams through the transitions of the cloud native stack.

Importing ``ferry`` is cheap: it loads the version and the error root, nothing else. Each system lives in its
own package (``ferry.gateway``, ``ferry.cache``, ``ferry.coco``, ``ferry.genai``, ``ferry.boot``), configuration in
``ferry.config`` and the front door in ``ferry.assess``.
"""

from ferry.errors import FerryError as FerryError

__version__ = "0.1.0"

__all__ = ["FerryError", "__version__"]
