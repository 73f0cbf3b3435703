"""Errors that carry Azure's error code and message.

Every backend raises only these, so the front ends print `(Code) message` the way
`az` does, whichever backend produced it. Message texts follow real Azure responses
where one is known (see docs/emulator-fidelity.md and shared/design/azure-semantics.md §2.6).
"""

from __future__ import annotations

from typing import Any


class AzureError(Exception):
    """An error with Azure's `{code, message, target}` and the HTTP status it comes with."""

    code: str = "InternalError"
    http_status: int = 500
    nothing_sent: bool = False
    """True when the request was refused here, before anything reached Azure or changed the store
    (a name that breaks Azure's rules): front ends exit 2 for these, 1 for what Azure or the store said."""

    def __init__(self, message: str, *, target: str | None = None, code: str | None = None,
                 http_status: int | None = None, details: tuple[dict[str, Any], ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.details = details
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def __str__(self) -> str:
        return f"({self.code}) {self.message}"

    def to_body(self) -> dict[str, Any]:
        """The ARM error body `{"error": {...}}`."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = list(self.details)
        return {"error": error}


class InvalidParameter(AzureError):
    """400: a value is out of range or not allowed."""

    code = "InvalidParameter"
    http_status = 400


class InvalidResourceName(AzureError):
    """400: a scale set or VM name breaks Azure's naming rules (checked before anything is sent)."""

    code = "InvalidResourceName"
    http_status = 400
    nothing_sent = True


class InvalidResourceGroupName(AzureError):
    """400: a resource group name breaks Azure's naming rules (checked before anything is sent)."""

    code = "InvalidResourceGroupName"
    http_status = 400
    nothing_sent = True


class InvalidInputValue(InvalidParameter):
    """400 `InvalidParameter` raised locally: a value (image, prefix, instance id) Azure would refuse."""

    nothing_sent = True


class BadRequest(AzureError):
    """400: the request is malformed."""

    code = "BadRequest"
    http_status = 400


class OperationNotAllowed(AzureError):
    """409: the operation is not allowed in the resource's current mode or state."""

    code = "OperationNotAllowed"
    http_status = 409


class PropertyChangeNotAllowed(AzureError):
    """409: an immutable property was asked to change."""

    code = "PropertyChangeNotAllowed"
    http_status = 409


class Conflict(AzureError):
    """409: a concurrent request conflicts with this one."""

    code = "Conflict"
    http_status = 409


class QuotaExceeded(AzureError):
    """409: the regional vCPU quota of a VM family would be exceeded."""

    code = "QuotaExceeded"
    http_status = 409


class ResourceNotFound(AzureError):
    """404: the scale set, VM or resource group does not exist."""

    code = "ResourceNotFound"
    http_status = 404


class ResourceGroupNotFound(AzureError):
    """404: the resource group does not exist."""

    code = "ResourceGroupNotFound"
    http_status = 404


class InvalidResourceGroupLocation(AzureError):
    """409: `group create` of an existing group with a different location."""

    code = "InvalidResourceGroupLocation"
    http_status = 409


class ResourceGroupBeingDeleted(AzureError):
    """409: the group is being deleted; nothing can be created or changed in it."""

    code = "ResourceGroupBeingDeleted"
    http_status = 409


class TooManyRequests(AzureError):
    """429: throttled; `retry_after` says how long Azure asked us to wait."""

    code = "TooManyRequests"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthenticationFailed(AzureError):
    """401: the credential is missing, expired or rejected."""

    code = "AuthenticationFailed"
    http_status = 401


class AuthorizationFailed(AzureError):
    """403: the signed-in identity lacks a role for the action."""

    code = "AuthorizationFailed"
    http_status = 403


class ServiceUnavailable(AzureError):
    """503 or a network failure: the backend could not be reached."""

    code = "ServiceUnavailable"
    http_status = 503


class ReadOnlyMode(AzureError):
    """Local refusal: a mutating command in read-only mode (no request was sent)."""

    code = "ReadOnly"
    http_status = 403


class StoreDamaged(AzureError):
    """Local: part of the emulator store cannot be read (a file that does not parse, a missing
    subscription shard next to existing sets). Nothing is reset or moved; `vmss-tui emulator check`
    reports it and `--repair` rebuilds what can be rebuilt."""

    code = "StoreDamaged"
    http_status = 500


StoreCorrupted = StoreDamaged
"""The older name of StoreDamaged."""


class StoreWriteFailed(AzureError):
    """Local: the emulator store could not be written (disk full, read-only, no permission); nothing changed."""

    code = "StoreWriteFailed"
    http_status = 507


class InvalidStoreKey(AzureError):
    """Local: a store key that would resolve outside the store's directory (refused whoever asks)."""

    code = "InvalidStoreKey"
    http_status = 400
    nothing_sent = True


_ERRORS_BY_CODE: dict[str, type[AzureError]] = {
    cls.code: cls
    for cls in (
        InvalidParameter, BadRequest, OperationNotAllowed, PropertyChangeNotAllowed, Conflict,
        QuotaExceeded, ResourceNotFound, ResourceGroupNotFound, TooManyRequests,
        AuthenticationFailed, AuthorizationFailed, ServiceUnavailable, ReadOnlyMode, StoreDamaged,
        InvalidResourceName, InvalidResourceGroupName, StoreWriteFailed, InvalidResourceGroupLocation,
        ResourceGroupBeingDeleted,
    )
}


def error_from_code(code: str, message: str, *, target: str | None = None,
                    http_status: int | None = None) -> AzureError:
    """Rebuild the matching error class from an ARM error body (used at the wire edge)."""
    cls = _ERRORS_BY_CODE.get(code, AzureError)
    if cls is AzureError:
        return AzureError(message, target=target, code=code, http_status=http_status or 500)
    error = cls(message, target=target, http_status=http_status)
    error.nothing_sent = False  # Azure (or the endpoint) answered: the request was sent
    return error


# Builders for the messages Azure really sends (texts in azure-semantics.md §2.6).

def scale_set_not_found(resource_group: str, name: str) -> ResourceNotFound:
    """404 for a scale set that does not exist."""
    return ResourceNotFound(
        f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{name}' under resource group "
        f"'{resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        target=name,
    )


def instance_not_found(resource_group: str, scale_set_name: str, instance_id: str) -> ResourceNotFound:
    """404 for an instance id that is not in the set."""
    return ResourceNotFound(
        f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{scale_set_name}/virtualMachines/{instance_id}' "
        f"under resource group '{resource_group}' was not found.",
        target=instance_id,
    )


def resource_group_not_found(resource_group: str) -> ResourceGroupNotFound:
    """404 for a resource group that does not exist."""
    return ResourceGroupNotFound(f"Resource group '{resource_group}' could not be found.", target=resource_group)


def invalid_resource_group_location(requested: str, existing: str) -> InvalidResourceGroupLocation:
    """409 for `group create` with another location than the existing group's (Azure's text)."""
    return InvalidResourceGroupLocation(
        f"Invalid resource group location '{requested}'. The Resource group already exists in location "
        f"'{existing}'.", target="location")


def resource_group_being_deleted(resource_group: str) -> ResourceGroupBeingDeleted:
    """409 for any change in a group whose deletion is under way (Azure's text)."""
    return ResourceGroupBeingDeleted(
        f"The resource group '{resource_group}' is in deprovisioning state and cannot perform this operation.",
        target=resource_group)


def property_change_not_allowed(prop: str) -> PropertyChangeNotAllowed:
    """409 for a change of an immutable property."""
    return PropertyChangeNotAllowed(f"Changing property '{prop}' is not allowed.", target=prop)


def concurrent_conflict() -> Conflict:
    """409 for a request that collides with one still running."""
    return Conflict(
        "The request failed due to conflict with a concurrent request. To resolve it, please refer to "
        "https://aka.ms/activitylog to get more details on the conflicting requests."
    )


def requires_running(instance_name: str) -> OperationNotAllowed:
    """409 for restart of a VM that is not running."""
    return OperationNotAllowed(
        "The operation requires the VM to be running (or set to run).", target=instance_name
    )


def refused_input(message: str, *, target: str | None = None) -> InvalidParameter:
    """An InvalidParameter for a value refused before anything is sent (the one-shot CLI exits 2)."""
    error = InvalidParameter(message, target=target)
    error.nothing_sent = True
    return error
