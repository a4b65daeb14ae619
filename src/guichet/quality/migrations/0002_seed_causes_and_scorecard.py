"""Seed the root-cause tree (REQ-CMP-18) and a default scorecard built on the ESCDA criteria
(REQ-QA-01). Rows are operator data: edited in the admin, never overwritten here."""

from django.db import migrations

CAUSES = [
    ("product", "Product", [("defect", "Defect or breakdown"), ("not-as-described", "Not as described"), ("missing-feature", "Missing feature")]),
    ("delivery", "Delivery", [("late", "Late"), ("damaged", "Damaged"), ("lost", "Lost"), ("wrong-item", "Wrong item")]),
    ("billing", "Billing", [("wrong-amount", "Wrong amount"), ("double-charge", "Charged twice"), ("refund-delay", "Refund delayed")]),
    ("service", "Service", [("slow-answer", "Slow answer"), ("wrong-information", "Wrong information"), ("courtesy", "Courtesy"), ("unreachable", "Hard to reach")]),
    ("contract", "Contract and terms", [("terms-unclear", "Unclear terms"), ("cancellation", "Cancellation")]),
    ("other", "Other", []),
]

CRITERIA = [
    ("Response time", "Answered within the service target; the customer did not have to chase.", 2),
    ("Greeting and personalisation", "Uses the customer's name and history; no generic answer.", 1),
    ("Courtesy and tone", "Polite, warm, takes the customer's feelings into account.", 2),
    ("Accuracy of the answer", "Correct information, in line with the firm's policies.", 3),
    ("Completeness", "Every question of the customer is answered.", 2),
    ("Quality of writing", "Clear, without mistakes, easy to read.", 1),
    ("Resolution", "The request is settled, or the next step and its date are clear.", 3),
    ("Respect of procedure", "Identity checks, notes, category and tags as the procedure says.", 1),
]


def seed(apps, schema_editor):
    RootCause = apps.get_model("quality", "RootCause")
    Scorecard = apps.get_model("quality", "Scorecard")
    Criterion = apps.get_model("quality", "Criterion")
    if not RootCause.objects.exists():
        for position, (slug, name, children) in enumerate(CAUSES):
            parent = RootCause.objects.create(slug=slug, name=name, position=position)
            for child_position, (child_slug, child_name) in enumerate(children):
                RootCause.objects.create(
                    slug=f"{slug}-{child_slug}", name=child_name, parent=parent,
                    position=child_position,
                )
    if not Scorecard.objects.exists():
        card = Scorecard.objects.create(
            name="Standard interaction review",
            description="Weighted criteria after the ESCDA grid; scores shown /20 and in %.",
        )
        for position, (name, guidance, weight) in enumerate(CRITERIA):
            Criterion.objects.create(
                scorecard=card, name=name, guidance=guidance, weight=weight, scale_max=4,
                position=position,
            )


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
