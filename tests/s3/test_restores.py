"""Restore progress as moto's state manager scripts it (moto_forge/s3/restores.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.moto_api import state_manager

from moto_forge.s3 import restores


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    restores.clear()
    yield
    restores.clear()
    state_manager.unset_transition("s3::keyrestore")


def test_immediate_by_default_and_completion_reported_once() -> None:
    done: list[str] = []
    restores.begin(("b", "k", None), lambda: done.append("completed"))
    assert restores.read(("b", "k", None)) == "RESTORED"
    assert done == ["completed"]
    assert restores.read(("b", "k", None)) is None
    assert done == ["completed"]


def test_manual_progression_shows_in_progress_first() -> None:
    state_manager.set_transition(model_name="s3::keyrestore", transition={"progression": "manual", "times": 1})
    done: list[str] = []
    restores.begin(("b", "k", "v1"), lambda: done.append("completed"))
    assert restores.read(("b", "k", "v1")) == "IN_PROGRESS"
    assert done == []
    assert restores.read(("b", "k", "v1")) == "RESTORED"
    assert done == ["completed"]


def test_unknown_keys_and_bounded_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    assert restores.read(("b", "nothing", None)) is None
    monkeypatch.setattr(restores, "MAX_TRACKED", 2)
    for name in ("a", "b", "c"):
        restores.begin(("b", name, None), lambda: None)
    assert restores.read(("b", "a", None)) is None  # the oldest was dropped
    assert restores.read(("b", "c", None)) == "RESTORED"
