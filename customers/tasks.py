import pghistory
from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def customer_import_preview_task(self, import_id):
    from .imports import customer_import_preview
    from .models import CustomerImport

    customer_import = CustomerImport.objects.filter(pk=import_id, state=CustomerImport.State.VALIDATING).first()
    if customer_import is None:
        return None
    customer_import_preview(customer_import=customer_import)
    return customer_import.state


@shared_task(bind=True)
@audited_task
def customer_import_run_task(self, import_id):
    from .imports import customer_import_run
    from .models import CustomerImport

    # Claim the import so a redelivered task does not run it a second time.
    claimed = CustomerImport.objects.filter(pk=import_id, state=CustomerImport.State.IMPORTING,
                                            task_id="").update(task_id=self.request.id or "eager")
    if not claimed:
        return None
    customer_import = CustomerImport.objects.select_related("user").get(pk=import_id)
    on_behalf_of = customer_import.user.get_username() if customer_import.user else ""
    pghistory.context(on_behalf_of=on_behalf_of, import_id=import_id)  # added to the task's context
    customer_import_run(customer_import=customer_import)
    return customer_import.state


@shared_task(bind=True)
@audited_task(per_item=True)
def delayed_changes_apply_task(self):
    from .services import delayed_changes_apply_due

    return delayed_changes_apply_due()
