"""Who is in the demo: the shop's teams and agents, its customers and their organisations.

Specs are plain data drawn from a seeded Faker (fr_FR) and a seeded random.Random; writers turn
them into rows. Customers come in the order they joined, so a case only goes to someone who was
already a customer at that time."""

from __future__ import annotations

import bisect
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from faker import Faker

from guichet.demo import pools
from guichet.demo.hours import DAY

PARTICULIER, PROFESSIONNEL, PREMIUM = "particulier", "professionnel", "premium"
SEGMENT_WEIGHT = {PARTICULIER: 1.0, PROFESSIONNEL: 2.0, PREMIUM: 1.5}
PORTAL_SHARE = {PARTICULIER: 0.35, PROFESSIONNEL: 0.5, PREMIUM: 0.7}
MAX_CUSTOMERS = 200_000


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    slug: str
    categories: tuple[str, ...]  # category slugs this team handles
    agents: int


TEAMS = (
    TeamSpec("Service client", "service-client", ("commande", "livraison", "compte"), 6),
    TeamSpec("Facturation", "facturation", ("facturation",), 3),
    TeamSpec("Service après-vente", "service-apres-vente", ("sav", "produit"), 4),
)


@dataclass(frozen=True, slots=True)
class StaffSpec:
    email: str
    first_name: str
    last_name: str
    team: str  # team slug
    supervisor: bool
    weight: float  # share of the team's cases this person takes


@dataclass(slots=True)
class CustomerSpec:
    index: int
    first_name: str
    last_name: str
    female: bool
    email: str
    phone: str
    segment: str
    organisation: str
    portal: bool
    created_ts: int
    weight: float


def ascii_slug(value: str, sep: str = "-") -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    parts = "".join(c if c.isalnum() else " " for c in value).split()
    return sep.join(parts)


def staff_scale(cases: int) -> int:
    """More agents for more cases, so a million-case benchmark has a plausible team size."""
    return max(1, round(math.sqrt(cases / 5000)))


def staff_specs(*, fake: Faker, rng: random.Random, cases: int) -> list[StaffSpec]:
    specs: list[StaffSpec] = []
    used: set[str] = set()
    scale = staff_scale(cases)

    def person(team: str, supervisor: bool, weight: float) -> StaffSpec:
        while True:
            female = rng.random() < 0.6
            first = fake.first_name_female() if female else fake.first_name_male()
            last = fake.last_name()
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@{pools.STAFF_DOMAIN}"
            if email not in used:
                used.add(email)
                return StaffSpec(email, first, last, team, supervisor, weight)

    for team in TEAMS:
        specs.append(person(team.slug, True, 0.15))
        specs.extend(
            person(team.slug, False, round(rng.uniform(0.6, 1.4), 3))
            for _ in range(team.agents * scale)
        )
    return specs


def customer_count(cases: int) -> int:
    return max(10, min(MAX_CUSTOMERS, round(cases * 0.35)))


def customer_specs(
    *, fake: Faker, rng: random.Random, count: int, start_ts: int, end_ts: int
) -> Iterator[CustomerSpec]:
    """`count` customers in the order they joined: most were customers before the period, the
    rest joined during it. Streams: nothing is kept but the addresses already given."""
    joined = sorted(
        start_ts - rng.randrange(4 * 365 * DAY)
        if rng.random() < 0.65
        else rng.randrange(start_ts, end_ts)
        for _ in range(count)
    )
    organisations = _organisation_names(fake, rng, max(1, count // 25))
    used: set[str] = set()
    for index, created_ts in enumerate(joined):
        roll = rng.random()
        segment = PROFESSIONNEL if roll < 0.12 else PREMIUM if roll < 0.22 else PARTICULIER
        female = rng.random() < 0.55
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        organisation = rng.choice(organisations) if segment == PROFESSIONNEL else ""
        email = _email(rng, used, first, last, organisation)
        yield CustomerSpec(
            index=index,
            first_name=first,
            last_name=last,
            female=female,
            email=email,
            phone=_phone(rng),
            segment=segment,
            organisation=organisation,
            portal=rng.random() < PORTAL_SHARE[segment],
            created_ts=created_ts,
            weight=round(rng.lognormvariate(0, 0.6) * SEGMENT_WEIGHT[segment], 4),
        )


def _organisation_names(fake: Faker, rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        if rng.random() < 0.5:
            name = f"{rng.choice(pools.ORGANISATION_KINDS)} {fake.last_name()}"
        else:
            name = fake.company()
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _email(rng: random.Random, used: set[str], first: str, last: str, organisation: str) -> str:
    f, la = ascii_slug(first), ascii_slug(last)
    if organisation:
        local, domain = f"{f}.{la}", f"{ascii_slug(organisation)}.example"
    else:
        local = rng.choice((f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}", f"{la}.{f}", f"{f}.{la}"))
        domain = rng.choices(
            [d for d, _ in pools.EMAIL_DOMAINS], [w for _, w in pools.EMAIL_DOMAINS]
        )[0]
    email = f"{local}@{domain}"
    while email in used:
        email = f"{local}{rng.randrange(2, 100)}@{domain}"
    used.add(email)
    return email


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("06", "07", "06", "01", "02", "03", "04", "05", "09"))
    return " ".join([prefix, *(f"{rng.randrange(100):02d}" for _ in range(4))])


@dataclass
class CustomerBook:
    """What the case generator needs to know of each customer, compactly (lists, not objects):
    when they joined, how often they ask, whether they have a portal account, their name."""

    created: list[int] = field(default_factory=list)
    cumulative: list[float] = field(default_factory=list)
    portal: list[bool] = field(default_factory=list)
    segment: list[str] = field(default_factory=list)
    names: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, spec: CustomerSpec) -> None:
        self.created.append(spec.created_ts)
        total = self.cumulative[-1] if self.cumulative else 0.0
        self.cumulative.append(total + spec.weight)
        self.portal.append(spec.portal)
        self.segment.append(spec.segment)
        self.names.append((spec.first_name, spec.last_name, spec.female))

    def pick(self, rng: random.Random, ts: int) -> int:
        """A customer who had joined by `ts`, the more active ones more often."""
        known = max(1, bisect.bisect_right(self.created, ts))
        target = rng.random() * self.cumulative[known - 1]
        return min(bisect.bisect_right(self.cumulative, target, 0, known), known - 1)

    def full_name(self, index: int) -> str:
        first, last, _female = self.names[index]
        return f"{first} {last}"

    def formal_name(self, index: int) -> str:
        _first, last, female = self.names[index]
        return f"{'Madame' if female else 'Monsieur'} {last}"
