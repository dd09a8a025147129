import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("connex", "0002_account_options"), ("invoicing", "0004_custom_permissions"),
          ("messaging", "0003_custom_permissions"), ("numberblocks", "0001_initial")]
AFTER = [("connex", "0003_company_options_only"), ("invoicing", "0005_options"), ("messaging", "0004_options"),
         ("numberblocks", "0002_options")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def restore_schema():
    # The rest of the suite shares this database: leave it at the latest migrations.
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_settings_stored_in_the_core_move_to_the_apps_that_own_them(restore_schema):
    old = migrate(BEFORE).get_model("connex", "AccountOptions")
    try:
        old.objects.create(pk=1, company_name="Old Carrier", number_range_start=5000, block_size=250,
                           invoice_number_prefix="X-", invoice_next_number=77, invoice_line_grouping="day",
                           invoice_empty_periods=True, smtp_host="smtp.old.test", smtp_password="pw",
                           sms_auth_token="tok", sms_sender="+14155550100", sms_rate_per_second=9)
    finally:
        new = migrate(AFTER)
    assert new.get_model("connex", "AccountOptions").objects.values("company_name").get() == {
        "company_name": "Old Carrier"}
    assert new.get_model("numberblocks", "NumberRangeOptions").objects.values(
        "number_range_start", "block_size").get() == {"number_range_start": 5000, "block_size": 250}
    assert new.get_model("invoicing", "InvoicingOptions").objects.values(
        "invoice_number_prefix", "invoice_next_number", "invoice_line_grouping", "invoice_empty_periods").get() == {
        "invoice_number_prefix": "X-", "invoice_next_number": 77, "invoice_line_grouping": "day",
        "invoice_empty_periods": True}
    assert new.get_model("messaging", "MessagingOptions").objects.values(
        "smtp_host", "smtp_password", "sms_auth_token", "sms_sender", "sms_rate_per_second").get() == {
        "smtp_host": "smtp.old.test", "smtp_password": "pw", "sms_auth_token": "tok", "sms_sender": "+14155550100",
        "sms_rate_per_second": 9}
