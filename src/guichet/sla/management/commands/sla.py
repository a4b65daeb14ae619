"""`guichet sla …`: ask the business calendar directly, and rebuild the clocks.

    guichet sla due --calendar default --start 2026-05-04T17:00+02:00 --minutes 120
    guichet sla between --calendar default --start 2026-05-04T09:00+02:00 \
        --end 2026-05-05T18:00+02:00
    guichet sla rebuild [--all] [--case G-000123] [--recount]
    guichet sla recompute --calendar default      (after its hours changed)
    guichet sla aggregates [--check]              (the reactivity report's pre-aggregates)

A time without an offset is read in the calendar's time zone. Bad input prints one line and
exits non-zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.core.errors import ApplicationError
from guichet.sla.businesstime import (
    NeverOpen,
    Schedule,
    business_time_add,
    business_time_between,
)
from guichet.sla.schedules import calendar_schedule
from guichet.sla.selectors import calendar_get

MAX_MINUTES = 10 * 365 * 24 * 60


def _schedule(name: str) -> Schedule:
    try:
        return calendar_schedule(calendar_get(name=name))
    except ApplicationError as exc:
        raise CommandError(exc.message) from exc


def _instant(value: str, option: str, schedule: Schedule) -> datetime:
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"{option}: {value!r} is not an ISO 8601 date-time") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=schedule.tz)
    return instant


def minutes_text(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return str(int(minutes)) if minutes == int(minutes) else f"{minutes:.2f}".rstrip("0")


class OneLineParser(CommandParser):
    """Usage errors in one line (argparse prints the whole usage first), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        if self.called_from_command_line:
            self.exit(2, f"{self.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}")


class Command(BaseCommand):
    help = "Service targets: business-time arithmetic on a calendar, and clock rebuilding."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = OneLineParser.error.__get__(parser)  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{due,between,rebuild,recompute,aggregates}",
            parser_class=OneLineParser,
        )
        due = sub.add_parser("due", help="Print the instant N business minutes after --start.")
        due.add_argument("--calendar", default="default")
        due.add_argument("--start", required=True, help="ISO 8601, e.g. 2026-05-04T17:00+02:00")
        due.add_argument("--minutes", required=True, type=int)
        between = sub.add_parser("between", help="Print the business minutes between two instants.")
        between.add_argument("--calendar", default="default")
        between.add_argument("--start", required=True)
        between.add_argument("--end", required=True)
        rebuild = sub.add_parser("rebuild", help="Replay the event log into the case clocks.")
        rebuild.add_argument("--all", action="store_true", help="Finished cases too.")
        rebuild.add_argument("--case", help="One case, by reference.")
        rebuild.add_argument(
            "--recount",
            action="store_true",
            help="Recount finished targets with today's calendars (they keep their figures "
            "otherwise).",
        )
        aggregates = sub.add_parser(
            "aggregates", help="Rebuild the reactivity report's pre-aggregates from the clocks."
        )
        aggregates.add_argument(
            "--check", action="store_true", help="Only compare; exit 1 if they differ."
        )
        recompute = sub.add_parser(
            "recompute", help="New due times of the active cases on a calendar (hours changed)."
        )
        recompute.add_argument("--calendar", default="default")

    def handle(self, *args, action: str, **opts) -> None:
        if action == "due":
            self._due(opts)
        elif action == "between":
            self._between(opts)
        elif action == "recompute":
            self._recompute(opts)
        elif action == "aggregates":
            self._aggregates(opts)
        else:
            self._rebuild(opts)

    def _due(self, opts) -> None:
        schedule = _schedule(opts["calendar"])
        start = _instant(opts["start"], "--start", schedule)
        minutes = opts["minutes"]
        if not 0 <= minutes <= MAX_MINUTES:
            raise CommandError(f"--minutes must be between 0 and {MAX_MINUTES}")
        try:
            due = business_time_add(schedule, start, timedelta(minutes=minutes))
        except NeverOpen as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(due.isoformat())

    def _between(self, opts) -> None:
        schedule = _schedule(opts["calendar"])
        start = _instant(opts["start"], "--start", schedule)
        end = _instant(opts["end"], "--end", schedule)
        if end < start:
            raise CommandError("--end is before --start")
        self.stdout.write(minutes_text(business_time_between(schedule, start, end)))

    def _rebuild(self, opts) -> None:
        from guichet.cases.models import Case
        from guichet.sla.services import clocks_rebuild

        ids = None
        if opts.get("case"):
            case = Case.objects.filter(reference=opts["case"].strip().upper()).first()
            if case is None:
                raise CommandError(f"no case {opts['case']}")
            ids = [case.pk]
        count = clocks_rebuild(
            case_ids=ids,
            only_active=not opts["all"] and ids is None,
            recount=opts.get("recount", False),
        )
        self.stdout.write(f"{count} case(s) synchronised")

    def _aggregates(self, opts) -> None:
        from guichet.sla.aggregates import aggregates_check, aggregates_rebuild

        if opts.get("check"):
            problems = aggregates_check()
            for line in problems[:20]:
                self.stderr.write(line)
            if problems:
                raise CommandError(f"{len(problems)} aggregate row(s) differ from the clocks")
            self.stdout.write("aggregates agree with the clocks")
            return
        cells, buckets = aggregates_rebuild()
        self.stdout.write(f"{cells} cell(s), {buckets} bucket(s) rebuilt")

    def _recompute(self, opts) -> None:
        from guichet.sla.services import clocks_recompute_calendar

        try:
            calendar = calendar_get(name=opts["calendar"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        count = clocks_recompute_calendar(calendar_id=calendar.pk)
        self.stdout.write(f"{count} case(s) recomputed")
