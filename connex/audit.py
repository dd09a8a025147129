"""Audit context for work done outside a request (Celery tasks, management commands)."""

import functools
from contextvars import ContextVar

import pghistory

# The id of the Celery task running in this thread, set by @audited_task.
_running_task_id: ContextVar[str] = ContextVar("audit_running_task_id", default="")


def system_context(task_id=None, **extra):
    """Marks every change made inside as done by the system, with the task that made it.

    Inside a task the id comes from @audited_task; commands pass a name of their own. `extra`
    adds keys such as the staff member a task acts for (`on_behalf_of`).
    """
    return pghistory.context(actor="system", actor_type="system",
                             task_id=str(task_id or _running_task_id.get()), **extra)


def audited_task(task=None, *, per_item=False):
    """The one way a Celery task (bound: `@shared_task(bind=True)` above this) sets its audit actor.

    Everything the task changes is recorded as done by "system" with the task id. With
    `per_item=True` the service opens `system_context(item=…)` itself for each item, so each
    one gets its own context (pghistory merges nested contexts into the outermost one).
    """
    def decorate(function):
        @functools.wraps(function)
        def run(self, *args, **kwargs):
            # A task run eagerly (tests, `.apply()`) may have no id from a broker.
            token = _running_task_id.set(str(self.request.id or f"eager:{self.name}"))
            try:
                if per_item:
                    return function(self, *args, **kwargs)
                with system_context():
                    return function(self, *args, **kwargs)
            finally:
                _running_task_id.reset(token)

        run.audited = True
        return run

    return decorate(task) if task is not None else decorate
