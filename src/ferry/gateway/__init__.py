"""ferry.gateway."""

# The weighted-DNS cutover (ferry gateway cutover plan / rehearse).
from ferry.gateway._cutover import EXTERNAL_DNS_PREFIX as EXTERNAL_DNS_PREFIX
from ferry.gateway._cutover import PROFILES as PROFILES
from ferry.gateway._cutover import CutoverError as CutoverError
from ferry.gateway._cutover import CutoverSpec as CutoverSpec
from ferry.gateway._cutover import Endpoint as Endpoint
from ferry.gateway._cutover import Gates as Gates
from ferry.gateway._cutover import HostSource as HostSource
from ferry.gateway._cutover import Phase as Phase
from ferry.gateway._cutover import Plan as Plan
from ferry.gateway._cutover import PlanRequest as PlanRequest
from ferry.gateway._cutover import RehearsalLossError as RehearsalLossError
from ferry.gateway._cutover import Target as Target
from ferry.gateway._cutover import UnsafePlanError as UnsafePlanError
from ferry.gateway._cutover import ZoneState as ZoneState
from ferry.gateway._cutover import build_plan as build_plan
from ferry.gateway._cutover import check_batch as check_batch
from ferry.gateway._cutover import check_draining as check_draining
from ferry.gateway._cutover import draining_settings as draining_settings
from ferry.gateway._cutover import duration as duration
from ferry.gateway._cutover import hostnames_of as hostnames_of
from ferry.gateway._cutover import plan_from_objects as plan_from_objects
from ferry.gateway._cutover import plan_markdown as plan_markdown
from ferry.gateway._cutover import read_objects as read_objects
from ferry.gateway._cutover import sources_of as sources_of
from ferry.gateway._cutover import timeline_svg as timeline_svg
from ferry.gateway._cutover import weights_for_steps as weights_for_steps
from ferry.gateway._cutover import write_plan as write_plan

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
