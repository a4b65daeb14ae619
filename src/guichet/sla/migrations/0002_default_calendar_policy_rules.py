"""The "default" calendar (Europe/Paris, Monday–Friday 09:00–12:30 and 13:30–18:00, French public
holidays), the default policy and the two usual escalation rules — from the first run."""

import datetime as dt

from django.db import migrations

MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(18, 0))
# Business minutes; a business day of the default calendar is 8 h = 480 min.
TARGETS = {
    "urgent": (60, 120, 480),
    "high": (240, 240, 960),
    "normal": (480, 480, 2400),
    "low": (960, 960, 4800),
}


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    OpeningHours = apps.get_model("sla", "OpeningHours")
    Policy = apps.get_model("sla", "Policy")
    PolicyTarget = apps.get_model("sla", "PolicyTarget")
    EscalationRule = apps.get_model("sla", "EscalationRule")

    calendar, created = Calendar.objects.get_or_create(
        name="default",
        defaults={
            "label": "Jours ouvrés (France)",
            "time_zone": "Europe/Paris",
            "country": "FR",
            "subdivision": "",
        },
    )
    if created:
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=day, start=start, end=end)
            for day in range(5)
            for start, end in (MORNING, AFTERNOON)
        )
    if not Policy.objects.filter(is_default=True).exists():
        policy = Policy.objects.create(
            name="Engagement standard", order=1000, is_default=True, is_active=True
        )
        PolicyTarget.objects.bulk_create(
            PolicyTarget(
                policy=policy,
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
            )
            for priority, (first, following, resolution) in TARGETS.items()
        )
    if not EscalationRule.objects.exists():
        EscalationRule.objects.create(
            name="Prévenir le conseiller avant l'échéance",
            moment="before_due",
            minutes=60,
            recipient="owner",
        )
        EscalationRule.objects.create(
            name="Escalader au superviseur de l'équipe en cas de dépassement",
            moment="after_breach",
            minutes=0,
            recipient="team_supervisor",
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
