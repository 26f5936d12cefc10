"""ferry.config: layered configuration for services on Kubernetes.

Providers in explicit precedence (first hit wins), dotted keys spelled per provider (``log.level`` is ``LOG_LEVEL``,
``--log-level``, ``log/level``), typed reads, immutable snapshots published atomically, ConfigMap/Secret volume hot
reload, secret redaction and provenance::

    from ferry.config import CommandLine, Defaults, Directory, Environment, Reader

    config = Reader([
        CommandLine(),
        Environment(prefix="MYAPP"),
        Directory("/etc/myapp", watch=True),
        Defaults({"http.timeout": 30}),
    ])
    timeout = config.get("http.timeout", int)
"""

from ferry.config._access import ACCESS_LOG_ENV, AccessLog
from ferry.config._env import CommandLine, DotEnv, Environment
from ferry.config._errors import InvalidKeyError, KeyCollisionError, ParseError, SourceNotFoundError, UnknownFlagError
from ferry.config._events import AccessEvent, ProviderResult
from ferry.config._explain import Collision, Explanation
from ferry.config._files import Directory, File
from ferry.config._keys import cli_flag, env_name
from ferry.config._kubelet import kubelet_update
from ferry.config._memory import Defaults, InMemory, MutableInMemory
from ferry.config._provider import Provider
from ferry.config._reader import Reader
from ferry.config._reloading import ReloadStatus
from ferry.config._snapshot import Snapshot
from ferry.config._values import Base64, Hex, redact
from ferry.config._watch import Watch
from ferry.errors import ConfigError, ConversionError, MissingKeyError

__all__ = [
    "ACCESS_LOG_ENV",
    "AccessEvent",
    "AccessLog",
    "Base64",
    "Collision",
    "CommandLine",
    "ConfigError",
    "ConversionError",
    "Defaults",
    "Directory",
    "DotEnv",
    "Environment",
    "Explanation",
    "File",
    "Hex",
    "InMemory",
    "InvalidKeyError",
    "KeyCollisionError",
    "MissingKeyError",
    "MutableInMemory",
    "ParseError",
    "Provider",
    "ProviderResult",
    "Reader",
    "ReloadStatus",
    "Snapshot",
    "SourceNotFoundError",
    "UnknownFlagError",
    "Watch",
    "cli_flag",
    "env_name",
    "kubelet_update",
    "redact",
]
