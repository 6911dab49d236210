"""The fixed vocabularies of the public contract (DESIGN.md).  The workflow's own choices
(outcomes, agencies, satisfaction) live in workflows.yaml instead."""

CHANNELS = ("hotline_12338", "mailbox", "letter", "visit", "online", "referral")
CATEGORIES = ("domestic_violence", "marriage_family", "property", "employment", "child",
              "personal_rights", "neighbor_dispute", "consultation", "other")
URGENCIES = ("normal", "urgent", "emergency")
GENDERS = ("female", "male", "unknown")
AGE_GROUPS = ("under_18", "18_34", "35_59", "60_plus", "unknown")


def one_of(values) -> str:
    """Why a value outside ``values`` is refused, listing them as people read them; an empty
    string among them means the field may be left empty."""
    named = [value for value in values if value != ""]
    head = "must be empty or one of: " if "" in values else "must be one of: "
    return head + ", ".join(named)
