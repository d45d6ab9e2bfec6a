# a profile with one mistake on each line below (test_profile.c counts them)
submitter_name = EXAMPLE BILLING SERVICES LLC
submitter_id = EXBILL01
submitter_contact_name = CLAIMS DESK
submitter_contact_phone = 555-0142
receiver_name = EXAMPLE*CLEARINGHOUSE
receiver_id = EXCH0001
billing_provider_name = EXAMPLE INFUSION CENTER
billing_provider_npi = 1234567890
billing_provider_ein = 12-34567
billing_provider_address = 200 SAMPLE ST
billing_provider_city = SPRINGFIELD
billing_provider_state = il
billing_provider_zip = 62701
colour = blue
usage = live
line_per_segment = sometimes
receiver_id = AGAIN
this line has no equals sign
