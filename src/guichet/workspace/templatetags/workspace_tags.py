"""Template tags for the workspace's hot paths.

The inbox renders its rows here, in Python, rather than with a per-row template: Django's
template engine costs about a millisecond per row of this size (mostly variable lookups and
gettext calls), which would dwarf the database work the inbox indexes save. Every value goes
through format_html / escaping exactly as the template would do; labels are translated once per
page, not once per row."""

from __future__ import annotations

import contextlib
import html
from datetime import datetime
from urllib.parse import quote

from django import template
from django.template.defaultfilters import filesizeformat, floatformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from guichet.cases.choices import CaseStatus, Channel, ContactKind, Priority
from guichet.sla.models import CaseClock
from guichet.sla.selectors import case_countdown as sla_case_countdown
from guichet.sla.selectors import clock_countdown
from guichet.sla.templatetags.sla import countdown_html

register = template.Library()

_ICON_PATHS = {
    "email": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "portal": '<circle cx="12" cy="12" r="9"/>'
    '<path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>',
    "phone": '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 '
    '3 6a2 2 0 0 1 2-2"/>',
    "api": '<path d="m8 8-4 4 4 4M16 8l4 4-4 4M14 5l-4 14"/>',
    "chat": '<path d="M21 12a8 8 0 0 1-11.5 7.2L4 21l1.8-5.5A8 8 0 1 1 21 12z"/>',
}


def _svg(channel: str) -> str:
    paths = _ICON_PATHS.get(channel, _ICON_PATHS["chat"])
    return (
        f'<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{paths}</svg>'
    )


@register.simple_tag
def channel_icon(channel: str, label: str = "", visible: bool = False) -> SafeString:
    """The channel's icon, with its name shown or only read out by screen readers."""
    if not label:
        label = str(Channel(channel).label) if channel in Channel.values else channel
    text = (
        format_html(' <span class="channel-label">{}</span>', label)
        if visible
        else format_html('<span class="visually-hidden">{}</span>', label)
    )
    icon = mark_safe(_svg(channel))  # noqa: S308 (constant markup)
    return format_html('<span class="channel channel-{}">{}{}</span>', channel, icon, text)


def _age(moment: datetime, now: datetime, ago: str) -> str:
    return ago % {"age": timesince(moment, now, depth=1)}


# One inbox row. Every value put in it is escaped first (`_esc`); what is the same on every
# row (labels, badges, channel icons) is translated and escaped once per page.
_ROW = (
    '<tr class="inbox-row priority-{priority}">'
    '<td class="cell-case"><a class="case-link" id="case-link-{ref}" href="{url}">'
    '<span class="ref">{ref}</span> <span class="subject">{subject}</span></a>'
    '<div class="row-meta">{meta}</div></td>'
    '<td data-label="{l_customer}">{customer}</td>'
    '<td data-label="{l_status}"><span class="badge badge-status-{status}">'
    "{status_label}</span></td>"
    '<td data-label="{l_priority}"><span class="badge badge-priority-{priority}">'
    "{priority_label}</span></td>"
    '<td data-label="{l_owner}">{owner}</td>'
    '<td data-label="{l_received}"><time datetime="{iso}" title="{when}">{age}</time>'
    "</td></tr>"
)


def _esc(value: object) -> str:
    # What django.utils.html.escape does, without its lazy-string wrapper (hundreds per page).
    return html.escape(str(value))


@register.simple_tag
def inbox_rows(cases, view: str) -> SafeString:
    """The <tr> elements of the inbox table (see the module's docstring for why in Python)."""
    now = timezone.now()
    labels = {
        "l_customer": _esc(_("Customer")),
        "l_status": _esc(_("Status")),
        "l_priority": _esc(_("Priority")),
        "l_owner": _esc(_("Owner")),
        "l_received": _esc(_("Received")),
    }
    nobody = f'<span class="muted">{_esc(_("Nobody"))}</span>'
    # Translators: how long ago a case was received, e.g. "3 hours ago".
    ago = _("%(age)s ago")
    statuses = {value: _esc(label) for value, label in CaseStatus.choices}
    priorities = {value: _esc(label) for value, label in Priority.choices}
    icons: dict[str, str] = {}
    channels = dict(Channel.choices)
    case_url = reverse("workspace:case", args=["REF"]).replace("REF", "{}")
    view_query = _esc(f"?view={quote(view)}" if view else "")
    # Service targets (guichet.sla): the rows come with their clock (`cases_with_clock`).
    countdowns = {}
    for case in cases:
        with contextlib.suppress(CaseClock.DoesNotExist):
            countdowns[case.pk] = clock_countdown(case.sla_clock, now=now)
    rows = []
    for case in cases:
        names = getattr(case, "tag_names", None)
        if names is None:
            names = [t.name for t in case.tags.all()]
        icon = icons.get(case.channel)
        if icon is None:
            label = channels.get(case.channel, case.channel)
            icon = icons[case.channel] = str(channel_icon(case.channel, label))
        meta = [icon]
        if case.pk in countdowns:
            meta.insert(0, str(countdown_html(countdowns[case.pk])))
        if case.category_id:
            meta.append(f"<span>{_esc(case.category.name)}</span>")
        if case.team_id:
            meta.append(f'<span class="muted">· {_esc(case.team.name)}</span>')
        if names:
            meta.append(" ".join(f'<span class="tag">{_esc(n)}</span>' for n in names))
        reference = _esc(case.reference)
        rows.append(
            _ROW.format(
                priority=_esc(case.priority),
                ref=reference,
                url=_esc(case_url.format(quote(case.reference))) + view_query,
                subject=_esc(case.subject),
                meta=" ".join(meta),
                customer=_esc(case.customer.name),
                status=_esc(case.status),
                status_label=statuses.get(case.status) or _esc(case.status),
                priority_label=priorities.get(case.priority) or _esc(case.priority),
                owner=_esc(case.owner.display_name) if case.owner_id else nobody,
                iso=_esc(case.created_at.isoformat()),
                when=_esc(timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M")),
                age=_esc(_age(case.created_at, now, ago)),
                **labels,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value escaped by _esc)


_OPTIONS_HTML: dict[tuple, str] = {}


@register.simple_tag
def choice_options(choices, selected) -> SafeString:
    """The <option>s of a list of `selectors.Choice` (agents, teams, categories), built in
    Python and kept per list (a couple of hundred agents cost milliseconds in a template loop,
    and the lists change rarely); only the selected one is marked per page."""
    key = tuple(choices)
    html = _OPTIONS_HTML.get(key)
    if html is None:
        if len(_OPTIONS_HTML) > 64:
            _OPTIONS_HTML.clear()
        html = _OPTIONS_HTML[key] = format_html_join(
            "", '<option value="{}">{}</option>', ((c.pk, c.name) for c in choices)
        )
    if selected is not None:
        html = html.replace(
            f'<option value="{selected}">', f'<option value="{selected}" selected>', 1
        )
    return mark_safe(html)  # noqa: S308 (escaped by format_html_join)


def _when(moment: datetime, fmt: str) -> str:
    # As the template's |date filter does: in the current time zone, the current locale's format.
    return date_format(timezone.localtime(moment), fmt)


@register.simple_tag
def conversation_items(contacts) -> SafeString:
    """The <li> elements of the case page's conversation (every contact, oldest first), built in
    Python like the inbox rows: a long conversation costs no template work per message. The
    contacts come with their authors and `attachment_list` (`selectors.case_page`)."""
    kinds = {
        ContactKind.NOTE: _("Internal note"),
        ContactKind.REPLY: _("Reply to customer"),
        ContactKind.CALL: _("Phone call"),
        ContactKind.STATUS_NOTICE: _("Status notice"),
    }
    customer_message = _("Customer message")
    private = format_html('<p class="contact-private">{}</p>', _("Not visible to the customer."))
    channels = {value: str(label) for value, label in Channel.choices}
    items = []
    for contact in contacts:
        if contact.author_user_id:
            author = contact.author_user.display_name
        elif contact.author_customer_id:
            author = contact.author_customer.name
        else:
            author = ""
        extra = []
        if contact.duration_seconds:
            duration = _("Duration: %(minutes)s s") % {
                "minutes": floatformat(contact.duration_seconds, 0)
            }
            extra.append(format_html('<p class="muted">{}</p>', duration))
        attachments = contact.attachment_list
        if attachments:
            extra.append(
                format_html(
                    '<ul class="attachments">{}</ul>',
                    format_html_join(
                        "",
                        '<li>{} <span class="muted">({})</span></li>',
                        ((a.filename, filesizeformat(a.size)) for a in attachments),
                    ),
                )
            )
        items.append(
            format_html(
                '<li class="contact contact-{kind}" id="contact-{pk}">'
                '<div class="contact-head">{icon} <strong class="contact-kind">{label}</strong> '
                '<span class="contact-author">{author}</span> '
                '<time datetime="{iso}">{when}</time></div>'
                '{private}<div class="contact-body">{body}</div>{extra}</li>',
                kind=contact.kind,
                pk=contact.pk,
                icon=channel_icon(contact.channel, channels.get(contact.channel, contact.channel)),
                label=kinds.get(contact.kind, customer_message),
                author=author,
                iso=_when(contact.created_at, "c"),
                when=_when(contact.created_at, "SHORT_DATETIME_FORMAT"),
                private=private if contact.kind == ContactKind.NOTE else "",
                body=linebreaksbr(contact.body_text, autoescape=True),
                extra=mark_safe("".join(extra)),  # noqa: S308 (each built with format_html)
            )
        )
    return mark_safe("\n".join(items))  # noqa: S308 (each item built with format_html)


@register.simple_tag
def other_cases_items(cases) -> SafeString:
    """The <li> elements of the customer's other cases beside the case page (each with `url`,
    set by the view, and its owner joined)."""
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    return format_html_join(
        "\n",
        '<li><a href="{}">{}</a> {}<br><span class="badge badge-status-{}">{}</span> '
        '<time class="muted" datetime="{}">{}</time>{}</li>',
        (
            (
                other.url,
                other.reference,
                other.subject,
                other.status,
                statuses.get(other.status, other.status),
                _when(other.created_at, "c"),
                _when(other.created_at, "SHORT_DATE_FORMAT"),
                format_html(' <span class="muted">· {}</span>', other.owner.display_name)
                if other.owner_id
                else "",
            )
            for other in cases
        ),
    )


@register.simple_tag
def value_options(pairs, selected) -> SafeString:
    """The <option>s of (value, label) string pairs (the inbox's filters), built once per list
    and language like `choice_options`; only the selected one is marked per page."""
    key = ("values", *pairs)
    markup = _OPTIONS_HTML.get(key)
    if markup is None:
        if len(_OPTIONS_HTML) > 64:
            _OPTIONS_HTML.clear()
        markup = _OPTIONS_HTML[key] = format_html_join(
            "", '<option value="{}">{}</option>', ((value, label) for value, label in pairs)
        )
    if selected:
        value = _esc(selected)
        markup = markup.replace(
            f'<option value="{value}">', f'<option value="{value}" selected>', 1
        )
    return mark_safe(markup)  # noqa: S308 (escaped by format_html_join)


@register.simple_tag
def placeholder_items(placeholders) -> SafeString:
    """The macro placeholders' list on the case page, (name, label) strings, kept per language."""
    key = ("placeholders", *placeholders)
    markup = _OPTIONS_HTML.get(key)
    if markup is None:
        markup = _OPTIONS_HTML[key] = format_html_join(
            "",
            "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>",
            ((name, label) for name, label in placeholders),
        )
    return mark_safe(markup)  # noqa: S308 (escaped by format_html_join)


@register.simple_tag
def case_countdown(case) -> SafeString:
    """guichet.sla's countdown of the case's nearest target, by its Python builder (the same
    markup as `{% sla_countdown %}`, without an inclusion template per page)."""
    return countdown_html(sla_case_countdown(case))
