"""Every loopback test starts and ends with no sweep schedule remembered in this process."""

import pytest

from feedback_router.schedule import forget_schedules


@pytest.fixture(autouse=True)
def _fresh_schedules():  # type: ignore[no-untyped-def]
    forget_schedules()
    yield
    forget_schedules()
