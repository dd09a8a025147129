import pytest

from tests.factories import RateCardFactory


@pytest.mark.browser
def test_upload_a_deck_with_a_bad_row_fix_it_and_look_up_a_number(staff_page, tmp_path):
    card = RateCardFactory(name="UK retail", currency="GBP")
    bad = tmp_path / "deck.csv"
    bad.write_text("prefix,name,rate,mcd,pulse\n44,UK,0.05,1,1\n447,UK mobile,0.09,30,6\n4479,UK Vodafone,1.2.3,30,6\n")

    staff_page.goto(f"/rates/{card.pk}/")
    staff_page.set_input_files("#id_file", str(bad))
    staff_page.click("text=Check deck")
    staff_page.wait_for_selector("#upload-errors")
    errors = staff_page.locator("#upload-errors tbody tr")
    assert errors.count() == 1
    assert "4479" in errors.nth(0).inner_text() and "bad rate" in errors.nth(0).inner_text()
    assert staff_page.locator("text=Apply as a new revision").count() == 0
    staff_page.screenshot(path=str(tmp_path / "upload-bad.png"))

    bad.write_text("prefix,name,rate,mcd,pulse\n44,UK,0.05,1,1\n447,UK mobile,0.09,30,6\n4479,UK Vodafone,0.12,30,6\n")
    staff_page.goto(f"/rates/{card.pk}/")
    staff_page.set_input_files("#id_file", str(bad))
    staff_page.click("text=Check deck")
    staff_page.wait_for_selector("text=Apply as a new revision")
    assert "3" in staff_page.locator("#upload-counts").inner_text()
    staff_page.click("text=Apply as a new revision")
    staff_page.wait_for_selector("text=See its rows")

    staff_page.goto(f"/rates/{card.pk}/")
    staff_page.fill("#id_number", "447911123456")
    staff_page.click("text=Look up")
    result = staff_page.locator("#lookup-result").inner_text()
    assert "4479" in result and "UK Vodafone" in result and "0.12/min" in result
    staff_page.screenshot(path=str(tmp_path / "rate-card.png"), full_page=True)
