from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def package_charge_run_task(self):
    """Charge started package periods not charged yet; safe to run twice at once."""
    from .services import package_charge_run

    return package_charge_run()
