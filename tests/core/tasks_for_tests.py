"""Tasks used only by the tests: importable by the worker like real ones."""

from guichet.core.tasks import retrying_task

CALLS: list[int] = []


@retrying_task(max_attempts=3, backoff_seconds=60)
def always_fails(value: int) -> None:
    CALLS.append(value)
    raise RuntimeError(f"boom {value}")


@retrying_task
def doubles(value: int) -> int:
    return value * 2
