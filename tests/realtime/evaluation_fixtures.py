"""Fixtures of the evaluation socket tests, imported by their modules (tests/evaluation/conftest.py's do not
reach tests/realtime): an open session on an opened tender, in a transactional database. A test module
imports them all: `from tests.realtime.evaluation_fixtures import *  # noqa: F403`."""

import pytest

from tests.evaluation.conftest import expert_pool, opened_tender, specialties  # noqa: F401  (fixtures)
from tests.evaluation.session_setup import session_scene

__all__ = ["expert_pool", "opened_tender", "scene_fixture", "specialties"]


@pytest.fixture(name="scene")
def scene_fixture(hall_ready, opened_tender, expert_pool):  # noqa: F811
    """tests/evaluation/session_setup.py's scene: 5 experts in 3 venues, the session at check-in."""
    return session_scene(opened_tender, expert_pool)
