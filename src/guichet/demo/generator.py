"""The demo's cases, as stories (demo.plans) in the order they were opened.

Requests arrive mostly in business hours on weekdays, by email first, then phone, portal, chat
and the API. Each one gets a named owner, answers minutes to hours later within opening hours,
sometimes waits on the customer, is resolved, sometimes reopened, transferred or followed by the
same customer's new case about the same thing within days (what first-contact resolution counts),
and is closed a week after resolution. Whatever would happen after "now" does not happen yet, so
recent cases are still open."""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from guichet.cases.choices import CaseStatus, Channel, ContactKind, Direction, Priority
from guichet.demo import pools
from guichet.demo.hours import (
    BUSINESS_PROFILE,
    DAY,
    EVENING_PROFILE,
    HOUR,
    MINUTE,
    WEEKEND_PROFILE,
    BusinessCalendar,
    allocate,
    day_weight,
    instant,
    local_date,
    sample_time,
)
from guichet.demo.plans import (
    CUSTOMER,
    AddContact,
    Assign,
    CasePlan,
    ChangeStatus,
    Op,
    Open,
    Update,
)
from guichet.demo.population import PREMIUM, PROFESSIONNEL, CustomerBook
from guichet.demo.texts import Texts, french_date, scenarios_for

S, K = CaseStatus, ContactKind
# Requests asked through the portal or the app fall back to email for customers without an
# account (about half), hence their larger weights here.
OPEN_DAY_CHANNELS = (
    (Channel.EMAIL, 36),
    (Channel.PHONE, 22),
    (Channel.PORTAL, 27),
    (Channel.CHAT, 10),
    (Channel.API, 10),
)
CLOSED_DAY_CHANNELS = ((Channel.EMAIL, 48), (Channel.PORTAL, 38), (Channel.API, 14))
CATEGORY_WEIGHT = {
    "commande": 18,
    "livraison": 30,
    "facturation": 14,
    "produit": 10,
    "sav": 18,
    "compte": 10,
}
REAL_TIME = (Channel.PHONE, Channel.CHAT)


@dataclass
class TeamInfo:
    id: int
    name: str
    supervisor: int
    members: list[int]
    weights: list[float]
    cumulative: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cumulative = list(itertools.accumulate(self.weights))

    def pick(self, rng: random.Random, other_than: int = 0) -> int:
        for _ in range(8):
            i = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
            member = self.members[min(i, len(self.members) - 1)]
            if member != other_than:
                return member
        return next((m for m in self.members if m != other_than), self.members[0])


@dataclass
class CategoryInfo:
    id: int
    slug: str
    team: int


@dataclass
class Directory:
    """The staff and categories the stories use, as database ids."""

    teams: dict[int, TeamInfo]
    categories: list[CategoryInfo]
    first_names: dict[int, str]


@dataclass(order=True)
class _Repeat:
    at: int
    order: int
    customer: int = field(compare=False)
    category: CategoryInfo = field(compare=False)
    scenario: dict[str, object] = field(compare=False)
    ctx: dict[str, str] = field(compare=False)


@dataclass
class _Story:
    """The case as the generator knows it while writing its story."""

    plan: CasePlan
    channel: str
    category: CategoryInfo
    team: TeamInfo
    owner: int
    scenario: dict[str, object]
    ctx: dict[str, str]
    t: int
    customer_actor: int | None


class CaseGenerator:
    def __init__(
        self,
        *,
        rng: random.Random,
        book: CustomerBook,
        directory: Directory,
        calendar: BusinessCalendar,
        start_ts: int,
        end_ts: int,
        cases: int,
    ) -> None:
        self.rng, self.book, self.dir, self.cal = rng, book, directory, calendar
        self.start_ts, self.end_ts, self.cases = start_ts, end_ts, cases
        self.texts = Texts(rng, book)
        self._repeats: list[_Repeat] = []
        self._order = itertools.count()
        cats = directory.categories
        self._cat_weights = [CATEGORY_WEIGHT.get(c.slug, 5) for c in cats]
        self._pro_weights = [
            w * (2 if c.slug == "facturation" else 1)
            for w, c in zip(self._cat_weights, cats, strict=True)
        ]

    # -- arrivals ----------------------------------------------------------------------------

    def _arrivals(self) -> Iterator[tuple[int, str]]:
        first, last = local_date(self.start_ts), local_date(self.end_ts)
        days = [d for d in self.cal.days if first <= d.day <= last]
        weights = [day_weight(d, i / len(days)) for i, d in enumerate(days)]
        # Today is not over: it gets its share up to now only.
        weights[-1] *= max(0.05, (self.end_ts - instant(last, 0)) / DAY)
        rng = self.rng
        open_day = tuple(zip(*OPEN_DAY_CHANNELS, strict=True))
        closed_day = tuple(zip(*CLOSED_DAY_CHANNELS, strict=True))
        for day, count in zip(days, allocate(self.cases, weights), strict=True):
            arrivals = []
            for _ in range(count):
                if day.business:
                    channel = rng.choices(*open_day)[0]
                    in_hours = channel in REAL_TIME or rng.random() < 0.8
                    profile = BUSINESS_PROFILE if in_hours else EVENING_PROFILE
                else:
                    channel = rng.choices(*closed_day)[0]
                    profile = WEEKEND_PROFILE
                ts = sample_time(rng, day.day, profile)
                if ts > self.end_ts or ts < self.start_ts:  # later today: not yet, so earlier
                    earliest = max(self.start_ts, instant(day.day, 0))
                    ts = rng.randrange(earliest, max(earliest + 1, self.end_ts))
                arrivals.append((ts, channel))
            arrivals.sort()
            yield from arrivals

    def __iter__(self) -> Iterator[CasePlan]:
        emitted, skips = 0, 0
        for ts, channel in self._arrivals():
            while self._repeats and self._repeats[0].at <= ts and emitted < self.cases:
                yield self._repeat(heapq.heappop(self._repeats))
                emitted += 1
                skips += 1  # a repeat takes the place of the next new request
            if emitted >= self.cases:
                return
            if skips:
                skips -= 1
                continue
            yield self._new(ts, channel)
            emitted += 1
        while self._repeats and emitted < self.cases:
            yield self._repeat(heapq.heappop(self._repeats))
            emitted += 1

    # -- one case ----------------------------------------------------------------------------

    def _new(self, ts: int, channel: str) -> CasePlan:
        rng = self.rng
        customer = self.book.pick(rng, ts)
        if channel in (Channel.PORTAL, Channel.API) and not self.book.portal[customer]:
            channel = Channel.EMAIL
        pro = self.book.segment[customer] == PROFESSIONNEL
        category = rng.choices(
            self.dir.categories, self._pro_weights if pro else self._cat_weights
        )[0]
        scenario = rng.choice(scenarios_for(category.slug))
        ctx = self.texts.context(ts=ts, customer=customer, scenario=scenario)
        subject = self.texts.subject(scenario, ctx)
        body = self.texts.opening(scenario, ctx, channel)
        return self._story(ts, channel, customer, category, scenario, ctx, subject, body, False)

    def _repeat(self, repeat: _Repeat) -> CasePlan:
        rng, ts = self.rng, repeat.at
        if self.cal.is_open(ts):
            channel = rng.choices(
                (Channel.PHONE, Channel.EMAIL, Channel.PORTAL, Channel.CHAT), (40, 35, 15, 10)
            )[0]
        else:
            channel = rng.choice((Channel.EMAIL, Channel.PORTAL))
        if channel == Channel.PORTAL and not self.book.portal[repeat.customer]:
            channel = Channel.EMAIL
        subject = self.texts.repeat_subject(repeat.ctx)
        body = self.texts.repeat_opening(repeat.scenario, repeat.ctx, channel)
        return self._story(
            ts,
            channel,
            repeat.customer,
            repeat.category,
            repeat.scenario,
            repeat.ctx,
            subject,
            body,
            True,
        )

    def _priority(self, customer: int, repeat: bool) -> str:
        roll = self.rng.random()
        if self.book.segment[customer] in (PREMIUM, PROFESSIONNEL) or repeat:
            roll -= 0.15
        if roll < 0.05:
            return Priority.URGENT
        if roll < 0.2:
            return Priority.HIGH
        return Priority.LOW if roll > 0.92 else Priority.NORMAL

    def _story(
        self,
        ts: int,
        channel: str,
        customer: int,
        category: CategoryInfo,
        scenario: dict[str, object],
        ctx: dict[str, str],
        subject: str,
        body: str,
        repeat: bool,
    ) -> CasePlan:
        rng, cal = self.rng, self.cal
        opened_in = category
        if channel != Channel.PHONE and rng.random() < 0.08:
            others = [c for c in self.dir.categories if c.team != category.team]
            if others:  # the customer chose the wrong category: another team gets it first
                opened_in = rng.choice(others)
        team = self.dir.teams[opened_in.team]
        owner = team.pick(rng)
        tags: tuple[str, ...] = ("relance",) if repeat else ()
        if rng.random() < 0.25 and category.slug in pools.TAGS:
            tags = (*tags, rng.choice(pools.TAGS[category.slug]))
        priority = self._priority(customer, repeat)
        # An agent types in the call; other requests arrive on their own and the demo plays the
        # router (case_open would route a customer's own request to the least-loaded colleague
        # as the stories are written one by one, not as they happened).
        opener = {Channel.PHONE: owner}
        story = _Story(
            plan=CasePlan(customer=customer),
            channel=channel,
            category=opened_in,
            team=team,
            owner=owner,
            scenario=scenario,
            ctx=ctx,
            t=ts,
            customer_actor=CUSTOMER if channel in (Channel.PORTAL, Channel.API) else None,
        )
        ops = story.plan.ops
        ops.append(
            Open(
                ts,
                opener.get(channel),
                channel,
                priority,
                opened_in.id,
                team.id,
                owner,
                subject,
                body,
                tags,
            )
        )

        if channel == Channel.EMAIL and not repeat and rng.random() < 0.02:
            at = cal.business_add(ts, rng.randrange(10, 240) * MINUTE)
            ops.append(ChangeStatus(at, owner, S.CLOSED, rng.choice(pools.DISCARD_REASONS)))
            return self._cut(story.plan)
        if opened_in is not category:
            self._transfer(story, category)
        elif channel not in REAL_TIME and rng.random() < 0.07:
            self._reassign(story)
        if priority in (Priority.NORMAL, Priority.LOW) and rng.random() < 0.04:
            story.t = cal.business_add(story.t, rng.randrange(5, 90) * MINUTE)
            ops.append(Update(story.t, story.owner, priority=Priority.HIGH))

        resolved = self._handle(story, first=True, priority=priority)
        if resolved and story.t <= self.end_ts:
            self._after_resolution(story, repeat)
        return self._cut(story.plan)

    def _transfer(self, story: _Story, category: CategoryInfo) -> None:
        rng = self.rng
        story.t = self.cal.business_add(story.t, rng.randrange(5, 180) * MINUTE)
        team = self.dir.teams[category.team]
        owner = team.pick(rng)
        reason = rng.choice(pools.TRANSFER_TO_TEAM).format(equipe=team.name)
        story.plan.ops.append(Update(story.t, story.owner, category=category.id))
        story.t += rng.randrange(10, 120)
        story.plan.ops.append(Assign(story.t, story.owner, owner, team.id, reason))
        story.team, story.owner, story.category = team, owner, category

    def _reassign(self, story: _Story) -> None:
        rng, team = self.rng, story.team
        if len(team.members) < 3:
            return
        story.t = self.cal.business_add(story.t, rng.randrange(10, 240) * MINUTE)
        owner = team.pick(rng, other_than=story.owner)
        agent = self.dir.first_names.get(story.owner, "")
        reason = rng.choice(pools.TRANSFER_IN_TEAM).format(agent=agent)
        story.plan.ops.append(Assign(story.t, team.supervisor, owner, team.id, reason))
        story.owner = owner

    def _delay(self, priority: str, customer: int) -> int:
        """Business seconds before an agent answers a written request."""
        median = {Priority.URGENT: 30, Priority.HIGH: 70, Priority.LOW: 300}.get(priority, 150)
        if self.book.segment[customer] in (PREMIUM, PROFESSIONNEL):
            median *= 0.6
        minutes = min(5 * 9 * 60, max(4, median * self.rng.lognormvariate(0, 0.9)))
        return int(minutes * MINUTE)

    def _call_duration(self) -> int:
        return int(min(2400, max(30, 240 * self.rng.lognormvariate(0, 0.6))))

    def _reply(self, story: _Story, core: str, in_session: bool) -> None:
        """The owner answers: in the chat, by phone, or in writing on the case's channel."""
        rng, channel = self.rng, story.channel
        name = self.dir.first_names.get(story.owner, "")
        if channel == Channel.CHAT and in_session:
            body = self.texts.agent(core, story.ctx, name, story.team.name, chat=True)
            story.plan.ops.append(AddContact(story.t, story.owner, K.REPLY, body, Channel.CHAT))
            return
        call_share = 0.4 if channel == Channel.PHONE else 0.12
        if rng.random() < call_share:
            duration = self._call_duration()
            story.t += duration
            opening = rng.choice(pools.CALLBACK_OPENINGS)
            story.plan.ops.append(
                AddContact(
                    story.t,
                    story.owner,
                    K.CALL,
                    f"{opening} {core}",
                    Channel.PHONE,
                    duration,
                    Direction.OUTBOUND,
                )
            )
            return
        written = Channel.EMAIL if channel in REAL_TIME else None
        body = self.texts.agent(core, story.ctx, name, story.team.name, chat=False)
        story.plan.ops.append(AddContact(story.t, story.owner, K.REPLY, body, written))

    def _customer_writes(self, story: _Story, choices: tuple[str, ...], in_session: bool) -> None:
        chat = story.channel == Channel.CHAT and in_session
        channel = Channel.CHAT if chat else (None if story.channel not in REAL_TIME else "email")
        body = self.texts.customer_line(choices, story.ctx, chat)
        story.plan.ops.append(
            AddContact(story.t, story.customer_actor, K.CUSTOMER_MESSAGE, body, channel)
        )

    def _handle(self, story: _Story, *, first: bool, priority: str) -> bool:
        """Answer until the case is resolved (True) or closed unanswered (False)."""
        rng, cal, ops = self.rng, self.cal, story.plan.ops
        slug = story.category.slug
        in_session = story.channel in REAL_TIME
        outcome = self._outcome(story.channel, first)
        if story.channel == Channel.PHONE and first:
            duration = self._call_duration()
            story.t += duration
            summary = {
                "resolve": rng.choice(pools.CALL_OUTCOMES),
                "ask": "Le client nous envoie les éléments demandés par email.",
                "investigate": "Vérification nécessaire, le client sera recontacté.",
            }[outcome]
            ops.append(
                AddContact(
                    story.t,
                    story.owner,
                    K.CALL,
                    f"Appel entrant de {duration // 60 or 1} min. {summary}",
                    Channel.PHONE,
                    duration,
                    Direction.INBOUND,
                )
            )
        else:
            if story.channel == Channel.CHAT and first:
                story.t += rng.randrange(40, 8 * MINUTE)
            else:
                wait = self._delay(priority, story.plan.customer)
                answer_at = cal.business_add(story.t, wait)
                if answer_at - story.t > DAY and rng.random() < 0.35:
                    story.t += rng.randrange(DAY, answer_at - story.t)
                    self._customer_writes(story, pools.CHASERS, in_session=False)
                story.t = max(story.t + MINUTE, answer_at)
            self._reply(story, self._answer_text(story, outcome, slug), in_session and first)
        session = story.channel == Channel.CHAT and first  # the chat conversation goes on
        for _round in range(4):
            if outcome == "resolve":
                story.t += rng.randrange(60, 600)
                ops.append(ChangeStatus(story.t, story.owner, S.RESOLVED))
                return True
            if outcome == "ask":
                story.t += rng.randrange(30, 300)
                ops.append(ChangeStatus(story.t, story.owner, S.WAITING_CUSTOMER))
                if rng.random() < 0.82:
                    gap = rng.randrange(60, 600) if session else rng.lognormvariate(9.8, 1.0)
                    story.t += int(min(4 * DAY, max(MINUTE if session else 10 * MINUTE, gap)))
                    self._customer_writes(story, pools.CUSTOMER_ANSWERS, in_session=session)
                    outcome = rng.choices(("resolve", "investigate", "ask"), (75, 18, 7))[0]
                else:
                    story.t = cal.business_add(story.t + 3 * DAY, rng.randrange(HOUR))
                    self._reply(story, pools.NO_ANSWER_REMINDER, False)
                    story.t = cal.business_add(story.t + 5 * DAY, rng.randrange(HOUR))
                    ops.append(
                        ChangeStatus(story.t, story.owner, S.CLOSED, pools.NO_ANSWER_CLOSE_REASON)
                    )
                    return False
            else:  # investigate: an internal note, then an answer hours or days later
                session = False
                if rng.random() < 0.6:
                    story.t = cal.business_add(story.t, rng.randrange(15, 300) * MINUTE)
                    author = story.team.supervisor if rng.random() < 0.15 else story.owner
                    note = self.texts.pick(pools.NOTES.get(slug, pools.NOTES_DEFAULT), story.ctx)
                    ops.append(AddContact(story.t, author, K.NOTE, note))
                outcome = rng.choices(("resolve", "ask"), (80, 20))[0]
            if session:
                story.t += rng.randrange(40, 5 * MINUTE)
            else:
                story.t = cal.business_add(story.t, rng.randrange(20, 16 * 60) * MINUTE)
            self._reply(story, self._answer_text(story, outcome, slug), session)
        story.t += rng.randrange(60, 600)
        ops.append(ChangeStatus(story.t, story.owner, S.RESOLVED))
        return True

    def _outcome(self, channel: str, first: bool) -> str:
        resolve = {Channel.PHONE: 62, Channel.CHAT: 58}.get(channel, 50) if first else 70
        return self.rng.choices(("resolve", "ask", "investigate"), (resolve, 25, 100 - resolve))[0]

    def _answer_text(self, story: _Story, outcome: str, slug: str) -> str:
        if outcome == "resolve":
            return self.texts.fill(story.scenario["reponse"], story.ctx)
        if outcome == "ask":
            return pools.ASK_INFO.get(slug, pools.ASK_INFO_DEFAULT)
        lines = pools.INVESTIGATING_BY_CATEGORY.get(slug, pools.INVESTIGATING)
        return self.texts.pick(lines, story.ctx)

    def _after_resolution(self, story: _Story, repeat: bool) -> None:
        """Reopened by the customer, or a new case about the same thing, then closed a week on."""
        rng, cal, ops = self.rng, self.cal, story.plan.ops
        roll = rng.random()
        if roll < 0.085:
            story.t += int(min(12 * DAY, max(HOUR, rng.lognormvariate(11.5, 0.9))))
            if story.customer_actor == CUSTOMER and rng.random() < 0.4:
                ops.append(
                    ChangeStatus(story.t, CUSTOMER, S.OPEN, rng.choice(pools.REOPEN_REASONS))
                )
            else:
                lines = pools.REOPEN_MESSAGES.get(story.category.slug, pools.REOPEN_DEFAULT)
                self._customer_writes(story, lines, in_session=False)
            story.t = cal.business_add(story.t, self._delay(Priority.HIGH, story.plan.customer))
            self._reply(story, self.texts.fill(story.scenario["reponse"], story.ctx), False)
            story.t += rng.randrange(60, 600)
            ops.append(ChangeStatus(story.t, story.owner, S.RESOLVED))
        elif roll < 0.085 + 0.11 and not repeat:
            at = story.t + rng.randrange(2 * HOUR, 7 * DAY)
            if at <= self.end_ts:
                ctx = {**story.ctx, "date_demande": _date_of(story.plan)}
                heapq.heappush(
                    self._repeats,
                    _Repeat(
                        at,
                        next(self._order),
                        story.plan.customer,
                        story.category,
                        story.scenario,
                        ctx,
                    ),
                )
        story.t = cal.business_add(story.t + 7 * DAY, rng.randrange(4 * HOUR))
        ops.append(ChangeStatus(story.t, story.owner, S.CLOSED))

    def _cut(self, plan: CasePlan) -> CasePlan:
        """Keep what has happened by now; times never go backwards."""
        kept: list[Op] = []
        last = 0
        for op in plan.ops:
            op.at = max(op.at, last)
            if op.at > self.end_ts:
                break
            kept.append(op)
            last = op.at
        plan.ops = kept
        return plan


def _date_of(plan: CasePlan) -> str:
    return french_date(plan.ops[0].at)
