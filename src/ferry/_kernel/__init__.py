"""The shared kernel: what every system needs and no system owns.

Estates and the objects in them, YAML with line numbers, the report types assessors return, atomic writes,
optional-dependency imports and the programs ferry drives (started, waited on, always stopped). No domain
logic lives here.
"""

from ferry._kernel._atomic import atomic_write_bytes as atomic_write_bytes
from ferry._kernel._atomic import atomic_write_text as atomic_write_text
from ferry._kernel._estate import AREAS as AREAS
from ferry._kernel._estate import Estate as Estate
from ferry._kernel._estate import EstateFile as EstateFile
from ferry._kernel._estate import EstateProblem as EstateProblem
from ferry._kernel._estate import load_estate as load_estate
from ferry._kernel._extras import require as require
from ferry._kernel._kinds import is_known_kind as is_known_kind
from ferry._kernel._manifests import KubeObject as KubeObject
from ferry._kernel._manifests import SourceRef as SourceRef
from ferry._kernel._manifests import parse_manifests as parse_manifests
from ferry._kernel._process import ManagedProcess as ManagedProcess
from ferry._kernel._process import find_tool as find_tool
from ferry._kernel._process import free_port as free_port
from ferry._kernel._process import wait_for_port as wait_for_port
from ferry._kernel._report import Artifact as Artifact
from ferry._kernel._report import Assessor as Assessor
from ferry._kernel._report import Chart as Chart
from ferry._kernel._report import Finding as Finding
from ferry._kernel._report import Section as Section
from ferry._kernel._report import Severity as Severity
from ferry._kernel._yaml import YamlDocument as YamlDocument
from ferry._kernel._yaml import dump_yaml as dump_yaml
from ferry._kernel._yaml import load_documents as load_documents

__all__ = [
    "AREAS",
    "Artifact",
    "Assessor",
    "Chart",
    "Estate",
    "EstateFile",
    "EstateProblem",
    "Finding",
    "KubeObject",
    "ManagedProcess",
    "Section",
    "Severity",
    "SourceRef",
    "YamlDocument",
    "atomic_write_bytes",
    "atomic_write_text",
    "dump_yaml",
    "find_tool",
    "free_port",
    "is_known_kind",
    "load_documents",
    "load_estate",
    "parse_manifests",
    "require",
    "wait_for_port",
]
