"""The decorator on methods, classmethods and staticmethods, in both orders."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

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


@auto_capture_errors(tags={"layer": "billing"})
class BillingService:
    """A class decorated as a whole: every function of its body is captured."""

    def __init__(self, fail_init: bool = False) -> None:
        if fail_init:
            raise RuntimeError("init")
        self.items: list[int] = []

    def charge(self, amount: int) -> None:
        raise RuntimeError(f"charge {amount}")

    async def acharge(self, amount: int) -> None:
        raise RuntimeError(f"acharge {amount}")

    def stream(self, count: int) -> Iterator[int]:
        yield count
        raise RuntimeError("stream")

    async def astream(self, count: int) -> AsyncIterator[int]:
        yield count
        raise RuntimeError("astream")

    @classmethod
    def build(cls, name: str) -> None:
        raise RuntimeError(f"build {name}")

    @staticmethod
    def check(value: int) -> None:
        raise RuntimeError(f"check {value}")

    @property
    def total(self) -> int:
        raise RuntimeError("total")

    @total.setter
    def total(self, value: int) -> None:
        raise RuntimeError(f"set {value}")

    def __call__(self, n: int) -> None:
        raise RuntimeError(f"call {n}")

    def __enter__(self) -> BillingService:  # noqa: PYI034 - it raises
        raise RuntimeError("enter")

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __repr__(self) -> str:
        raise RuntimeError("repr is protocol plumbing, not decorated")

    @auto_capture_errors(tags={"layer": "own"})
    def own_options(self) -> None:
        raise RuntimeError("own")


async def test_a_decorated_class_captures_every_kind_of_method(
    captured_errors: MemorySink,
) -> None:
    """Methods of every kind, accessors and the listed dunders are captured (API §1)."""
    service = BillingService()
    calls: list[Any] = [
        lambda: BillingService(fail_init=True),
        lambda: service.charge(1),
        lambda: BillingService.build("x"),
        lambda: BillingService.check(2),
        lambda: service.total,
        lambda: setattr(service, "total", 3),
        lambda: service(4),
        service.__enter__,
        lambda: list(service.stream(5)),
    ]
    for call in calls:
        with pytest.raises(RuntimeError):
            call()
    with pytest.raises(RuntimeError, match="acharge"):
        await service.acharge(6)
    with pytest.raises(RuntimeError, match="astream"):
        [n async for n in service.astream(7)]
    with pytest.raises(RuntimeError, match="repr"):
        repr(service)
    functions = [e.function.rsplit(".", 1)[-1] for e in captured_errors.events]
    assert functions == [
        "__init__",
        "charge",
        "build",
        "check",
        "total",
        "total",
        "__call__",
        "__enter__",
        "stream",
        "acharge",
        "astream",
    ]
    assert {e.tags["layer"] for e in captured_errors.events} == {"billing"}
    assert captured_errors.events[1].arguments == {"amount": 1}


def test_a_decorated_class_is_the_class_itself(captured_errors: MemorySink) -> None:
    """The class is returned as it is; already-decorated methods keep their options."""
    assert type(BillingService) is type
    assert isinstance(BillingService(), BillingService)
    assert inspect.iscoroutinefunction(BillingService.acharge)
    assert inspect.isasyncgenfunction(BillingService.astream)
    assert isinstance(inspect.getattr_static(BillingService, "build"), classmethod)
    assert isinstance(inspect.getattr_static(BillingService, "total"), property)
    with pytest.raises(RuntimeError):
        BillingService().own_options()
    [event] = captured_errors.events
    assert event.tags["layer"] == "own"
    assert event.function.endswith("BillingService.own_options")


def test_a_decorated_class_keeps_members_that_are_already_wrapped() -> None:
    """Proxies, decorated classmethods and foreign descriptors are left as they are."""
    from autocapture._decorator import is_decorated

    proxy = auto_capture_errors(len)

    class Holder:
        size = proxy

        @classmethod
        @auto_capture_errors(tags={"own": "yes"})
        def build(cls) -> None:
            pass

        @functools.cached_property
        def lazy(self) -> int:
            return 1

    before = vars(Holder)["build"]
    assert auto_capture_errors(Holder) is Holder
    assert vars(Holder)["size"] is proxy
    assert vars(Holder)["build"] is before
    assert is_decorated(proxy)
    assert is_decorated(before)
    assert Holder().lazy == 1
