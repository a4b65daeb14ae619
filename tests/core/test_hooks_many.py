"""hooks_replay(coalesce=True) runs a case-sync callback's `many` form once for all cases."""

from __future__ import annotations

from guichet.core.hooks import hooks_register, hooks_replay, hooks_unregister


def test_a_callback_with_a_many_form_runs_once_for_every_case_in_first_seen_order():
    single: list[int] = []
    many: list[list[int]] = []
    per_contact: list[int] = []

    def sync(*, case_id, **_payload):
        single.append(case_id)

    def sync_many(*, case_ids):
        many.append(case_ids)

    def on_contact(*, case_id, contact_id, **_payload):
        per_contact.append(contact_id)

    for event in ("test.created", "test.contact"):
        hooks_register(event, sync, many=sync_many)
    hooks_register("test.contact", on_contact)
    events = [
        ("test.contact", {"case_id": 2, "contact_id": 20}),
        ("test.created", {"case_id": 2}),
        ("test.contact", {"case_id": 1, "contact_id": 10}),
        ("test.contact", {"case_id": 2, "contact_id": 21}),
    ]
    try:
        hooks_replay(events, coalesce=True)
        # Without coalescing (after an ordinary commit) the single form runs as before
        hooks_replay(events[:1])
    finally:
        for event in ("test.created", "test.contact"):
            hooks_unregister(event, sync)
        hooks_unregister("test.contact", on_contact)
    assert many == [[2, 1]]
    assert per_contact == [20, 10, 21, 20]
    assert single == [2]


def test_when_the_many_form_fails_each_case_is_synced_alone():
    single: list[int] = []

    def sync(*, case_id, **_payload):
        if case_id == 1:
            raise RuntimeError("case 1 is broken")
        single.append(case_id)

    def sync_many(*, case_ids):
        raise RuntimeError("boom")

    hooks_register("test.created", sync, many=sync_many)
    try:
        hooks_replay([("test.created", {"case_id": i}) for i in (1, 2, 3)], coalesce=True)
    finally:
        hooks_unregister("test.created", sync)
    assert single == [2, 3]
