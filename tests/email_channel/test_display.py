"""The agent sees a case's emails in the workspace history: each reply's sending status, the
customer's HTML with remote images held back until asked, and inline (cid:) images from our
own origin behind the access check."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse

from guichet.accounts.services import team_create, user_create
from guichet.cases import services as case_services
from guichet.cases.models import Attachment
from guichet.channels.email.choices import OutboundState
from guichet.channels.email.display import html_for_agent
from guichet.channels.email.models import OutboundMessage
from guichet.channels.email.services import outbound_reply_queue
from tests.email_channel.conftest import deliver, message_build

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _history(client: Client, case) -> str:
    url = reverse("workspace:case_history", args=[case.reference])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def _html_message() -> EmailMessage:
    msg = message_build(
        subject="Photo du colis",
        html=(
            '<p>Voici la photo : <img src="cid:photo@client" alt="colis">'
            '<img src="https://tracker.example/pixel.png?u=42" alt="">'
            '<img src="//cdn.example/logo.png" alt="logo"></p>'
        ),
    )
    html_part = msg.get_body(("html",))
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<photo@client>")
    return msg


def test_history_holds_back_remote_images_and_shows_cid_images_from_our_origin(mailbox, agent):
    # Given an HTML email with a tracking pixel, a protocol-relative logo and an inline photo
    case = deliver(_html_message(), mailbox).case
    # When the agent opens the case history
    body = _history(_client(agent), case)
    # Then no image is loaded from another server
    sources = re.findall(r'\ssrc="([^"]*)"', body)
    assert sources, body
    assert all(s.startswith("/email/attachments/") for s in sources)
    assert 'data-remote-src="https://tracker.example/pixel.png?u=42"' in body
    assert 'data-remote-src="//cdn.example/logo.png"' in body
    # And the inline photo points to its stored attachment
    photo = Attachment.objects.get(contact=case.contacts.get())
    assert sources == [reverse("email_channel:inline_image", args=[photo.pk])]


def test_show_images_loads_the_remote_images_of_that_email_only_when_asked(mailbox, agent):
    case = deliver(_html_message(), mailbox).case
    contact = case.contacts.get()
    url = reverse("email_channel:contact_body", args=[contact.pk])
    client = _client(agent)
    held = client.get(url).content.decode()
    shown = client.get(url + "?images=1").content.decode()
    assert ' src="https://tracker.example/pixel.png?u=42"' not in held
    assert ' src="https://tracker.example/pixel.png?u=42"' in shown
    assert "Show images" in held and "Show images" not in shown


def test_inline_image_is_served_safely_to_agents_who_may_see_the_case_only(mailbox, agent):
    case = deliver(_html_message(), mailbox).case
    photo = Attachment.objects.get(contact=case.contacts.get())
    url = reverse("email_channel:inline_image", args=[photo.pk])
    # Given an agent of the case's team: the image, as an attachment that cannot run script
    response = _client(agent).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    # And an agent of another team, or nobody signed in, does not get it
    billing = team_create(name="Facturation")
    outsider = user_create(email="zoe@guichet.test", first_name="Zoé")
    billing.members.add(outsider)
    assert _client(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_an_attachment_that_is_not_a_raster_image_is_never_served_inline(mailbox, agent):
    msg = message_build(html='<p><img src="cid:x@y"></p>')
    msg.get_body(("html",)).add_related(
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        maintype="image",
        subtype="svg+xml",
        cid="<x@y>",
    )
    case = deliver(msg, mailbox).case
    svg = Attachment.objects.get(contact=case.contacts.get())
    url = reverse("email_channel:inline_image", args=[svg.pk])
    assert _client(agent).get(url).status_code == 404
    assert "/email/attachments/" not in _history(_client(agent), case)


@pytest.mark.parametrize(
    ("state", "error", "expected"),
    [
        (OutboundState.QUEUED, "", "queued for sending"),
        (OutboundState.SENT, "", "sent "),
        (OutboundState.FAILED, "550 5.1.1 user unknown", "550 5.1.1 user unknown"),
    ],
)
def test_history_shows_each_reply_sending_status(mailbox, agent, state, error, expected):
    case = deliver(message_build(), mailbox).case
    reply = case_services.contact_add(actor=agent, case=case, kind="reply", body_text="Bonjour")
    outbound = outbound_reply_queue(contact=reply)  # what the contact.created hook does
    OutboundMessage.objects.filter(pk=outbound.pk).update(state=state, error=error)
    body = _history(_client(agent), case)
    section = body[body.index(f'id="email-{reply.pk}"') :]
    assert expected in section.split("</li>")[0]
    if state == OutboundState.FAILED:
        assert "not sent" in section.split("</li>")[0]


def test_display_rewrite_keeps_nothing_unsafe_even_from_odd_markup():
    html, held = html_for_agent(
        '<img alt="x" src="https://a.example/1.png"><img src="cid:nope">',
        cid_url=lambda _cid: None,
    )
    assert held == 1
    assert "src=" not in html.replace("data-remote-src=", "")
