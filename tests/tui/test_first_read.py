"""How the launcher's child sends the first screen's instances through the pipe (`first_read.pack_instances`)."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.tui.first_read import PACKED_INSTANCES, pack_instances, unpack_instances


def test_instances_cross_the_pipe_packed_and_come_back_equal_frozen_and_hashable(tmp_path: Path) -> None:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", seed=True)
    try:
        instances = backend.list_instances("practice-rg", "web")
    finally:
        backend.close()
    packed = pack_instances(instances)
    assert packed[0] == PACKED_INSTANCES  # one tuple of values each, the field names once
    back = unpack_instances(pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)))
    assert back == instances and [hash(i) for i in back] == [hash(i) for i in instances]
    assert [repr(i) for i in back] == [repr(i) for i in instances]
    with pytest.raises(dataclasses.FrozenInstanceError):
        back[0].zone = "9"  # type: ignore[misc]


def test_anything_but_instances_of_one_class_goes_as_it_is() -> None:
    @dataclasses.dataclass(frozen=True)
    class Other:
        value: int

    mixed = [Other(1), ("not", "an", "instance")]
    assert pack_instances(mixed) is mixed
    assert pack_instances([]) == []
    assert unpack_instances(mixed) is mixed
