def test_column_chooser_uses_the_tables_own_headers(staff_client):
    response = staff_client.get("/customers/")
    labels = {column["name"]: column["label"] for column in response.context["column_choices"]}
    assert labels["debit_limit"] == "Debit limit"
    assert labels["account_manager"] == "Account manager"
    assert labels["flow_speed"] == "CPS"
    assert not any("_" in label for label in labels.values())
