"""People and access: who may use Casework, and what each of them may see and do.

It owns the user accounts, their roles and areas and API tokens (``users``), password hashing
(``passwords``), the failed-login record that throttles guessing across every web worker
(``login_attempts``), and jurisdiction (``access``): a case outside a user's area is not found,
never forbidden, and which actions a role may take comes from the workflow.
"""
