"""Pages under /quality/: the complaint register and file, causes, corrective actions, reviews.

Quality managers (supervisors, administrators) see everything; an agent sees and works the
complaints of cases it may see and its own reviews; customers get "not found" (their complaint's
status is shown by the portal through `selectors.complaint_status_for_customer`)."""

from guichet.quality.views.actions import action_detail, actions, causes
from guichet.quality.views.complaints import (
    complaint_detail,
    complaint_new,
    complaint_step,
    home,
    register,
    register_print,
    suggestion_dismiss,
)
from guichet.quality.views.customer import customer_answer
from guichet.quality.views.reviews import (
    calibration,
    review_answer,
    review_detail,
    review_new,
    reviews,
    samples_draw,
    scores,
)

__all__ = [
    "action_detail",
    "actions",
    "calibration",
    "causes",
    "complaint_detail",
    "complaint_new",
    "complaint_step",
    "customer_answer",
    "home",
    "register",
    "register_print",
    "review_answer",
    "review_detail",
    "review_new",
    "reviews",
    "samples_draw",
    "scores",
    "suggestion_dismiss",
]
