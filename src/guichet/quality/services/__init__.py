"""Writes of the quality app: complaints, corrective actions and causes, reviews."""

from guichet.quality.services.actions import (
    action_create,
    action_link_complaints,
    action_update,
    root_cause_create,
)
from guichet.quality.services.complaints import (
    complaint_acknowledge,
    complaint_assess,
    complaint_close,
    complaint_decide,
    complaint_handler_set,
    complaint_holding_reply,
    complaint_investigate,
    complaint_note_add,
    complaint_reopen,
    complaint_respond,
)
from guichet.quality.services.intake import complaint_open, complaint_suggestion_record
from guichet.quality.services.mediation import (
    complaint_mediation_inform,
    complaint_mediation_record,
    complaints_mediation_due,
)
from guichet.quality.services.policy import mediator_active, policy_get
from guichet.quality.services.reviews import (
    Mark,
    mystery_test_record,
    review_acknowledge,
    review_create,
    review_dispute,
    reviews_sample_week,
)
from guichet.quality.services.suggestions import (
    complaint_declaration_record,
    complaint_suggestion_dismiss,
    complaint_suggestion_from_contact,
)

__all__ = [
    "Mark",
    "action_create",
    "action_link_complaints",
    "action_update",
    "complaint_acknowledge",
    "complaint_assess",
    "complaint_close",
    "complaint_decide",
    "complaint_declaration_record",
    "complaint_handler_set",
    "complaint_holding_reply",
    "complaint_investigate",
    "complaint_mediation_inform",
    "complaint_mediation_record",
    "complaint_note_add",
    "complaint_open",
    "complaint_reopen",
    "complaint_respond",
    "complaint_suggestion_dismiss",
    "complaint_suggestion_from_contact",
    "complaint_suggestion_record",
    "complaints_mediation_due",
    "mediator_active",
    "mystery_test_record",
    "policy_get",
    "review_acknowledge",
    "review_create",
    "review_dispute",
    "reviews_sample_week",
    "root_cause_create",
]
