from __future__ import annotations

import pytest

from tests.demo.support import END_TS, demo_wipe


@pytest.fixture(scope="module", params=["services", "bulk"])
def demo(request, django_db_setup, django_db_blocker):
    """Demo data written once per module and mode (outside the per-test transactions, which
    only read it), removed afterwards."""
    from guichet.demo.run import demo_generate

    bulk = request.param == "bulk"
    with django_db_blocker.unblock():
        demo_wipe()
        result = demo_generate(
            cases=300 if bulk else 250, seed=11, bulk=bulk, end_ts=END_TS, derived=False
        )
        try:
            yield result
        finally:
            demo_wipe()
