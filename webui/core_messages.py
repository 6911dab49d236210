"""Sentences pages show through ``_()`` or ``core_text()`` at run time, which extraction cannot
see: the core's reasons (``Invalid.fields``, ``NotFound``, ``Forbidden``), webui's own answers
passed to a template as data, and the libraries' error texts.  ``_l`` only marks them for
``pybabel extract``; nothing here is translated or used when the app runs.

A sentence with a variable part can only be listed whole for the values it really takes: those
of the packaged workflows.yaml and of the core's constants (tests/e2e/test_translations.py
checks that they still match).  The others are listed in webui/translations/README.md.
"""

from __future__ import annotations


def _l(message: str) -> str:
    return message


# casework/: the reasons of Invalid, NotFound, Forbidden, as the core writes them.
FROM_THE_CORE = (
    _l("this role does not work with case files"),
    _l("this role does not read reports"),
    _l("this role may not log new petitions"),
    _l("only an administrator manages users and areas"),
    _l("no such case"),
    _l("no such area"),
    _l("no such village"),
    _l("no such level"),
    _l("no such status"),
    _l("no such category"),
    _l("required"),
    # casework/lifecycle/measure_rules.py and workflow/risk.py (the case page's forms)
    _l("required for this stage"),
    _l("not a field of this stage"),
    _l("a date YYYY-MM-DD"),
    _l("cannot be in the future"),
    _l("text of at most 200 characters"),
    _l("no such measure on this case"),
    _l("required: true or false"),
    _l("must be true or false"),
    _l("no such question"),
    _l("one of: low, medium, high, none"),
    _l("unknown field"),
    _l("expected a JSON object"),
    _l("required for this action"),
    _l("required: the version of the case you are looking at"),
    _l("the case was changed by someone else; reload it"),
    _l("the deadline was already extended once at this level"),
    _l("not a level this case can be assigned to"),
    _l("a case's events cannot be dated before its last event"),
    _l("must be text"),
    _l("at most 5000 characters, no control characters"),
    _l("at most 100 characters"),
    _l("contains control characters"),
    _l("contains a NUL character"),
    _l("not a phone number"),
    _l("not a resident ID number (18 characters, the last a digit or X)"),
    _l("the ID number's check digit does not match: a typo?"),
    _l("CASEWORK_DATA_KEY is not set: make one with `casework keys generate`"),
    _l("must be a 12-digit village code"),
    _l("this village is outside your area"),
    _l("cannot be in the future"),
    _l("at most 365 days back"),
    _l("falls in a closed month, whose figures never change; log it as received now"),
    _l("is not over yet: only a finished month can be closed"),
    _l("an emergency cannot be resolved on the spot"),
    _l("a case cannot be resolved at this level"),
    _l("an area code of digits"),
    _l("true or false"),
    _l("a date YYYY-MM-DD between 2000 and 2100"),
    _l("must be a month as YYYY-MM, from 2000-01 to 2100-12"),
    _l("must not be after the current month"),
    _l("must not be after to"),
    _l("the period must not be longer than 10 years"),
    _l("2 to 64 letters, digits, '.', '_' or '-'"),
    _l("not an e-mail address"),
    _l("already taken"),
    _l("you cannot deactivate yourself"),
    _l("this password is too easy to guess; use several unrelated words, not your name"),
    _l("the current password is not right"),
    _l("the new password must differ from the current one"),
    _l("you cannot change your own role or area"),
    _l("no such session"),
    # pydantic's own words for an empty resolve_now.note (the intake form lets it through)
    _l("String should have at least 1 character"),
    # the note casework/scheduling/scan.py writes on an automatic escalation (shown for system
    # events)
    _l("escalated automatically: deadline passed"),
    # casework/imports/: a ledger's problems (ledger_problems.py) and the refusals of a file
    # that is no readable table (_csvfile.py); their %(name)s parts are filled in when shown
    _l("'%(value)s' is not a known %(what)s; write one of: %(choices)s"),
    _l("'%(value)s' is not a date; write it as 2026-03-03, 2026/3/3, 2026.3.3 "
        "or 2026年3月3日, with a time such as 14:30 if known"),
    _l("%(value)s is in the future"),
    # casework/imports/ledger_jobs.py: a large file's check or import that failed unexpectedly
    _l("the work stopped on an error; choose the file again (rows already written are "
       "counted as duplicates, not written twice)"),
    _l("%(value)s is before 2000; is the year right?"),
    _l("%(value)s falls in %(month)s, a closed month (months up to "
        "%(through)s are closed and their figures never change); log the case "
        "as received now"),
    _l("no village '%(value)s' in your area; write its name or its 12-digit "
        "code"),
    _l("no village '%(value)s' in %(township)s"),
    _l("more than one village is named '%(value)s' (in %(townships)s); fill "
        "in 乡镇 or write the village's 12-digit code"),
    _l("no township '%(value)s' in your area"),
    _l("village %(village)s is not in %(value)s"),
    _l("required: this row has no %(column)s"),
    _l("longer than %(limit)s characters"),
    _l("'%(value)s' is not a phone number"),
    _l("a conclusion needs 办结层级 (concluded_level); leave this empty for an "
        "open case"),
    _l("a concluded case needs its date in 办结日期 (concluded_at)"),
    _l("a concluded case needs its result in 结果 (outcome); write one of: "
        "%(choices)s"),
    _l("%(value)s is before the date received"),
    _l("a %(channel)s case starts at %(start)s, so it cannot be concluded at "
        "%(value)s"),
    _l("the header lacks this column"),
    _l("unknown column; the heads are %(heads)s"),
    _l("this column appears twice"),
    _l("more cells than columns"),
    _l("the file has no rows to import"),
    _l("cannot read %(file)s: %(why)s"),
    _l("%(file)s is larger than %(limit)s MiB"),
    _l("%(file)s is an old .xls workbook; save it as .xlsx or as CSV"),
    _l("%(file)s is UTF-16 text; save it as CSV (UTF-8) or as .xlsx"),
    _l("%(file)s is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8) or "
        "as .xlsx"),
    _l("%(file)s is not a text file"),
    _l("%(file)s begins as UTF-8 text but is not UTF-8; save it as CSV (UTF-8) or as .xlsx"),
    _l("line %(line)s: %(file)s changed while it was read"),
    _l("%(file)s is not a readable .xlsx workbook (%(why)s)"),
    _l("%(file)s has no worksheet"),
    _l("line %(line)s: %(file)s is damaged and cannot be read (%(why)s)"),
    _l("line %(line)s: %(why)s"),
    _l("only county officers and administrators import ledgers"),
    _l("this upload has expired; choose the file again"),
)

# casework/evidence/: why an attachment was refused (the field "file"), and its other reasons.
FROM_THE_EVIDENCE = (
    _l("the file is empty"),
    _l("larger than 20 MB (20 × 1024 × 1024 bytes)"),
    _l("not a kind of file Casework takes: photos (JPEG, PNG, HEIC, WebP), PDF, Word or Excel "
       "(DOCX, XLSX) and voice recordings (MP3, M4A, AMR, WAV, OGG)"),
    _l("a program, not a photo, document or voice recording"),
    _l("an archive, not a Word or Excel document: send the files in it one by one"),
    _l("an old or password-protected Office file (.doc, .xls): save it as .docx or .xlsx "
       "without a password"),
    _l("a video: Casework takes photos, documents and voice recordings, not videos"),
    _l("the PDF is incomplete or damaged: send it again"),
    _l("a compressed file that would unpack to far more than a real document (a zip bomb)"),
    _l("a damaged or unusual Word or Excel file: open it and save it again"),
    _l("a ZIP archive, not a Word or Excel document (DOCX, XLSX): send the files in it one by "
       "one"),
    _l("a Word or Excel file with macros: save it as .docx or .xlsx without macros"),
    _l("a damaged recording: send it again"),
    _l("the photo is damaged or incomplete: take or send it again"),
    _l("the photo has more than 64 million pixels"),
    _l("HEIC photos cannot be cleaned of their location on this server: send the photo as JPEG "
       "(on an iPhone: Settings, Camera, Formats, Most Compatible)"),
    _l("at most 1000 characters, no control characters"),
    _l("one file per request"),
    _l("at most 10 files"),
    _l("no such attachment"),
    _l("no such thumbnail"),
    _l("this role may not add evidence to this case"),
)

# The core's sentences completed with the packaged workflow and the core's constants.
FROM_THE_WORKFLOW = (
    _l("must be one of: mediated, advised, assisted, withdrawn, other"),
    _l("must be one of: police, court, procuratorate, legal_aid, civil_affairs, labour, health, "
       "education, other"),
    _l("must be one of: satisfied, basically_satisfied, unsatisfied"),
    _l("must be one of: village_congress, township_federation"),
    _l("must be one of: accept, escalate, return, assign, resolve, refer, close, reopen, extend, "
       "wait, resume, assess, measure, note"),
    _l("must be one of: hotline_operator, county_officer, township_cadre, village_cadre, admin, "
       "leader"),
    _l("a case of emergency starts at county_center"),
    _l("a case of channel mailbox starts at village_mailbox"),
    _l("a mailbox case cannot be resolved on the spot"),
    _l("a whole number of working days from 1 to 30"),
    _l("a whole number from 1 to 1000000"),
    _l("a whole number from 1 to 200"),
    _l("a password needs at least 10 characters"),
    _l("a password has at most 1024 characters"),
)

# The core's refusals of a value outside a fixed vocabulary (casework.vocabulary.one_of).
FROM_THE_VOCABULARY = (
    _l("must be one of: hotline_12338, mailbox, letter, visit, online, referral"),
    _l("must be one of: domestic_violence, marriage_family, property, employment, child, "
       "personal_rights, neighbor_dispute, consultation, other"),
    _l("must be one of: normal, urgent, emergency"),
    _l("must be empty or one of: female, male, unknown"),
    _l("must be empty or one of: under_18, 18_34, 35_59, 60_plus, unknown"),
)

# webui/: sentences handed to a template as data (error=..., message=...) or raised as an
# HTTP error's description, and shown there through _() or core_text().
FROM_WEBUI = (
    _l("enter a user name and a password"),
    _l("wrong user name or password"),
    _l("the two new passwords differ"),
    _l("change your password first, at /account/password"),
    _l("too many failed logins; try again later"),
    _l("the language must be zh_CN or en"),
    _l("the address contains a NUL character"),
    _l("the database is not reachable; try again soon"),
    _l("something went wrong on our side; it was logged"),
)

# Werkzeug's descriptions of HTTP errors and Flask-WTF's CSRF and upload reasons.
FROM_LIBRARIES = (
    _l("The browser (or proxy) sent a request that this server could not understand."),
    _l("You don't have the permission to access the requested resource. It is either "
       "read-protected or not readable by the server."),
    _l("The requested URL was not found on the server. If you entered the URL manually please "
       "check your spelling and try again."),
    _l("The method is not allowed for the requested URL."),
    _l("The data value transmitted exceeds the capacity limit."),
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
    _l("The referrer header is missing."),
    _l("The referrer does not match the host."),
    _l("File does not have an approved extension: csv, xlsx"),
)
