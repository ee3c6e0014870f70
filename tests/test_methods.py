"""The decorator on methods, classmethods and staticmethods, in both orders."""

from __future__ import annotations

import inspect

import pytest

from autocapture import auto_capture_errors
from autocapture.sinks import MemorySink


class UserRepository:
    """A repository whose every kind of method fails."""

    table = "users"

    @auto_capture_errors
    def get_user(self, user_id: int) -> None:
        """Instance method."""
        raise LookupError(f"{self.table}:{user_id}")

    @auto_capture_errors
    async def aget_user(self, user_id: int) -> None:
        """Async instance method."""
        raise LookupError(f"{self.table}:{user_id}")

    @auto_capture_errors
    @classmethod
    def create_outside(cls, name: str) -> None:
        """Decorator written outside @classmethod."""
        raise RuntimeError(f"{cls.__name__}:{name}")

    @classmethod
    @auto_capture_errors
    def create_inside(cls, name: str) -> None:
        """Decorator written inside @classmethod."""
        raise RuntimeError(f"{cls.__name__}:{name}")

    @auto_capture_errors
    @staticmethod
    def validate_outside(value: int) -> None:
        """Decorator written outside @staticmethod."""
        raise ValueError(str(value))

    @staticmethod
    @auto_capture_errors
    def validate_inside(value: int) -> None:
        """Decorator written inside @staticmethod."""
        raise ValueError(str(value))


def test_instance_method_binds_self_and_drops_it_from_arguments(
    captured_errors: MemorySink,
) -> None:
    """self is bound as usual and never appears among the arguments."""
    with pytest.raises(LookupError, match="users:5"):
        UserRepository().get_user(5)
    [event] = captured_errors.events
    assert event.arguments == {"user_id": 5}
    assert event.function == f"{__name__}.UserRepository.get_user"


async def test_async_instance_method(captured_errors: MemorySink) -> None:
    """An async method is captured with its arguments and without self."""
    with pytest.raises(LookupError):
        await UserRepository().aget_user(6)
    assert captured_errors.events[0].arguments == {"user_id": 6}


@pytest.mark.parametrize("name", ["create_outside", "create_inside"])
@pytest.mark.parametrize("via_instance", [False, True])
def test_classmethods_in_both_orders(
    captured_errors: MemorySink, name: str, via_instance: bool
) -> None:
    """A classmethod works with the decorator on either side, called on class or instance."""
    owner = UserRepository() if via_instance else UserRepository
    with pytest.raises(RuntimeError, match="UserRepository:bob"):
        getattr(owner, name)("bob")
    [event] = captured_errors.events
    assert event.arguments == {"name": "bob"}
    assert event.function == f"{__name__}.UserRepository.{name}"


@pytest.mark.parametrize("name", ["validate_outside", "validate_inside"])
@pytest.mark.parametrize("via_instance", [False, True])
def test_staticmethods_in_both_orders(
    captured_errors: MemorySink, name: str, via_instance: bool
) -> None:
    """A staticmethod works with the decorator on either side, called on class or instance."""
    owner = UserRepository() if via_instance else UserRepository
    with pytest.raises(ValueError, match="3"):
        getattr(owner, name)(3)
    assert captured_errors.events[0].arguments == {"value": 3}


def test_method_introspection() -> None:
    """Bound methods keep their signature (without self) and their names."""
    repo = UserRepository()
    assert list(inspect.signature(repo.get_user).parameters) == ["user_id"]
    assert list(inspect.signature(UserRepository.create_outside).parameters) == ["name"]
    assert UserRepository.get_user.__qualname__ == "UserRepository.get_user"
    assert inspect.iscoroutinefunction(repo.aget_user)
    assert isinstance(inspect.getattr_static(UserRepository, "create_outside"), classmethod)
    assert isinstance(inspect.getattr_static(UserRepository, "validate_outside"), staticmethod)
