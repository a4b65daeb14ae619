"""The reactivity page: supervisors only."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_supervisors_see_the_reactivity_page(supervisor, open_case):
    open_case()
    client = Client()
    client.force_login(supervisor)
    response = client.get("/sla/?by=channel")
    assert response.status_code == 200
    assert b"attainment.csv" in response.content


def test_agents_are_refused_the_reactivity_page(agent):
    client = Client()
    client.force_login(agent)
    assert client.get("/sla/").status_code == 403


def test_a_bad_period_shows_an_error_not_a_crash(supervisor):
    client = Client()
    client.force_login(supervisor)
    response = client.get("/sla/?since=2026-06-01&until=2026-05-01")
    assert response.status_code == 200
    assert b'role="alert"' in response.content


def test_the_period_reads_du_au_in_french(supervisor):
    # "From"/"To" mean other things elsewhere (an email's sender and recipient): here, a range.
    client = Client()
    client.force_login(supervisor)
    html = client.get("/sla/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<label>Du <input type="date" name="since"' in html
    assert '<label>Au <input type="date" name="until"' in html
