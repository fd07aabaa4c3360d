import pytest

from intake.errors import InvalidTransition
from intake.records import Status
from intake.status import ALLOWED, can_transition, check_transition

LEGAL = [
    (Status.PENDING, Status.IN_PROGRESS),
    (Status.PENDING, Status.RESOLVED),
    (Status.PENDING, Status.CLOSED),
    (Status.IN_PROGRESS, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.REOPENED),
    (Status.REOPENED, Status.IN_PROGRESS),
    (Status.REOPENED, Status.RESOLVED),
]
ILLEGAL = [
    (Status.CLOSED, Status.REOPENED),
    (Status.CLOSED, Status.PENDING),
    (Status.RESOLVED, Status.PENDING),
    (Status.IN_PROGRESS, Status.PENDING),
    (Status.PENDING, Status.REOPENED),
    (Status.IN_PROGRESS, Status.REOPENED),
]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transitions(current: Status, target: Status) -> None:
    assert can_transition(current, target)
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transitions_raise(current: Status, target: Status) -> None:
    assert not can_transition(current, target)
    with pytest.raises(InvalidTransition) as raised:
        check_transition(current, target)
    assert raised.value.details == {"current": str(current), "target": str(target)}


def test_every_status_has_rules_and_none_loops_to_itself() -> None:
    assert set(ALLOWED) == set(Status)
    for status, targets in ALLOWED.items():
        assert status not in targets
