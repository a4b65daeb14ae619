#!/usr/bin/env python
"""Server-side latency of the agent workspace, measured like ../shared/peer-bench (django-helpdesk).

For each N: a database with N cases (the demo generator's bulk mode when available, else a
simple bulk_create seeder), then in-process requests through django.test.Client (full middleware
stack, no HTTP server): 3 warm-ups (the 3rd one counts the SQL queries), 30 timed requests,
median and p95 (nearest rank) in milliseconds. The inbox's view counts are cached for a few
seconds (selectors.COUNTS_SECONDS), so the inbox rows are mostly cache hits; the row
`inbox_counts_cold` drops that cache before each request (the page right after a case changed).

    .venv/bin/python benchmarks/workspace_bench.py --n 10000 100000
    .venv/bin/python benchmarks/workspace_bench.py --n 100000 --db postgres
    .venv/bin/python benchmarks/workspace_bench.py --n 10000 --peer /tmp/peer-bench/results

Databases are kept in benchmarks/results/ (git-ignored) and reused when they already hold N
cases (--fresh rebuilds them). An existing dataset (e.g. the shared 1,000,000-case ones of
/work/bench-data, or a copy of them) is used as it is with --sqlite-dir DIR (GUICHET_VAR_DIR of
that database) or --database-url URL: nothing is seeded, N is what it holds; --migrate applies
pending migrations first (only on a copy: a shared master is read-only) and ANALYZEs; without
it nothing is written (sessions in signed cookies, no last_login update).

    flock /tmp/bench.lock .venv/bin/python benchmarks/workspace_bench.py \
        --sqlite-dir /work/bench-data/ws-sqlite-1m --migrate
    flock /tmp/bench.lock .venv/bin/python benchmarks/workspace_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/guichet_1m_ws --migrate

With --peer DIR (peer-bench's results/ folder, timing_N.json or
timing_N_pg.json), the table adds the ratio to django-helpdesk's matching view.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SEARCH_WORD = "réclamations"  # the seeders put "réclamation" in about 2 % of the contacts
# Our endpoint → django-helpdesk's endpoint it is compared with.
PEER = {
    "inbox_first_page": "ticket_list_total",
    "case_page": "ticket_detail",
    "search": "search_total",
}


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --- child process: one N, one database -----------------------------------------------------


def setup_django(n: int, db: str, *, sqlite_dir: str = "", database_url: str = "") -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["GUICHET_VAR_DIR"] = sqlite_dir or str(RESULTS / "var")
    os.environ["GUICHET_PLAIN_STATIC"] = "1"
    os.environ.setdefault("GUICHET_TASKS_BACKEND", "immediate")
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    elif sqlite_dir:
        os.environ.pop("DATABASE_URL", None)  # the settings' default: GUICHET_VAR_DIR's file
    elif db == "postgres":
        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        os.environ["DATABASE_URL"] = f"{base}/guichet_bench_{n}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{RESULTS / f'workspace_{n}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def pg_create(n: int, fresh: bool) -> None:
    import psycopg

    base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (f"guichet_bench_{n}",)
        ).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "guichet_bench_{n}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "guichet_bench_{n}"')


def sqlite_remove(n: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        path = RESULTS / f"workspace_{n}.sqlite3{suffix}"
        if path.exists():
            path.unlink()


SUBJECTS = [
    "Colis non reçu", "Commande incomplète", "Produit abîmé à la livraison", "Facture en double",
    "Remboursement en attente", "Changement d'adresse", "Retard de livraison",
    "Question sur la garantie", "Pièce manquante", "Erreur de taille", "Accès au compte",
    "Annulation de commande", "Échange d'un article", "Paiement refusé", "Service après-vente",
]  # fmt: skip
SENTENCES = [
    "Bonjour, je n'ai toujours pas reçu ma commande passée la semaine dernière.",
    "Pouvez-vous me dire où en est mon colis ? Le suivi n'avance plus.",
    "L'article est arrivé cassé, le carton était enfoncé.",
    "Je souhaite être remboursé, merci de me dire comment renvoyer le produit.",
    "Nous avons bien reçu votre message et revenons vers vous rapidement.",
    "Votre colis a été réexpédié ce matin, vous le recevrez sous 48 heures.",
    "Merci de nous envoyer une photo du produit et le numéro de commande.",
    "La facture mentionne un montant différent de celui payé en ligne.",
    "Client déjà venu au magasin, très patient jusqu'ici.",
    "Je n'arrive plus à me connecter à mon espace client depuis hier.",
]


def simple_seed(n: int, *, batch: int = 5000) -> None:
    """A fallback seeder: N cases with 3 contacts and 2 events each, in bulk (like peer-bench:
    ~30 % of cases active, 80 % assigned, 1 team per 10,000 cases, 20 agents)."""
    from django.db import transaction
    from django.utils import timezone

    from guichet.accounts.choices import Role
    from guichet.accounts.models import Team, User
    from guichet.cases.models import Case, CaseEvent, Category, Contact, Tag, case_reference
    from guichet.core.sequences import sequence_next
    from guichet.customers.models import Customer

    rng = random.Random(1)
    now = timezone.now()
    n_teams = max(1, n // 10_000)
    teams = [
        Team.objects.create(name=f"Équipe {i + 1}", slug=f"equipe-{i + 1}", is_default=i == 0)
        for i in range(n_teams)
    ]
    agents = []
    for i in range(20):
        agent = User.objects.create_user(
            email=f"agent{i:02d}@bench.test", first_name=f"Agent{i:02d}", role=Role.AGENT
        )
        teams[i % n_teams].members.add(agent)
        agents.append(agent)
    User.objects.create_user(email="super@bench.test", first_name="Super", role=Role.SUPERVISOR)
    members = {t.pk: [a for a in agents if a.teams.filter(pk=t.pk).exists()] for t in teams}
    categories = [
        Category.objects.create(name=name, slug=name.lower(), team=teams[i % n_teams])
        for i, name in enumerate(["Livraison", "Commande", "Facturation", "Produit", "SAV"])
    ]
    tags = [Tag.objects.create(name=name) for name in ("fragile", "vip", "relance", "retour")]
    n_customers = max(1, n // 3)
    for start in range(0, n_customers, batch):
        Customer.objects.bulk_create(
            Customer(
                name=f"Client{i} Nom{i}",
                email=f"client{i}@bench.test",
                created_at=now - timedelta(days=400),
            )
            for i in range(start, min(n_customers, start + batch))
        )
    customer_ids = list(Customer.objects.values_list("id", flat=True))
    statuses = ["new"] * 8 + ["open"] * 15 + ["waiting_customer"] * 7 + ["resolved"] * 10
    statuses += ["closed"] * 60
    priorities = ["urgent"] * 5 + ["high"] * 15 + ["normal"] * 60 + ["low"] * 20
    channels = ["email"] * 45 + ["phone"] * 20 + ["portal"] * 20 + ["chat"] * 10 + ["api"] * 5
    done = 0
    while done < n:
        size = min(batch, n - done)
        with transaction.atomic():
            rows = []
            first_number = sequence_next(name="case", count=size)
            for number in range(first_number, first_number + size):
                team = rng.choice(teams)
                created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
                status = rng.choice(statuses)
                owner = rng.choice(members[team.pk]) if rng.random() < 0.8 else None
                rows.append(
                    Case(
                        number=number,
                        reference=case_reference(number),
                        subject=rng.choice(SUBJECTS),
                        customer_id=rng.choice(customer_ids),
                        owner=owner,
                        team=team,
                        status=status,
                        priority=rng.choice(priorities),
                        category=rng.choice(categories),
                        channel=rng.choice(channels),
                        created_at=created,
                        updated_at=created + timedelta(hours=rng.randint(1, 72)),
                        resolved_at=created + timedelta(days=2)
                        if status in ("resolved", "closed")
                        else None,
                    )
                )
            cases = Case.objects.bulk_create(rows)
            contacts, events, case_tags = [], [], []
            for case in cases:
                for j, kind in enumerate(("customer_message", "reply", "customer_message")):
                    text = " ".join(rng.sample(SENTENCES, 2))
                    if rng.random() < 0.02:
                        text += " Je dépose une réclamation."
                    contacts.append(
                        Contact(
                            case=case,
                            kind=kind,
                            channel=case.channel,
                            direction="inbound" if kind == "customer_message" else "outbound",
                            author_user=case.owner if kind == "reply" else None,
                            author_customer_id=case.customer_id
                            if kind == "customer_message"
                            else None,
                            body_text=text,
                            body_html=f"<p>{text}</p>",
                            created_at=case.created_at + timedelta(hours=j),
                        )
                    )
                events.append(
                    CaseEvent(case=case, kind="created", data={}, created_at=case.created_at)
                )
                events.append(
                    CaseEvent(
                        case=case,
                        kind="assigned",
                        data={"owner_id": case.owner_id, "team_id": case.team_id},
                        created_at=case.created_at,
                    )
                )
                if rng.random() < 0.2:
                    case_tags.append(Case.tags.through(case_id=case.pk, tag=rng.choice(tags)))
            Contact.objects.bulk_create(contacts)
            CaseEvent.objects.bulk_create(events)
            Case.tags.through.objects.bulk_create(case_tags)
        done += size
        print(f"  seeded {done:,} / {n:,}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def sql_seed(n: int, *, batch: int = 100_000) -> None:
    """SQLite only, for N in the millions: the same shape as `simple_seed` (people made by the
    ORM), but cases, contacts and events generated inside SQLite by INSERT … SELECT over a
    recursive counter. The FTS triggers index each contact as it is inserted."""
    from django.db import connection, transaction
    from django.utils import timezone

    from guichet.accounts.choices import Role
    from guichet.accounts.models import Team, User
    from guichet.cases.models import Category, Tag
    from guichet.core.sequences import sequence_next

    if connection.vendor != "sqlite":
        raise SystemExit("--seeder sql is for SQLite")
    n_teams = max(1, n // 10_000)
    teams = [
        Team.objects.create(name=f"Équipe {i + 1}", slug=f"equipe-{i + 1}", is_default=i == 0)
        for i in range(n_teams)
    ]
    agent_of_team: dict[int, int] = {}
    for i in range(20):
        agent = User.objects.create_user(
            email=f"agent{i:02d}@bench.test", first_name=f"Agent{i:02d}", role=Role.AGENT
        )
        teams[i % n_teams].members.add(agent)
        agent_of_team.setdefault(i % n_teams, agent.pk)
    User.objects.create_user(email="super@bench.test", first_name="Super", role=Role.SUPERVISOR)
    categories = [
        Category.objects.create(name=name, slug=name.lower(), team=teams[i % n_teams]).pk
        for i, name in enumerate(["Livraison", "Commande", "Facturation", "Produit", "SAV"])
    ]
    for name in ("fragile", "vip", "relance", "retour"):
        Tag.objects.create(name=name)
    now = timezone.now()
    n_customers = max(1, n // 3)
    team_ids = ",".join(str(t.pk) for t in teams)
    owner_case = " ".join(
        f"WHEN {index} THEN {agent}" for index, agent in sorted(agent_of_team.items())
    )
    subjects = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(SUBJECTS)).replace("d'", "d''")
    sentences = " ".join(
        f"WHEN {i} THEN '{t.replace(chr(39), chr(39) * 2)}'" for i, t in enumerate(SENTENCES)
    )
    stamp = "strftime('%Y-%m-%d %H:%M:%f', :now, '-' || age || ' seconds', '{shift}')"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-200000")
        with transaction.atomic():
            cursor.execute(
                "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq "
                "WHERE i + 1 < %s) INSERT INTO customers_customer (name, email, phone, language, "
                "segment, created_at) SELECT 'Client' || i || ' Nom' || i, 'client' || i || "
                "'@bench.test', '', 'fr', '', %s FROM seq",
                [n_customers, (now - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")],
            )
        cursor.execute("SELECT MIN(id) FROM customers_customer")
        first_customer = cursor.fetchone()[0]
        done = 0
        while done < n:
            size = min(batch, n - done)
            first_number = sequence_next(name="case", count=size)
            with transaction.atomic():
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
                last_id = cursor.fetchone()[0]
                cursor.execute(
                    f"""WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq
                        WHERE i + 1 < {size}),
                    r AS MATERIALIZED (SELECT i, abs(random()) % 31536000 AS age,
                          abs(random()) % 100 AS st,
                          abs(random()) % 100 AS pr, abs(random()) % 100 AS ch,
                          abs(random()) % 100 AS own, abs(random()) % {n_teams} AS team_index,
                          abs(random()) % {len(SUBJECTS)} AS subj FROM seq)
                    INSERT INTO cases_case (number, reference, subject, status, priority, channel,
                        created_at, updated_at, resolved_at, customer_id, owner_id, team_id,
                        category_id)
                    SELECT {first_number} + i, printf('G-%%06d', {first_number} + i),
                        CASE subj {subjects} END,
                        CASE WHEN st < 8 THEN 'new' WHEN st < 23 THEN 'open'
                             WHEN st < 30 THEN 'waiting_customer' WHEN st < 40 THEN 'resolved'
                             ELSE 'closed' END,
                        CASE WHEN pr < 5 THEN 'urgent' WHEN pr < 20 THEN 'high'
                             WHEN pr < 80 THEN 'normal' ELSE 'low' END,
                        CASE WHEN ch < 45 THEN 'email' WHEN ch < 65 THEN 'phone'
                             WHEN ch < 85 THEN 'portal' WHEN ch < 95 THEN 'chat' ELSE 'api' END,
                        {stamp.format(shift="+0 seconds")},
                        {stamp.format(shift="+7200 seconds")},
                        CASE WHEN st >= 30 THEN {stamp.format(shift="+172800 seconds")} END,
                        {first_customer} + abs(random()) % {n_customers},
                        CASE WHEN own < 80 THEN CASE team_index {owner_case} END END,
                        json_extract('[{team_ids}]', '$[' || team_index || ']'),
                        {categories[0]} + abs(random()) % {len(categories)}
                    FROM r""".replace(":now", "%s"),
                    [now.strftime("%Y-%m-%d %H:%M:%S")] * 3,
                )
                body = (
                    f"(CASE abs(random()) % 10 {sentences} END) || ' ' || "
                    f"(CASE abs(random()) % 10 {sentences} END) || "
                    "CASE WHEN abs(random()) % 100 < 2 THEN ' Je dépose une réclamation.' "
                    "ELSE '' END"
                )
                cursor.execute(
                    f"""WITH b AS MATERIALIZED (
                        SELECT c.id, c.channel, c.created_at, c.customer_id, c.owner_id, ks.k,
                            {body} AS body
                        FROM cases_case c CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1
                            UNION ALL SELECT 2) ks
                        WHERE c.id > {last_id})
                    INSERT INTO cases_contact (kind, channel, direction, body_text, body_html,
                        external_id, created_at, author_customer_id, author_user_id, case_id)
                    SELECT CASE k WHEN 1 THEN 'reply' ELSE 'customer_message' END, channel,
                        CASE k WHEN 1 THEN 'outbound' ELSE 'inbound' END, body,
                        '<p>' || body || '</p>', '',
                        strftime('%%Y-%%m-%%d %%H:%%M:%%f', created_at, '+' || k || ' hours'),
                        CASE k WHEN 1 THEN NULL ELSE customer_id END,
                        CASE k WHEN 1 THEN owner_id END, id
                    FROM b ORDER BY id, k"""
                )
                cursor.execute(
                    f"""INSERT INTO cases_caseevent (kind, data, created_at, actor_id, case_id)
                    SELECT CASE k WHEN 0 THEN 'created' ELSE 'assigned' END,
                        CASE k WHEN 0 THEN '{{}}' ELSE json_object('owner_id', c.owner_id,
                            'team_id', c.team_id) END, c.created_at, NULL, c.id
                    FROM cases_case c CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) ks
                    WHERE c.id > {last_id} ORDER BY c.id, k"""
                )
            done += size
            print(f"  seeded {done:,} / {n:,}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def demo_seed(n: int) -> bool:
    try:
        from guichet.demo.run import demo_generate
    except ImportError:
        return False
    demo_generate(cases=n, bulk=True, progress=True, seed=1)
    return True


def _analyze() -> None:
    """Statistics for the planners; on PostgreSQL also the visibility map (index-only scans),
    as autovacuum would have done on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def ensure_data(n: int, seeder: str) -> dict:
    from django.core.management import call_command

    from guichet.cases.models import Case

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    if have == n:
        _analyze()  # new indexes may have come with the migrations
        return {"seeded": False, "seeder": "reused", "seconds": 0.0}
    if have:
        raise SystemExit(f"database has {have} cases, expected {n}: run with --fresh")
    started = time.perf_counter()
    used = "simple"
    if seeder == "sql":
        used = "sql"
        sql_seed(n)
    elif seeder in ("auto", "demo") and demo_seed(n):
        used = "demo"
    elif seeder == "demo":
        raise SystemExit("guichet.demo is not available")
    else:
        simple_seed(n)
    _analyze()
    return {"seeded": True, "seeder": used, "seconds": round(time.perf_counter() - started, 1)}


def time_endpoints(repeat: int, warmup: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from guichet.accounts.models import User
    from guichet.cases.access import case_queryset_for_user
    from guichet.workspace import selectors

    agent = (
        User.objects.filter(role="agent", is_active=True, teams__isnull=False)
        .order_by("id")
        .first()
    )
    supervisor = User.objects.filter(role__in=("supervisor", "administrator")).first()
    if supervisor is None:
        supervisor = User.objects.create_user(
            email="bench-supervisor@bench.test", role="supervisor"
        )
    rng = random.Random(7)
    visible_ids = list(
        case_queryset_for_user(user=agent)
        .order_by("-id")
        .values_list("reference", flat=True)[:2000]
    )

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    agent_client, supervisor_client = client_for(agent), client_for(supervisor)
    inbox = reverse("workspace:inbox")

    def inbox_counts_cold() -> tuple[str, dict]:
        selectors.inbox_counts_forget()
        return inbox, {}

    endpoints = {
        "inbox_first_page": (agent_client, lambda: (inbox, {})),
        # The same page with the view counts recounted every time (their cache dropped before
        # each request, untimed): what a page costs right after a case changed.
        "inbox_counts_cold": (agent_client, inbox_counts_cold),
        "inbox_supervisor": (supervisor_client, lambda: (inbox, {})),
        "inbox_mine": (agent_client, lambda: (inbox, {"view": "mine"})),
        "inbox_poll": (agent_client, lambda: (reverse("workspace:inbox_results"), {})),
        "case_page": (
            agent_client,
            lambda: (reverse("workspace:case", args=[rng.choice(visible_ids)]), {}),
        ),
        "search": (agent_client, lambda: (inbox, {"q": SEARCH_WORD, "view": "all"})),
        "search_supervisor": (
            supervisor_client,
            lambda: (inbox, {"q": SEARCH_WORD, "view": "all"}),
        ),
        "customer_page": (
            agent_client,
            lambda: (reverse("workspace:customer", args=[_customer_of(rng, visible_ids)]), {}),
        ),
    }
    results = {}
    for name, (client, make) in endpoints.items():
        queries = 0
        for i in range(warmup):
            path, params = make()
            if i == warmup - 1:
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path, params)
                queries = len(ctx.captured_queries)
            else:
                response = client.get(path, params)
            assert response.status_code == 200, (name, response.status_code)
        samples = []
        for _ in range(repeat):
            path, params = make()
            started = time.perf_counter()
            response = client.get(path, params)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        results[name] = {
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(p95(samples), 2),
            "queries": queries,
        }
        r = results[name]
        print(
            f"  {name:<20} median {r['median_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  "
            f"queries {queries}",
            file=sys.stderr,
            flush=True,
        )
    counts = selectors.inbox_counts(user=agent, team_ids=selectors.user_team_ids(agent))
    results["_info"] = {"agent_view_counts": counts}
    return results


_CUSTOMER_CACHE: dict[str, int] = {}


def _customer_of(rng: random.Random, references: list[str]) -> int:
    from guichet.cases.models import Case

    reference = rng.choice(references[:200])
    if reference not in _CUSTOMER_CACHE:
        _CUSTOMER_CACHE[reference] = Case.objects.values_list("customer_id", flat=True).get(
            reference=reference
        )
    return _CUSTOMER_CACHE[reference]


def use_existing(migrate: bool) -> dict:
    """An existing dataset, as it is (or migrated and analysed, on a copy)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    started = time.perf_counter()
    if migrate:
        call_command("migrate", verbosity=0)
        _analyze()
    pending = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending)
        print(f"  warning: migrations not applied: {names}", file=sys.stderr, flush=True)
    return {
        "seeded": False,
        "seeder": "existing" + (" migrated" if migrate else ""),
        "seconds": round(time.perf_counter() - started, 1),
    }


def child(args: argparse.Namespace) -> None:
    n = args.one
    existing = bool(args.sqlite_dir or args.database_url)
    if existing:
        pass
    elif args.db == "postgres":
        pg_create(n, args.fresh)
    elif args.fresh:
        sqlite_remove(n)
    setup_django(n, args.db, sqlite_dir=args.sqlite_dir, database_url=args.database_url)
    import django
    from django.conf import settings
    from django.db import connection

    from guichet.cases.models import Case, Contact

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if existing and not args.migrate:
        # A shared master is read-only: sessions in signed cookies, no last_login update.
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login

        settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
        user_logged_in.disconnect(update_last_login)
    seed = use_existing(args.migrate) if existing else ensure_data(n, args.seeder)
    n = Case.objects.count() if existing else n
    print(f"N={n:,} ({args.db}): {seed}", file=sys.stderr, flush=True)
    results = time_endpoints(args.repeat, args.warmup)
    out = {
        "n": n,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cases_in_db": Case.objects.count(),
        "contacts_in_db": Contact.objects.count(),
        "db": connection.vendor,
        "django": django.get_version(),
        "python": sys.version.split()[0],
        "repeat": args.repeat,
        "warmup": args.warmup,
        "seed": seed,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "endpoints": results,
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


# --- parent: one child per N, then the table ------------------------------------------------


def table(runs: list[dict], peer_dir: Path | None, db: str) -> str:
    width = 28
    names = [k for k in runs[0]["endpoints"] if not k.startswith("_")]
    peers = {}
    for run in runs:
        if peer_dir is None:
            continue
        suffix = "_pg" if db == "postgres" else ""
        path = peer_dir / f"timing_{run['n']}{suffix}.json"
        if path.exists():
            peers[run["n"]] = json.loads(path.read_text())["endpoints"]
    head = f"{'endpoint':<22}|" + "|".join(f"{'N=' + format(r['n'], ','):^{width}}" for r in runs)
    sub = f"{'':<22}|" + "|".join(f"{'median / p95 ms  queries':^{width}}" for _ in runs)
    lines = [
        f"Guichet workspace, {runs[0].get('date', '')}, Django {runs[0]['django']}, "
        f"Python {runs[0]['python']}, DB {runs[0]['db']}; median/p95 over "
        f"{runs[0]['repeat']} requests after {runs[0]['warmup']} warm-ups",
        "",
        head,
        sub,
        "-" * len(head),
    ]
    for name in names:
        cells = []
        for run in runs:
            r = run["endpoints"][name]
            cells.append(f"{r['median_ms']:>7.2f} / {r['p95_ms']:>7.2f} {r['queries']:>6}  ")
        lines.append(f"{name:<22}|" + "|".join(f"{c:>{width}}" for c in cells))
    lines.append("-" * len(head))
    lines.append(
        f"{'peak RSS (MB)':<22}|" + "|".join(f"{r['peak_rss_mb']:>{width - 2}}  " for r in runs)
    )
    lines.append(
        f"{'seed':<22}|"
        + "|".join(
            f"{r['seed']['seeder'] + ' ' + str(r['seed']['seconds']) + ' s':>{width - 2}}  "
            for r in runs
        )
    )
    for run in runs:
        lines.append(
            f"  N={run['n']:,}: {run['cases_in_db']:,} cases, {run['contacts_in_db']:,} contacts; "
            f"agent's capped view counts {run['endpoints']['_info']['agent_view_counts']}"
        )
    if peers:
        lines += ["", "Ratio django-helpdesk median / Guichet median (same N, peer-bench JSON):"]
        for run in runs:
            peer = peers.get(run["n"])
            if not peer:
                continue
            parts = []
            for ours, theirs in PEER.items():
                if theirs in peer:
                    mine = run["endpoints"][ours]["median_ms"]
                    parts.append(
                        f"{ours} vs {theirs}: {peer[theirs]['median_ms']:.1f} / {mine:.2f} ms "
                        f"= {peer[theirs]['median_ms'] / mine:.1f}×"
                    )
            lines.append(f"  N={run['n']:,}: " + "; ".join(parts))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seeder", choices=("auto", "demo", "simple", "sql"), default="auto")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases")
    parser.add_argument("--peer", type=Path, help="peer-bench results folder, for ratios")
    parser.add_argument("--sqlite-dir", default="", help="an existing SQLite dataset's folder")
    parser.add_argument("--database-url", default="", help="an existing dataset's database URL")
    parser.add_argument(
        "--migrate", action="store_true", help="with an existing dataset: migrate and ANALYZE it"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        child(args)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = []
    if args.sqlite_dir or args.database_url:
        args.n = [0]  # N is what the dataset holds
        if args.database_url:
            args.db = "postgres"
    for n in args.n:
        label = "existing" if n == 0 else str(n)
        out = RESULTS / f"workspace_{label}_{args.db}.json"
        command = [sys.executable, __file__, "--one", str(n), "--out", str(out)]
        command += ["--db", args.db, "--seeder", args.seeder]
        if args.sqlite_dir:
            command += ["--sqlite-dir", args.sqlite_dir]
        if args.database_url:
            command += ["--database-url", args.database_url]
        if args.migrate:
            command.append("--migrate")
        command += ["--repeat", str(args.repeat), "--warmup", str(args.warmup)]
        if args.fresh:
            command.append("--fresh")
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603 (our own script)
        runs.append(json.loads(out.read_text()))
    print(table(runs, args.peer, args.db))


if __name__ == "__main__":
    main()
