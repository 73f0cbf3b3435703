"""uniqueString and guid give what Azure gives: pairs published with their inputs, from three independent sources."""

from __future__ import annotations

import uuid

import pytest

from vmss_tui.domain.templates import arm_guid, unique_string

# Source 1: values a real ARM deployment printed as outputs, recorded in the comments of
# KingslandConsulting/Kingsland.ArmLinter src/Kingsland.ArmLinter/Functions/ArmFunctions_UniqueString.cs
# @7d43df180035caa73e080f5cc33777da833a765a ("example output").
ARM_LINTER = [(("aaa",), "zavj67f3en4hc"), (("bbb",), "w5eragfxe33cy"), (("zzz",), "cryksdzzzawae"),
              (("xxx", "yyy", "zzz"), "lghi7k5js7itq")]
# Source 2: microsoft/commercial-marketplace-offer-deploy, test ArmFunctionsTests
# (namespace Modm.Tests.UnitTests, stored index id 5863209223): "valueFromArmTemplate", a resource id
# deployed in Azure and the uniqueString the template gave for it.
MARKETPLACE = [(("/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256"
                 "/providers/Microsoft.Compute/virtualMachines/bobjacmodm201",), "yvjxno3je5on2")]
# Source 3: uniquestring.sh (stored index id 34298716286), self-test "verified against Bicep uniqueString()
# output", including a resource group id, the input the quickstart templates hash.
BICEP_VERIFIED = [(("test",), "rbgf3xv4ufgzg"), (("hello", "world"), "a7wkljktk6wne"), (("abc",), "cgtzqvhu4i23s"),
                  (("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg",), "bmg7c6xu4tw46"),
                  (("foo", "bar", "baz"), "xzi4ioaxtmth4")]


@pytest.mark.parametrize(("parts", "expected"), ARM_LINTER + MARKETPLACE + BICEP_VERIFIED)
def test_unique_string_matches_values_azure_gave(parts: tuple[str, ...], expected: str) -> None:
    assert unique_string(*parts) == expected


def test_unique_string_is_13_base32_characters_and_case_sensitive() -> None:
    value = unique_string("/subscriptions/x/resourceGroups/RG")
    assert len(value) == 13 and set(value) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert value != unique_string("/subscriptions/x/resourceGroups/rg")


def test_unique_string_joins_its_arguments_with_a_hyphen() -> None:
    assert unique_string("a", "b") == unique_string("a-b")


def test_guid_is_a_version_5_uuid_in_arms_namespace_over_the_hyphen_joined_arguments() -> None:
    value = arm_guid("/subscriptions/s/resourceGroups/rg", "reader")
    assert value == str(uuid.uuid5(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830"),
                                   "/subscriptions/s/resourceGroups/rg-reader"))
    parsed = uuid.UUID(value)
    assert parsed.version == 5 and parsed.variant == uuid.RFC_4122
    assert value == value.lower() and arm_guid("a", "b") == arm_guid("a-b") != arm_guid("b", "a")
