"""The fixed vocabularies of the public contract (DESIGN.md).  The workflow's own choices
(outcomes, agencies, satisfaction) live in workflows.yaml instead."""

CHANNELS = ("hotline_12338", "mailbox", "letter", "visit", "online", "referral")
CATEGORIES = ("domestic_violence", "marriage_family", "property", "employment", "child",
              "personal_rights", "neighbor_dispute", "consultation", "other")
URGENCIES = ("normal", "urgent", "emergency")
GENDERS = ("female", "male", "unknown")
AGE_GROUPS = ("under_18", "18_34", "35_59", "60_plus", "unknown")
