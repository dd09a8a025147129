"""Demo recalc for `manage.py seed_demo`: one finished "refresh credit" job on a day of rated calls."""


def load_demo_recalc(stdout):
    from summaries.models import CallDetailRecord

    from .models import RecalcJob
    from .services import recalc_job_create, recalc_job_run

    if RecalcJob.objects.exists():
        stdout.write("Recalc: demo jobs already present.")
        return
    record = CallDetailRecord.objects.exclude(rate_revision=None).order_by("-start_time").first()
    if record is None:
        stdout.write("Recalc: no rated calls to recalculate.")
        return
    job = recalc_job_create(recalc_job=RecalcJob(customer_id=record.customer_id, day=record.start_time.date(),
                                                 mode=RecalcJob.Mode.REFRESH_CREDIT))
    recalc_job_run(job_id=job.pk)
    job.refresh_from_db()
    stdout.write(f"Recalc: {job} for customer {job.customer_id}: {job.get_state_display()}, delta {job.delta}.")
