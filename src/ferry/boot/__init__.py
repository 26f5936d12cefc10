"""ferry.boot: UEFI boot order audit and repair.

Read boot configuration in every form a team has (``efibootmgr -v`` old and new, efivarfs directories, OVMF NVRAM,
Redfish, Dell/HPE/Supermicro BIOS attributes), predict the time to a successful boot from per-attempt timeouts,
plan the fix (provisioning, steady state, one-off BootNext), emit it (efibootmgr, Redfish PATCH, iPXE), apply it
(efivarfs directory, efibootmgr, Redfish over HTTPS) and verify it by booting OVMF under QEMU.

Pure modules (parse, model, predict, plan, emit, diff) never import the I/O ones (load, apply, Redfish, QEMU);
import-linter enforces it.
"""

from ferry.boot._apply_efivars import ApplyResult as ApplyResult
from ferry.boot._apply_efivars import apply_efibootmgr as apply_efibootmgr
from ferry.boot._apply_efivars import apply_efivarfs as apply_efivarfs
from ferry.boot._apply_efivars import read_efivarfs as read_efivarfs
from ferry.boot._apply_efivars import write_efivarfs as write_efivarfs
from ferry.boot._assess import assess_boot as assess_boot
from ferry.boot._audit import FleetAudit as FleetAudit
from ferry.boot._audit import ServerAudit as ServerAudit
from ferry.boot._audit import audit_fleet as audit_fleet
from ferry.boot._audit import audit_server as audit_server
from ferry.boot._devpath import classify as classify
from ferry.boot._devpath import decode_device_path as decode_device_path
from ferry.boot._devpath import encode_device_path as encode_device_path
from ferry.boot._diff import BootDiff as BootDiff
from ferry.boot._diff import diff_configs as diff_configs
from ferry.boot._efiapp import BOOT_MARKER as BOOT_MARKER
from ferry.boot._efiapp import efi_boot_target as efi_boot_target
from ferry.boot._emit import efibootmgr_commands as efibootmgr_commands
from ferry.boot._emit import efibootmgr_script as efibootmgr_script
from ferry.boot._emit import ipxe_script as ipxe_script
from ferry.boot._emit import redfish_requests as redfish_requests
from ferry.boot._errors import BootApplyError as BootApplyError
from ferry.boot._errors import BootDumpError as BootDumpError
from ferry.boot._errors import BootPlanError as BootPlanError
from ferry.boot._errors import BootVerifyError as BootVerifyError
from ferry.boot._errors import EmulatorError as EmulatorError
from ferry.boot._findings import AT_RISK_S as AT_RISK_S
from ferry.boot._findings import BootFinding as BootFinding
from ferry.boot._load import Fleet as Fleet
from ferry.boot._load import load_dump as load_dump
from ferry.boot._load import load_fleet as load_fleet
from ferry.boot._model import BootConfig as BootConfig
from ferry.boot._model import BootOption as BootOption
from ferry.boot._model import NicFact as NicFact
from ferry.boot._model import OptionKind as OptionKind
from ferry.boot._parse_binary import parse_efivarfs as parse_efivarfs
from ferry.boot._parse_binary import parse_varstore as parse_varstore
from ferry.boot._parse_efibootmgr import parse_efibootmgr as parse_efibootmgr
from ferry.boot._parse_redfish import parse_redfish as parse_redfish
from ferry.boot._parse_vendor import parse_bios as parse_bios
from ferry.boot._plan import PLAN_MODES as PLAN_MODES
from ferry.boot._plan import Plan as Plan
from ferry.boot._plan import make_plan as make_plan
from ferry.boot._predict import Attempt as Attempt
from ferry.boot._predict import Outcome as Outcome
from ferry.boot._predict import Prediction as Prediction
from ferry.boot._predict import predict as predict
from ferry.boot._redfish import RedfishClient as RedfishClient
from ferry.boot._redfish import apply_redfish as apply_redfish
from ferry.boot._timing import EDK2_FAILURE_S as EDK2_FAILURE_S
from ferry.boot._timing import TimingModel as TimingModel
from ferry.boot._verify import VerifyReport as VerifyReport
from ferry.boot._verify import verify_qemu as verify_qemu

__all__ = [
    "AT_RISK_S",
    "BOOT_MARKER",
    "EDK2_FAILURE_S",
    "PLAN_MODES",
    "ApplyResult",
    "Attempt",
    "BootApplyError",
    "BootConfig",
    "BootDiff",
    "BootDumpError",
    "BootFinding",
    "BootOption",
    "BootPlanError",
    "BootVerifyError",
    "EmulatorError",
    "Fleet",
    "FleetAudit",
    "NicFact",
    "OptionKind",
    "Outcome",
    "Plan",
    "Prediction",
    "RedfishClient",
    "ServerAudit",
    "TimingModel",
    "VerifyReport",
    "apply_efibootmgr",
    "apply_efivarfs",
    "apply_redfish",
    "assess_boot",
    "audit_fleet",
    "audit_server",
    "classify",
    "decode_device_path",
    "diff_configs",
    "efi_boot_target",
    "efibootmgr_commands",
    "efibootmgr_script",
    "encode_device_path",
    "ipxe_script",
    "load_dump",
    "load_fleet",
    "make_plan",
    "parse_bios",
    "parse_efibootmgr",
    "parse_efivarfs",
    "parse_redfish",
    "parse_varstore",
    "predict",
    "read_efivarfs",
    "redfish_requests",
    "verify_qemu",
    "write_efivarfs",
]
