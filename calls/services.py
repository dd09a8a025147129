from datetime import UTC, datetime

from django.db import transaction

from routing.engine import CallRequest, decide

from .models import CallAttempt


@transaction.atomic
def call_simulate(*, dialed: str, cli: str = "", pai: str = "", customer_id: int | None = None,
                  source_ip: str = "", sip_user: str = "", switch_ip: str = "", user=None,
                  at: datetime | None = None) -> tuple[CallAttempt, object]:
    """A dry authorize: the engine's decision, stored as a simulated attempt. Nothing is reserved."""
    at = at or datetime.now(UTC)
    decision = decide(CallRequest(dialed=dialed, cli=cli, pai=pai, customer_id=customer_id, source_ip=source_ip,
                                  sip_user=sip_user, switch_ip=switch_ip, at=at))
    data = decision.as_dict()
    trace = data.pop("trace")
    attempt = CallAttempt.objects.create(
        customer_id=decision.customer_id, at=at, dialed=dialed, cli=cli, pai=pai, source_ip=source_ip,
        sip_user=sip_user, switch_ip=switch_ip, allowed=decision.allowed, sip_code=decision.sip_code,
        reasons=decision.reasons, result=data, trace=trace, simulated=True, requested_by=user)
    return attempt, decision


def call_attempt_list(*, customer, limit: int = 50):
    return CallAttempt.objects.filter(customer=customer).order_by("-at", "-pk")[:limit]
