"""Checks shared by the API tests of every resource."""

from pghistory.models import Events


def audit_actors(instance):
    """The actors recorded in the change history of one object, oldest first."""
    return [event.pgh_context.get("actor") if event.pgh_context else None
            for event in Events.objects.tracks(instance).order_by("pgh_created_at")]


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]
