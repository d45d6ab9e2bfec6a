# dripcode submitter profile (--profile FILE): who sends the 837 files, to whom,
# and for which billing provider. One "key = value" a line; '#' starts a comment
# line. All identifiers below are fictitious.

# 1000A submitter (NM1*41, PER*IC): a phone, an email or both
submitter_name = EXAMPLE BILLING SERVICES LLC
submitter_id = EXBILL01
submitter_contact_name = CLAIMS DESK
submitter_contact_phone = (555) 555-0142
submitter_contact_email = claims@example.invalid

# 1000B receiver (NM1*40), usually the clearinghouse
receiver_name = EXAMPLE CLEARINGHOUSE
receiver_id = EXCH0001

# ISA05/06 and ISA07/08 (default: ZZ and the submitter / receiver id),
# GS02 and GS03 (default: the submitter / receiver id)
isa_sender_qualifier = ZZ
isa_sender_id = EXBILL01
isa_receiver_qualifier = ZZ
isa_receiver_id = EXCH0001
gs_sender_code = EXBILL01
gs_receiver_code = EXCH0001

# 2000A/2010AA billing provider: the NPI passes the Luhn check, the ZIP code
# has nine digits (ZIP+4, required in 2010AA), the EIN nine digits
billing_provider_name = EXAMPLE INFUSION CENTER
billing_provider_npi = 1234567893
billing_provider_ein = 12-3456789
billing_provider_taxonomy = 261QI0500X
billing_provider_address = 200 SAMPLE ST SUITE #4
billing_provider_city = SPRINGFIELD
billing_provider_state = IL
billing_provider_zip = 62701-1234

# delimiters (these are the defaults) and layout
element_separator = *
component_separator = :
repetition_separator = ^
segment_terminator = ~
line_per_segment = yes

# test (ISA15 = T, the default) or production (ISA15 = P)
usage = production
