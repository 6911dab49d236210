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

# What people read instead of the codes, in both languages of the product: the pages show them
# (webui/cases/labels.py), the ledger import takes them back (casework/imports/ledger_values.py)
# and the ledger template offers them in its drop-down lists.  One place, so that a word a page
# shows is always a word the importer takes.  The workflow's levels and statuses carry their
# names in workflows.yaml instead.
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "channel": {
        "hotline_12338": {"en": "12338 hotline", "zh": "12338 热线"},
        "mailbox": {"en": "Village mailbox", "zh": "自然村信箱"},
        "letter": {"en": "Letter", "zh": "来信"},
        "visit": {"en": "Visit", "zh": "来访"},
        "online": {"en": "Online", "zh": "网上"},
        "referral": {"en": "Referred by another body", "zh": "其他单位转来"},
    },
    "category": {
        "domestic_violence": {"en": "Domestic violence", "zh": "家庭暴力"},
        "marriage_family": {"en": "Marriage and family", "zh": "婚姻家庭"},
        "property": {"en": "Property", "zh": "财产权益"},
        "employment": {"en": "Employment", "zh": "劳动就业"},
        "child": {"en": "Child's rights", "zh": "儿童权益"},
        "personal_rights": {"en": "Personal rights", "zh": "人身权利"},
        "neighbor_dispute": {"en": "Neighbour dispute", "zh": "邻里纠纷"},
        "consultation": {"en": "Consultation", "zh": "咨询"},
        "other": {"en": "Other", "zh": "其他"},
    },
    "urgency": {
        "normal": {"en": "Normal", "zh": "一般"},
        "urgent": {"en": "Urgent", "zh": "紧急"},
        "emergency": {"en": "Emergency (violence now)", "zh": "特急（暴力正在发生）"},
    },
    "gender": {
        "female": {"en": "Female", "zh": "女"}, "male": {"en": "Male", "zh": "男"},
        "unknown": {"en": "Unknown", "zh": "不详"},
    },
    "age_group": {
        "under_18": {"en": "Under 18", "zh": "未满 18 岁"},
        "18_34": {"en": "18 to 34", "zh": "18–34 岁"},
        "35_59": {"en": "35 to 59", "zh": "35–59 岁"},
        "60_plus": {"en": "60 and over", "zh": "60 岁及以上"},
        "unknown": {"en": "Unknown", "zh": "不详"},
    },
    # The workflow's choices (workflows.yaml ``choices``); a choice added there without a label
    # here shows as its id.
    "outcome": {
        "mediated": {"en": "Mediated", "zh": "调解成功"},
        "advised": {"en": "Legal or policy advice given", "zh": "提供法律或政策咨询"},
        "assisted": {"en": "Help or relief arranged", "zh": "协调帮扶救助"},
        "withdrawn": {"en": "Withdrawn", "zh": "当事人撤回"},
        "other": {"en": "Other", "zh": "其他"},
    },
    "agency": {
        "police": {"en": "Police", "zh": "公安机关"},
        "court": {"en": "Court", "zh": "人民法院"},
        "procuratorate": {"en": "Procuratorate", "zh": "人民检察院"},
        "legal_aid": {"en": "Legal aid (12348)", "zh": "法律援助（12348）"},
        "civil_affairs": {"en": "Civil affairs", "zh": "民政部门"},
        "labour": {"en": "Labour", "zh": "人社部门"},
        "health": {"en": "Health", "zh": "卫生健康部门"},
        "education": {"en": "Education", "zh": "教育部门"},
        "other": {"en": "Other", "zh": "其他"},
    },
    "satisfaction": {
        "satisfied": {"en": "Satisfied", "zh": "满意"},
        "basically_satisfied": {"en": "Basically satisfied", "zh": "基本满意"},
        "unsatisfied": {"en": "Unsatisfied", "zh": "不满意"},
    },
    # The danger assessment's levels (workflows.yaml ``risk``) and the protection measures of
    # DESIGN.md's "Danger and the legal instruments", with the stages each goes through.
    "risk": {
        "low": {"en": "Low risk", "zh": "低危"},
        "medium": {"en": "Medium risk", "zh": "中危"},
        "high": {"en": "High risk", "zh": "高危"},
        "none": {"en": "Not assessed", "zh": "未评估"},
    },
    "measure": {
        "warning_letter": {"en": "Warning letter", "zh": "告诫书"},
        "protection_order": {"en": "Personal-safety protection order", "zh": "人身安全保护令"},
        "shelter": {"en": "Temporary shelter", "zh": "临时庇护"},
        "mandatory_report": {"en": "Mandatory report", "zh": "强制报告"},
    },
    "stage": {
        "issued": {"en": "Issued", "zh": "已出具"},
        "applied": {"en": "Applied for", "zh": "已申请"},
        "granted": {"en": "Granted", "zh": "已签发"},
        "rejected": {"en": "Rejected", "zh": "已驳回"},
        "extended": {"en": "Extended", "zh": "已延长"},
        "placed": {"en": "Placed", "zh": "已安置"},
        "left": {"en": "Left", "zh": "已离开"},
        "reported": {"en": "Reported", "zh": "已报告"},
    },
    # The figures of a report (docs/reports.md), one word each wherever a report is read: the
    # command line's table, the pages, the Excel heads and the handbook.  A leader who compares
    # a printed page with an Excel file must find the same word for the same count.  A state at
    # the end is "月末" in a month's report and "期末" in a period's (figure_word below).
    "figure": {
        "received": {"en": "Received", "zh": "登记"},
        "concluded": {"en": "Concluded", "zh": "办结"},
        "handling_rate": {"en": "Handling rate", "zh": "处置率"},
        "on_time_rate": {"en": "On-time rate", "zh": "按期办结率"},
        "satisfaction_rate": {"en": "Satisfaction rate", "zh": "满意率"},
        "entered": {"en": "Entered", "zh": "进入"},
        "resolved": {"en": "Resolved", "zh": "化解"},
        "referred": {"en": "Referred", "zh": "转介"},
        "escalated": {"en": "Escalated", "zh": "上报"},
        "returned": {"en": "Returned", "zh": "退回"},
        "open_end": {"en": "Open at month end", "zh": "月末在办"},
        "overdue_end": {"en": "Overdue at month end", "zh": "月末逾期"},
        "period_open_end": {"en": "Open at the period's end", "zh": "期末在办"},
        "period_overdue_end": {"en": "Overdue at the period's end", "zh": "期末逾期"},
        "resolution_rate": {"en": "Resolution rate", "zh": "化解率"},
        # The counts the two rates of conclusions are shares of: every case concluded in the
        # month or period, whenever it came in (not only those counted as ``concluded``), and
        # every case closed after its follow-up.
        "conclusions": {"en": "Concluded in the period", "zh": "期内办结"},
        "on_time": {"en": "Of them on time", "zh": "其中按期"},
        "closes": {"en": "Closed after follow-up", "zh": "回访结案"},
        "satisfied": {"en": "Of them satisfied", "zh": "其中满意"},
        "assessed": {"en": "Danger assessments", "zh": "危险性评估"},
        "high_risk": {"en": "of them high risk", "zh": "其中高危"},
        "orders_applied": {"en": "Protection orders applied for", "zh": "人身安全保护令申请"},
        "orders_granted": {"en": "Protection orders granted", "zh": "人身安全保护令签发"},
        "orders_rejected": {"en": "Protection orders rejected", "zh": "人身安全保护令驳回"},
        "warning_letters": {"en": "Warning letters", "zh": "告诫书"},
        "shelter_placements": {"en": "Shelter placements", "zh": "临时庇护安置"},
        "mandatory_reports": {"en": "Mandatory reports", "zh": "强制报告"},
    },
}


def label(kind: str, value: str, language: str) -> str:
    """The label of a vocabulary value in ``language`` ("zh..." or "en..."); an unknown value
    (a choice newer than this table) reads as itself."""
    names = LABELS.get(kind, {}).get(value)
    if names is None:
        return value.replace("_", " ")
    return names["zh" if language.lower().startswith("zh") else "en"]


def figure_word(figure: str, language: str, *, period: bool = False) -> str:
    """The word of a report figure (LABELS["figure"]); a state at the end of a period's report
    reads "期末" where a month's reads "月末"."""
    if period and f"period_{figure}" in LABELS["figure"]:
        figure = f"period_{figure}"
    return label("figure", figure, language)
