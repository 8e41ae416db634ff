"""Every change a session can be asked for has one frozen dataclass and one rule."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from facilitator.session import changes
from facilitator.session.store import RULES


def _change_types() -> list[type[changes.SessionChange[object]]]:
    return [cls for _, cls in inspect.getmembers(changes, inspect.isclass)
            if issubclass(cls, changes.SessionChange) and cls is not changes.SessionChange]


def test_every_change_has_exactly_one_rule() -> None:
    kinds = _change_types()
    assert len(kinds) > 25
    assert set(RULES) == set(kinds)


@pytest.mark.parametrize("kind", _change_types(), ids=lambda kind: kind.__name__)
def test_a_change_is_a_frozen_dataclass(kind: type) -> None:
    params = dataclasses.fields(kind)
    change = kind(**{field.name: None for field in params
                     if field.default is dataclasses.MISSING})
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(change, params[0].name, None)
