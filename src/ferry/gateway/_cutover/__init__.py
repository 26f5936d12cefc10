"""Weighted-DNS cutover from ingress-nginx to Envoy Gateway: the plan (pure) and the rehearsal (I/O).

Pure: ``_model``, ``_hosts``, ``_route53``, ``_schedule``, ``_externaldns``, ``_draining``, ``_planning``, ``_render``,
``_svg``, ``_dnsrules``, ``_metrics``. I/O: ``_inputs``, ``_files``, ``_dns_server``, ``_loadgen``, ``_sides``,
``_rehearsal`` (import-linter keeps the first group from importing the second).
"""

from ferry.gateway._cutover._draining import check_draining as check_draining
from ferry.gateway._cutover._draining import draining_settings as draining_settings
from ferry.gateway._cutover._errors import CutoverError as CutoverError
from ferry.gateway._cutover._errors import RehearsalLossError as RehearsalLossError
from ferry.gateway._cutover._errors import UnsafePlanError as UnsafePlanError
from ferry.gateway._cutover._externaldns import PREFIX as EXTERNAL_DNS_PREFIX
from ferry.gateway._cutover._files import write_plan as write_plan
from ferry.gateway._cutover._hosts import HostSource as HostSource
from ferry.gateway._cutover._hosts import hostnames_of as hostnames_of
from ferry.gateway._cutover._hosts import sources_of as sources_of
from ferry.gateway._cutover._inputs import read_objects as read_objects
from ferry.gateway._cutover._model import CutoverSpec as CutoverSpec
from ferry.gateway._cutover._model import Endpoint as Endpoint
from ferry.gateway._cutover._model import Gates as Gates
from ferry.gateway._cutover._model import Phase as Phase
from ferry.gateway._cutover._model import Plan as Plan
from ferry.gateway._cutover._model import Target as Target
from ferry.gateway._cutover._planning import PlanRequest as PlanRequest
from ferry.gateway._cutover._planning import plan_from_objects as plan_from_objects
from ferry.gateway._cutover._render import duration as duration
from ferry.gateway._cutover._render import plan_markdown as plan_markdown
from ferry.gateway._cutover._route53 import ZoneState as ZoneState
from ferry.gateway._cutover._route53 import check_batch as check_batch
from ferry.gateway._cutover._schedule import PROFILES as PROFILES
from ferry.gateway._cutover._schedule import build_plan as build_plan
from ferry.gateway._cutover._schedule import weights_for_steps as weights_for_steps
from ferry.gateway._cutover._svg import timeline_svg as timeline_svg

__all__ = [
    "EXTERNAL_DNS_PREFIX",
    "PROFILES",
    "CutoverError",
    "CutoverSpec",
    "Endpoint",
    "Gates",
    "HostSource",
    "Phase",
    "Plan",
    "PlanRequest",
    "RehearsalLossError",
    "Target",
    "UnsafePlanError",
    "ZoneState",
    "build_plan",
    "check_batch",
    "check_draining",
    "draining_settings",
    "duration",
    "hostnames_of",
    "plan_from_objects",
    "plan_markdown",
    "read_objects",
    "sources_of",
    "timeline_svg",
    "weights_for_steps",
    "write_plan",
]
