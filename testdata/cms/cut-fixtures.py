#!/usr/bin/env python3
"""Cut the test fixtures of testdata/cms/ from the real CMS files.

usage: testdata/cms/cut-fixtures.py [CMS_DIR]   (default ../shared/data/cms)

The fixtures keep the real layout byte for byte: the metadata rows above the
header, the header names, Windows-1252 text, CRLF line ends and the trailing
empty columns of each row. Only the rows of a handful of shipped drugs are
kept. The *_2026 variants are a made-up next year (see README.md).
"""
import csv
import io
import os
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cms = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "..", "shared", "data", "cms")
here = os.path.dirname(os.path.abspath(__file__))


def records(data):
    """Raw records (bytes, with their line end), quotes respected."""
    out, start, q, i = [], 0, False, 0
    while i < len(data):
        c = data[i:i + 1]
        if c == b'"':
            q = not q
        elif c == b"\n" and not q:
            out.append(data[start:i + 1])
            start = i + 1
        i += 1
    if start < len(data):
        out.append(data[start:])
    return out


def fields(rec):
    return next(csv.reader(io.StringIO(rec.decode("latin-1"))), [""] * 4)


def code_of(rec):
    return fields(rec)[0].strip()


def ndc_of(rec):
    f = fields(rec)
    return f[3].strip() if len(f) > 3 else ""


PRICING_CODES = {"90371", "J0696", "J1745", "J1756", "J2405", "J3373", "J7030", "J7040",
                 "J7050", "J7060", "J7120", "J9312", "J9325", "Q0138", "Q0139"}
# crosswalk rows: every row of these codes ...
XW_ALL = {"J1745", "J9312", "Q0138", "Q0139"}
# ... and of these NDCs
XW_NDCS = {
    "00404-9930-02", "00409-4759-01", "65219-0323-02",                   # J2405
    "00143-9678-01", "00338-5002-41", "00781-3206-85",                   # J0696
    "00517-2325-10", "00517-2340-10", "49230-0530-25",                   # J1756
    "00143-9355-10", "00338-0122-04", "63323-0221-10",                   # J3373
    "00338-0049-02", "00338-0049-03", "00338-0049-04", "65219-0222-25",  # saline J7030/40/50
    "65219-0462-10", "00338-0017-03",                                    # J7060
    "65219-0475-30", "00338-0117-04",                                    # J7120 (UP TO 1000 CC)
}

pr = records(open(os.path.join(cms, "asp_pricing.csv"), "rb").read())
xw = records(open(os.path.join(cms, "asp_crosswalk.csv"), "rb").read())

# ---- asp_pricing.csv: 8 metadata rows, the header, the rows of our codes
p_out = pr[:9] + [r for r in pr[9:] if code_of(r) in PRICING_CODES]
# a Windows-1252 en dash (0x96) in a description, as CMS writes them
p_out = [r.replace(b"Iron sucrose injection", b"Iron sucrose injection \x96 Venofer")
         for r in p_out]
open(os.path.join(here, "asp_pricing.csv"), "wb").write(b"".join(p_out))

# ---- asp_crosswalk.csv
x_out = xw[:9] + [r for r in xw[9:] if code_of(r) in XW_ALL or ndc_of(r) in XW_NDCS]
# a no-break space after a product name (CMS has "Amvuttra\xa0"): the label must not keep it
x_out = [r.replace(b",57894-0030-01,Remicade,", b",57894-0030-01,Remicade\xa0,") for r in x_out]
open(os.path.join(here, "asp_crosswalk.csv"), "wb").write(b"".join(x_out))


# ---- the 2026 variants: LF line ends, the code column renamed, one more
# metadata row, J1745 priced per 100 mg, J9312 gone (retired), J3376 newly
# priced, the retired J3370 listed again (never added: not in drugs.csv)
def lf(rs):
    return [r[:-2] + b"\n" if r.endswith(b"\r\n") else r for r in rs]


def eff26(r):
    return r.replace(b"October 1, 2025 through December 31, 2025",
                     b"January 1, 2026 through March 31, 2026")


p26 = [eff26(r) for r in pr[:9]]
p26.insert(1, b"Revised 12/15/2025,,,,,,,,,,\r\n")
body = []
for r in p_out[9:]:
    c = code_of(r)
    if c == "J9312":
        continue
    if c == "J1745":
        r = r.replace(b",10 MG,", b",100 MG,")
    body.append(r)
    if c == "J3373":
        body.append(b"J3376,Inj vancomycin hcl (hikma),10 MG,0.045,20.000,,,,,,\r\n")
        body.append(b"J3370,Vancomycin hcl injection,500 MG,2.231,20.000,,,,,,\r\n")
open(os.path.join(here, "asp_pricing_2026.csv"), "wb").write(b"".join(lf(p26 + body)))

x26 = [eff26(r.replace(b"October 2025 ASP NDC", b"January 2026 ASP NDC")) for r in xw[:9]]
x26[8] = x26[8].replace(b"_2025_CODE", b"_2026_CODE")
trail = b"," * 240
body = []
for r in x_out[9:]:
    c = code_of(r)
    if c == "J9312":
        continue
    body.append(r)
    if ndc_of(r) == "57894-0160-01":
        # a product name with an en dash (0x96), and an NDC in 4-4-2 form
        body.append(b"J1745,Infliximab not biosimil 10mg,\"Janssen Biotech, Inc.\","
                    b"5789-0170-01,Infliximab \x96 unbranded,10 MG,1,1,10,10" + trail + b"\r\n")
    if ndc_of(r) == "00143-9355-10":
        body.append(b"J3370,Vancomycin hcl injection,Hikma Pharmaceuticals USA Inc.,"
                    b"00143-9370-10,Vancomycin HCl,500 MG,1,10,1,10" + trail + b"\r\n")
open(os.path.join(here, "asp_crosswalk_2026.csv"), "wb").write(b"".join(lf(x26 + body)))

# ---- no_header.csv: the metadata rows and data, but the header row lost
open(os.path.join(here, "no_header.csv"), "wb").write(b"".join(pr[:8] + p_out[9:12]))
print("wrote", here)
