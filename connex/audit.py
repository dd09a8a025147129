"""Audit context for work done outside a request (Celery tasks, management commands)."""

import pghistory


def system_context(task_id, **extra):
    """Marks every change made inside as done by the system, with the task that made it.

    `extra` adds keys such as the staff member a task acts for (`on_behalf_of`).
    """
    return pghistory.context(actor="system", actor_type="system", task_id=str(task_id or ""), **extra)
