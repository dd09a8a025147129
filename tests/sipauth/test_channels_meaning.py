from sipauth.forms import IpAuthEntryForm, SipUserForm


def test_channels_zero_means_the_same_on_sip_users_and_ip_entries():
    sip_help = SipUserForm.base_fields["channels"].help_text
    ip_help = IpAuthEntryForm.base_fields["channels"].help_text
    assert sip_help == ip_help
    assert "0 means no limit of its own (the customer's channels apply)" in sip_help
