"""Pure domain values: no I/O, no UI, no Azure SDK."""

from .errors import AzureError
from .models import (
    BackendInfo,
    CapacityPlan,
    ErrorInfo,
    Instance,
    Operation,
    OperationStatus,
    OrchestrationMode,
    PlacementCell,
    PlacementMap,
    PlannedInstance,
    PlannedRemoval,
    PowerAction,
    PowerState,
    Priority,
    ProgressCallback,
    ProvisioningState,
    ScaleInRule,
    ScaleSet,
    ScaleSetSpec,
    ScaleSetUpdate,
    UpgradeMode,
    VmSize,
    VmSpec,
    placement_map,
)

__all__ = [
    "AzureError", "BackendInfo", "CapacityPlan", "ErrorInfo", "Instance", "Operation", "OperationStatus",
    "OrchestrationMode", "PlacementCell", "PlacementMap", "PlannedInstance", "PlannedRemoval", "PowerAction",
    "PowerState", "Priority", "ProgressCallback", "ProvisioningState", "ScaleInRule", "ScaleSet",
    "ScaleSetSpec", "ScaleSetUpdate", "UpgradeMode", "VmSize", "VmSpec", "placement_map",
]
