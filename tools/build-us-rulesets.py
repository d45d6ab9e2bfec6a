#!/usr/bin/env python3
"""Build the US ruleset tables (rulesets/us/*.csv) from the CMS files.

usage: tools/build-us-rulesets.py CMS_DIR [-o OUT_DIR]

CMS_DIR holds the CMS files as CMS publishes them (Windows-1252, metadata rows
above the header): asp_pricing.csv, asp_crosswalk.csv, opps_addendum_b_*.csv,
mue_practitioner_*drugadmin.csv and drug_reference_table.csv. Nothing else is
read. OUT_DIR defaults to rulesets/us next to this script's parent directory.

The curated columns (drug category, single-dose flag, names, labels, the
administration-code, payer and CARC tables) live in this file; the CMS files
give billing units, ASP prices, OPPS status indicators, MUEs and the NDC
crosswalk. Python 3 standard library only.
"""

import argparse
import csv
import glob
import io
import os
import re
import sys
from decimal import Decimal, ROUND_CEILING

# ---------------------------------------------------------------------------
# Curated drug data. key: HCPCS -> (label name, category, single_dose, names)
# The label is "<name> <billing unit>"; names are lowercase, ';'-separated.
# ---------------------------------------------------------------------------
CHEMO, HORMONAL, THER, FLUID, ELYTE = (
    "chemo", "hormonal_antineoplastic", "therapeutic", "hydration_fluid",
    "electrolyte")

DRUGS = {
    # monoclonal antibodies / biologic response modifiers -> chemo
    "J1745": ("infliximab", CHEMO, "Y", "infliximab;remicade;infliximab (unbranded)"),
    "Q5103": ("infliximab-dyyb (Inflectra)", CHEMO, "Y", "infliximab-dyyb;inflectra"),
    "Q5104": ("infliximab-abda (Renflexis)", CHEMO, "Y", "infliximab-abda;renflexis"),
    "Q5121": ("infliximab-axxq (Avsola)", CHEMO, "Y", "infliximab-axxq;avsola"),
    "J3380": ("vedolizumab", CHEMO, "Y", "vedolizumab;entyvio"),
    "J3358": ("ustekinumab IV", CHEMO, "Y", "ustekinumab;stelara;ustekinumab iv;stelara iv"),
    "J9312": ("rituximab", CHEMO, "Y", "rituximab;rituxan"),
    "Q5115": ("rituximab-abbs (Truxima)", CHEMO, "Y", "rituximab-abbs;truxima"),
    "J2350": ("ocrelizumab", CHEMO, "Y", "ocrelizumab;ocrevus"),
    "J2323": ("natalizumab", CHEMO, "Y", "natalizumab;tysabri"),
    "J3262": ("tocilizumab", CHEMO, "Y", "tocilizumab;actemra"),
    "J9271": ("pembrolizumab", CHEMO, "Y", "pembrolizumab;keytruda"),
    "J9355": ("trastuzumab (not biosimilar)", CHEMO, "Y", "trastuzumab;herceptin"),
    "J9035": ("bevacizumab", CHEMO, "Y", "bevacizumab;avastin"),
    "Q5107": ("bevacizumab-awwb (Mvasi)", CHEMO, "Y", "bevacizumab-awwb;mvasi"),
    "J9299": ("nivolumab", CHEMO, "Y", "nivolumab;opdivo"),
    "J9022": ("atezolizumab", CHEMO, "Y", "atezolizumab;tecentriq"),
    "J9055": ("cetuximab", CHEMO, "Y", "cetuximab;erbitux"),
    "J9306": ("pertuzumab", CHEMO, "Y", "pertuzumab;perjeta"),
    # cytotoxic anti-neoplastics -> chemo
    "J9075": ("cyclophosphamide (other makers)", CHEMO, "Y", "cyclophosphamide;cytoxan"),
    "J9071": ("cyclophosphamide (AuroMedics)", CHEMO, "Y", "cyclophosphamide (auromedics)"),
    "J9072": ("cyclophosphamide (Frindovyx)", CHEMO, "Y", "frindovyx;cyclophosphamide (frindovyx)"),
    "J9073": ("cyclophosphamide (Dr. Reddy's)", CHEMO, "Y", "cyclophosphamide (dr. reddy's)"),
    "J9074": ("cyclophosphamide (Sandoz)", CHEMO, "Y", "cyclophosphamide (sandoz)"),
    "J9076": ("cyclophosphamide (Baxter)", CHEMO, "Y", "cyclophosphamide (baxter)"),
    "J9267": ("paclitaxel", CHEMO, "N", "paclitaxel;taxol"),
    "J9045": ("carboplatin", CHEMO, "N", "carboplatin;paraplatin"),
    "J9263": ("oxaliplatin", CHEMO, "Y", "oxaliplatin;eloxatin"),
    "J9190": ("fluorouracil", CHEMO, "Y", "fluorouracil;5-fu;5-fluorouracil;adrucil"),
    "J9201": ("gemcitabine", CHEMO, "Y", "gemcitabine;gemcitabine hcl;gemzar;infugem"),
    "J9171": ("docetaxel", CHEMO, "Y", "docetaxel;taxotere"),
    "J9305": ("pemetrexed", CHEMO, "Y", "pemetrexed;pemetrexed disodium;alimta"),
    # hormonal anti-neoplastics
    "J9217": ("leuprolide depot", HORMONAL, "Y", "leuprolide;leuprolide acetate;lupron depot;lupron;eligard"),
    "J9202": ("goserelin implant", HORMONAL, "Y", "goserelin;goserelin acetate;zoladex"),
    "J9395": ("fulvestrant", HORMONAL, "Y", "fulvestrant;faslodex"),
    # therapeutic
    "J0640": ("leucovorin calcium", THER, "Y", "leucovorin;leucovorin calcium;folinic acid"),
    "J1756": ("iron sucrose", THER, "Y", "iron sucrose;venofer"),
    "J1439": ("ferric carboxymaltose", THER, "Y", "ferric carboxymaltose;injectafer"),
    "Q0138": ("ferumoxytol (non-ESRD)", THER, "Y", "ferumoxytol;feraheme"),
    "Q0139": ("ferumoxytol (ESRD on dialysis)", THER, "Y", "ferumoxytol esrd;feraheme esrd"),
    "J1569": ("immune globulin IV (Gammagard Liquid)", THER, "Y",
              "immune globulin;ivig;immune globulin intravenous;intravenous immune globulin;gammagard liquid;gammagard"),
    "J1459": ("immune globulin IV (Privigen)", THER, "Y", "privigen"),
    "J1561": ("immune globulin (Gamunex-C/Gammaked)", THER, "Y", "gamunex-c;gamunex;gammaked"),
    "J1568": ("immune globulin IV (Octagam)", THER, "Y", "octagam"),
    "J1557": ("immune globulin IV (Gammaplex)", THER, "Y", "gammaplex"),
    "J3489": ("zoledronic acid", THER, "Y", "zoledronic acid;zoledronate;reclast;zometa"),
    "J2430": ("pamidronate", THER, "Y", "pamidronate;pamidronate disodium;aredia"),
    "J0897": ("denosumab", THER, "Y", "denosumab;prolia;xgeva"),
    "Q5106": ("epoetin alfa-epbx (Retacrit) non-ESRD", THER, "Y", "epoetin alfa-epbx;retacrit"),
    "J0885": ("epoetin alfa non-ESRD", THER, "Y", "epoetin alfa;epoetin;epogen;procrit"),
    "J2405": ("ondansetron", THER, "Y", "ondansetron;ondansetron hcl;ondansetron hydrochloride;zofran"),
    "J1453": ("fosaprepitant", THER, "Y", "fosaprepitant;fosaprepitant dimeglumine;emend iv;emend"),
    "J2469": ("palonosetron", THER, "Y", "palonosetron;palonosetron hcl;aloxi"),
    "J1626": ("granisetron", THER, "Y", "granisetron;granisetron hcl;kytril"),
    "J2919": ("methylprednisolone sodium succinate", THER, "Y",
              "methylprednisolone;methylprednisolone sodium succinate;solu-medrol;solumedrol"),
    "J1100": ("dexamethasone sodium phosphate", THER, "Y", "dexamethasone;dexamethasone sodium phosphate;decadron"),
    "J1200": ("diphenhydramine", THER, "Y", "diphenhydramine;diphenhydramine hcl;benadryl"),
    "S0028": ("famotidine", THER, "Y", "famotidine;pepcid"),
    "J1885": ("ketorolac", THER, "Y", "ketorolac;ketorolac tromethamine;toradol"),
    "J0696": ("ceftriaxone", THER, "Y", "ceftriaxone;ceftriaxone sodium;rocephin"),
    "J3373": ("vancomycin (other makers)", THER, "Y", "vancomycin;vancomycin hcl;vancomycin hydrochloride;vancocin"),
    "J3374": ("vancomycin (Mylan)", THER, "Y", "vancomycin (mylan)"),
    "J3375": ("vancomycin (Xellia)", THER, "Y", "vancomycin (xellia)"),
    "J3376": ("vancomycin (Hikma)", THER, "Y", "vancomycin (hikma)"),
    "J1644": ("heparin sodium", THER, "N", "heparin;heparin sodium"),
    "J1642": ("heparin lock flush", THER, "N", "heparin lock flush;heparin flush"),
    # hydration fluids (bag size in BAG_ML)
    "J7030": ("normal saline", FLUID, "N", ""),
    "J7040": ("normal saline", FLUID, "N", ""),
    "J7050": ("normal saline", FLUID, "N",
              "sodium chloride 0.9%;normal saline;saline;ns;0.9% sodium chloride;0.9% nacl;nacl 0.9%"),
    "J7060": ("dextrose 5% in water", FLUID, "N",
              "dextrose 5%;d5w;5% dextrose;dextrose 5% in water;5% dextrose in water"),
    "J7120": ("lactated Ringer's", FLUID, "N",
              "lactated ringer's;lactated ringers;lactated ringer;ringer's lactate;ringers lactate;lr"),
    # electrolytes
    "J3475": ("magnesium sulfate", ELYTE, "Y", "magnesium sulfate;magnesium sulphate;mgso4"),
    "J3480": ("potassium chloride", ELYTE, "Y", "potassium chloride;kcl"),
    # not otherwise classified
    "J3490": ("unclassified drug (NOC)", THER, "N", ""),
    "J3590": ("unclassified biologic (NOC)", THER, "N", ""),
    "J9999": ("unclassified antineoplastic drug (NOC)", CHEMO, "N", ""),
}
NOC = {"J3490", "J3590", "J9999"}
BAG_ML = {"J7030": 1000, "J7040": 500, "J7050": 250, "J7060": 500, "J7120": 1000}
RETIRED = {"J2930": "J2919", "J3370": "J3373", "J9070": "J9075"}
# codes the ASP file lacks: unit from the HCPCS descriptor
DESCRIPTOR_UNITS = {
    "J3376": ("10", "mg", "HCPCS descriptor: vancomycin (Hikma) 10 mg"),
    "S0028": ("20", "mg", "HCPCS descriptor: famotidine 20 mg; S-code not payable by Medicare"),
}
# demo unit charges for codes without an ASP payment limit
NO_ASP_CHARGE = {
    "J3376": ("0.05", "priced like J3373 (no ASP)"),
    "S0028": ("4.00", "no ASP: made-up price"),
    "J3490": ("0.00", "NOC: no unit price, give the line charge in the input"),
    "J3590": ("0.00", "NOC: no unit price, give the line charge in the input"),
    "J9999": ("0.00", "NOC: no unit price, give the line charge in the input"),
}
# one NDC under several codes: which code keeps it (besides the saline rule)
NDC_PREFER = {frozenset({"Q0138", "Q0139"}): "Q0138"}

# ---------------------------------------------------------------------------
# Administration and visit codes
# ---------------------------------------------------------------------------
ADMIN = [
    # code, kind, label, parents, revenue code, demo charge
    ("96360", "initial", "IV hydration - first hour (31 min or more)", "", "0260", "250.00"),
    ("96361", "addon", "IV hydration - each added hour", "96360;96365;96374;96409;96413", "0260", "75.00"),
    ("96365", "initial", "IV infusion therapeutic - first hour", "", "0260", "310.00"),
    ("96366", "addon", "IV infusion therapeutic - each added hour", "96365;96367", "0260", "90.00"),
    ("96367", "addon", "IV infusion therapeutic - new drug in sequence", "96365;96374;96409;96413", "0260", "140.00"),
    ("96368", "addon", "IV infusion therapeutic - running alongside another", "96365;96366;96413;96415;96416", "0260", "85.00"),
    ("96369", "initial", "subcutaneous infusion - first hour with pump set-up", "", "0260", "290.00"),
    ("96370", "addon", "subcutaneous infusion - each added hour", "96369", "0260", "80.00"),
    ("96371", "addon", "subcutaneous infusion - added pump set-up at new site", "96369", "0260", "120.00"),
    ("96372", "injection", "injection under the skin or into muscle", "", "0260", "60.00"),
    ("96373", "injection", "injection into an artery", "", "0260", "95.00"),
    ("96374", "initial", "IV push - single or first drug", "", "0260", "165.00"),
    ("96375", "addon", "IV push - each new drug in sequence", "96360;96365;96374;96409;96413", "0260", "70.00"),
    ("96376", "addon", "IV push - same drug again (facility)", "96360;96365;96374;96409;96413", "0260", "60.00"),
    ("96377", "other", "on-body injector applied", "", "0260", "70.00"),
    ("96379", "other", "unlisted therapeutic injection or infusion", "", "0260", "80.00"),
    ("96401", "injection", "chemo injection under skin or into muscle - non-hormonal", "", "0331", "150.00"),
    ("96402", "injection", "chemo injection under skin or into muscle - hormonal", "", "0331", "120.00"),
    ("96405", "injection", "chemo into lesions - up to 7", "", "0331", "160.00"),
    ("96406", "injection", "chemo into lesions - more than 7", "", "0331", "230.00"),
    ("96409", "initial", "chemo IV push - single or first drug", "", "0335", "260.00"),
    ("96411", "addon", "chemo IV push - each new drug", "96409;96413", "0335", "130.00"),
    ("96413", "initial", "chemo IV infusion - first hour", "", "0335", "450.00"),
    ("96415", "addon", "chemo IV infusion - each added hour", "96413", "0335", "110.00"),
    ("96416", "other", "chemo infusion over 8 hours by portable pump - start", "", "0335", "420.00"),
    ("96417", "addon", "chemo IV infusion - each new drug in sequence", "96413", "0335", "200.00"),
    ("96521", "other", "portable pump refill or upkeep", "", "0260", "250.00"),
    ("96522", "other", "implanted pump or reservoir refill or upkeep", "", "0260", "200.00"),
    ("96523", "other", "flush of an implanted access device", "", "0260", "60.00"),
    ("96549", "other", "unlisted chemotherapy service", "", "0335", "200.00"),
    ("99202", "visit", "office visit new patient - level 2", "", "0510", "150.00"),
    ("99203", "visit", "office visit new patient - level 3", "", "0510", "220.00"),
    ("99204", "visit", "office visit new patient - level 4", "", "0510", "330.00"),
    ("99205", "visit", "office visit new patient - level 5", "", "0510", "430.00"),
    ("99211", "visit", "office visit established patient - level 1 (nurse)", "", "0510", "50.00"),
    ("99212", "visit", "office visit established patient - level 2", "", "0510", "110.00"),
    ("99213", "visit", "office visit established patient - level 3", "", "0510", "170.00"),
    ("99214", "visit", "office visit established patient - level 4", "", "0510", "250.00"),
    ("99215", "visit", "office visit established patient - level 5", "", "0510", "340.00"),
    ("G0463", "visit", "hospital outpatient clinic visit", "", "0510", "300.00"),
    ("36000", "bundled", "needle or catheter placed in a vein", "", "0260", "40.00"),
    ("36410", "bundled", "blood draw needing physician skill", "", "0260", "50.00"),
]
NOT_REAL_CPT = ["96362", "96363", "96364", "96378"]

PAYERS = [
    # payer_id, name, SBR09, 2010BB id, distinct modifier, JW, JZ, NDC required, filing days, prior auth
    ("COMMERCIAL", "Commercial plan (demo)", "CI", "99903", "59", "Y", "N", "N", "180",
     "J1745;J9312;J2350;J2323"),
    ("COMMERCIAL-XU", "Commercial plan using XU (demo)", "CI", "99904", "XU", "Y", "N", "N", "180",
     "J1745;J9312;J2350;J2323"),
    ("MEDICAID", "Medicaid (demo)", "MC", "99902", "59", "Y", "N", "Y", "365", "J1745"),
    ("MEDICARE", "Medicare Part B (demo)", "MB", "99901", "59", "Y", "Y", "N", "365", ""),
]

CARC = [
    # carc, rarc, category, description (our words)
    ("1", "", "patient_responsibility", "deductible owed by the patient"),
    ("2", "", "patient_responsibility", "coinsurance owed by the patient"),
    ("3", "", "patient_responsibility", "copayment owed by the patient"),
    ("4", "", "bundling", "modifier missing or does not fit the code (e.g. 59/XU/25)"),
    ("5", "", "other", "code or bill type does not fit the place of service"),
    ("8", "", "provider", "code does not fit the provider type or specialty"),
    ("11", "", "medical_necessity", "diagnosis does not support the procedure"),
    ("15", "", "preauth", "authorisation number missing or invalid"),
    ("16", "", "documentation", "claim lacks information needed to process it"),
    ("16", "M119", "drug_coding", "NDC missing or invalid"),
    ("16", "M62", "preauth", "authorisation number missing or invalid"),
    ("16", "M76", "documentation", "diagnosis code missing or incomplete"),
    ("16", "N290", "provider", "rendering provider id missing or invalid"),
    ("18", "", "duplicate", "same claim or service already billed"),
    ("22", "", "eligibility", "another payer may be primary (coordination of benefits)"),
    ("23", "", "contractual", "adjusted for what a prior payer paid or adjusted"),
    ("24", "", "contractual", "covered under a capitation or managed care agreement"),
    ("26", "", "eligibility", "service before coverage began"),
    ("27", "", "eligibility", "service after coverage ended"),
    ("29", "", "timely_filing", "filed after the payer's time limit"),
    ("31", "", "eligibility", "patient not found as a member of this plan"),
    ("45", "", "contractual", "charge above the fee schedule or contracted rate"),
    ("50", "", "medical_necessity", "payer finds the service not medically necessary"),
    ("59", "", "bundling", "reduced under multiple or concurrent procedure rules"),
    ("94", "", "contractual", "paid amount exceeds the charge and was adjusted"),
    ("96", "", "other", "non-covered charge"),
    ("97", "", "bundling", "included in another service already paid"),
    ("109", "", "eligibility", "not covered by this payer or contractor"),
    ("125", "", "other", "submission or billing error"),
    ("146", "", "documentation", "diagnosis invalid for the date of service"),
    ("151", "", "coding_limit", "more units or services than the payer allows (MUE)"),
    ("170", "", "provider", "not paid when billed by this type of provider"),
    ("181", "", "drug_coding", "code not valid on the date of service (retired code)"),
    ("182", "", "other", "modifier not valid on the date of service"),
    ("185", "", "provider", "rendering provider not eligible for this service"),
    ("197", "", "preauth", "precertification or authorisation missing"),
    ("198", "", "preauth", "precertification or authorisation exceeded"),
    ("204", "", "eligibility", "service or drug not covered by the patient's plan"),
    ("234", "", "bundling", "procedure not paid separately"),
    ("236", "", "bundling", "code pair not allowed together on the same day (NCCI)"),
    ("252", "", "documentation", "an attachment or other documentation is required"),
    ("253", "", "contractual", "sequestration reduction"),
    ("B7", "", "provider", "provider not certified or eligible for this service on this date"),
    ("B15", "", "bundling", "needs a qualifying primary service (add-on without parent)"),
]

ALLOWED_UNITS = {"mg", "g", "mcg", "mL", "units", "mEq"}


# ---------------------------------------------------------------------------
# Reading the CMS files
# ---------------------------------------------------------------------------
def read_cms_rows(path):
    """All rows of a CMS CSV (Windows-1252; NBSP made a plain space)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
    text = text.replace("\xa0", " ")
    return list(csv.reader(io.StringIO(text)))


def norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def find_header(rows, must):
    """Index of the first row holding every normalised name in |must|."""
    for i, r in enumerate(rows):
        cells = {norm(c) for c in r}
        if all(any(m == c or (m.endswith("*") and c.startswith(m[:-1]))
                   for c in cells) for m in must):
            return i
    raise SystemExit("header not found (%s)" % ", ".join(must))


def col(header, *names):
    n = [norm(h) for h in header]
    for name in names:
        if name in n:
            return n.index(name)
    raise SystemExit("column %s not found in %r" % (names, header))


def first_text(rows, limit, pattern):
    for r in rows[:limit]:
        for c in r:
            if re.search(pattern, c, re.I):
                return " ".join(c.split())
    return ""


def load_asp(cms):
    rows = read_cms_rows(os.path.join(cms, "asp_pricing.csv"))
    h = find_header(rows, ["hcpcscode", "hcpcscodedosage", "paymentlimit"])
    hdr = rows[h]
    ic, idose, ilim = (col(hdr, "hcpcscode"), col(hdr, "hcpcscodedosage"),
                       col(hdr, "paymentlimit"))
    out = {}
    for r in rows[h + 1:]:
        if len(r) <= max(ic, idose, ilim) or not r[ic].strip():
            continue
        out[r[ic].strip().upper()] = (r[idose].strip(),
                                      r[ilim].strip().replace("$", ""))
    eff = first_text(rows[:h], h, r"effective")
    return out, eff


def load_crosswalk(cms):
    rows = read_cms_rows(os.path.join(cms, "asp_crosswalk.csv"))
    # the code column is renamed every year (_2025_CODE, HCPCS Code, ...)
    h = find_header(rows, ["pkgsize", "pkgqty", "billunits", "billunitspkg"])
    hdr = rows[h]
    ic = 0
    for i, c in enumerate(hdr):
        if re.search(r"code$", c.strip(), re.I) and "ndc" not in c.lower():
            ic = i
            break
    ndc_i = next(i for i, c in enumerate(hdr) if "ndc" in c.lower())
    idx = dict(code=ic, ndc=ndc_i, name=col(hdr, "drugname"),
               labeler=col(hdr, "labelername"), dose=col(hdr, "hcpcsdosage"),
               size=col(hdr, "pkgsize"), qty=col(hdr, "pkgqty"),
               bu=col(hdr, "billunits"), bupkg=col(hdr, "billunitspkg"))
    out = []
    for r in rows[h + 1:]:
        if len(r) <= max(idx.values()) or not r[ic].strip():
            continue
        out.append({k: r[i].strip() for k, i in idx.items()})
    title = first_text(rows[:h], h, r"crosswalk")
    return out, title


def load_opps(cms):
    files = sorted(glob.glob(os.path.join(cms, "opps_addendum_b_*.csv")))
    if not files:
        raise SystemExit("no opps_addendum_b_*.csv in " + cms)
    rows = read_cms_rows(files[-1])
    h = find_header(rows, ["hcpcscode", "statusindicator"])
    hdr = rows[h]
    ic, isi = col(hdr, "hcpcscode"), col(hdr, "statusindicator")
    isrc = col(hdr, "source") if "source" in [norm(x) for x in hdr] else None
    out, src = {}, ""
    for r in rows[h + 1:]:
        if len(r) > isi and r[ic].strip():
            out[r[ic].strip().upper()] = r[isi].strip()
            if isrc is not None and not src:
                src = r[isrc].strip()
    return out, src or os.path.basename(files[-1])


def load_mue(cms):
    files = sorted(glob.glob(os.path.join(cms, "mue_practitioner_*.csv")))
    if not files:
        raise SystemExit("no mue_practitioner_*.csv in " + cms)
    rows = read_cms_rows(files[-1])
    h = find_header(rows, ["code", "practitionermue", "mai"])
    hdr = rows[h]
    ic, iv, im = col(hdr, "code"), col(hdr, "practitionermue"), col(hdr, "mai")
    out = {}
    for r in rows[h + 1:]:
        if len(r) > im and r[ic].strip() and r[iv].strip():
            out[r[ic].strip().upper()] = (r[iv].strip(), r[im].strip())
    m = re.search(r"(\d{4})q(\d)", os.path.basename(files[-1]), re.I)
    quarter = "%s-Q%s" % (m.group(1), m.group(2)) if m else os.path.basename(files[-1])
    return out, quarter


def load_reference(cms):
    rows = read_cms_rows(os.path.join(cms, "drug_reference_table.csv"))
    h = find_header(rows, ["hcpcs", "examplendc"])
    hdr = rows[h]
    ic, indc = col(hdr, "hcpcs"), col(hdr, "examplendc")
    return [(r[ic].strip().upper(), r[indc].strip()) for r in rows[h + 1:]
            if len(r) > indc and r[ic].strip()]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
UNIT_MAP = {"MG": "mg", "G": "g", "GM": "g", "GRAM": "g", "MCG": "mcg",
            "ML": "mL", "CC": "mL", "UNIT": "units", "UNITS": "units",
            "U": "units", "IU": "units", "MEQ": "mEq"}


def parse_dosage(s):
    """'10 MG' -> ('10', 'mg'); 'UP TO 1000 CC' -> ('1000', 'mL')."""
    m = re.fullmatch(r"(?:up to\s+)?([0-9]*\.?[0-9]+)\s*([A-Za-z]+)", s.strip(), re.I)
    if not m or m.group(2).upper() not in UNIT_MAP:
        raise ValueError("unrecognised dosage %r" % s)
    amt = Decimal(m.group(1))
    amt_s = format(amt.normalize(), "f") if amt != amt.to_integral() else str(int(amt))
    return amt_s, UNIT_MAP[m.group(2).upper()]


def ndc11(s):
    """Normalise 4-4-2, 5-3-2, 5-4-1, 5-4-2 or 11 digits to 11 digits, else None."""
    s = s.strip()
    if re.fullmatch(r"\d{11}", s):
        return s
    parts = s.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    a, b, c = parts
    lens = (len(a), len(b), len(c))
    if lens == (5, 4, 2):
        return a + b + c
    if lens == (4, 4, 2):
        return "0" + a + b + c
    if lens == (5, 3, 2):
        return a + "0" + b + c
    if lens == (5, 4, 1):
        return a + b + "0" + c
    return None


def tidy_effective(s):
    """'Effective October 1, 2025 through December 31, 2025' -> 'October 2025 (October 1 2025 to December 31 2025)'."""
    m = re.search(r"(\w+) (\d+), (\d{4}) through (\w+) (\d+), (\d{4})", s or "")
    if not m:
        return (s or "").replace(",", "")
    return "%s %s (%s %s %s to %s %s %s)" % (m.group(1), m.group(3), m.group(1), m.group(2),
                                           m.group(3), m.group(4), m.group(5), m.group(6))


def dec_str(s):
    d = Decimal(s)
    if d == d.to_integral():
        return str(int(d))
    return format(d.normalize(), "f")


def write_csv(path, comments, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        for c in comments:
            assert "\n" not in c and '"' not in c, c
            f.write("# " + c + "\n")
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for r in rows:
            w.writerow(r)


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cms_dir", help="directory with the CMS files (e.g. ../shared/data/cms)")
    ap.add_argument("-o", "--out", default=None, help="output directory (default rulesets/us)")
    a = ap.parse_args()
    out = a.out or os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rulesets", "us"))
    os.makedirs(out, exist_ok=True)

    asp, asp_eff = load_asp(a.cms_dir)
    xw, xw_title = load_crosswalk(a.cms_dir)
    opps, opps_src = load_opps(a.cms_dir)
    mue, mue_q = load_mue(a.cms_dir)
    ref = load_reference(a.cms_dir)
    asp_eff = tidy_effective(asp_eff)
    asp_src = "CMS ASP pricing file (Medicare Part B payment limits), %s" % (asp_eff or "October 2025")
    xw_src = "CMS %s" % (xw_title.split(" for ")[0] if xw_title else "ASP NDC-HCPCS crosswalk")
    if asp_eff and "(" in asp_eff:
        xw_src += " " + asp_eff[asp_eff.index("("):]
    opps_s = "CMS OPPS Addendum B %s" % opps_src

    # every current code of the reference table must be curated
    for code, _ in ref:
        if code in RETIRED:
            continue
        if code not in DRUGS:
            raise SystemExit("drug_reference_table code %s is not curated in DRUGS" % code)
    for old, new in RETIRED.items():
        if old in asp:
            print("warning: retired code %s is in the ASP file" % old, file=sys.stderr)

    # ---------------- drugs.csv
    drug_rows, unit_of = [], {}
    for code in sorted(DRUGS):
        name, cat, sd, names = DRUGS[code]
        if code in NOC:
            amt, unit = "", ""
            label = name
        else:
            if code in asp:
                amt, unit = parse_dosage(asp[code][0])
            elif code in DESCRIPTOR_UNITS:
                amt, unit = DESCRIPTOR_UNITS[code][:2]
            else:
                raise SystemExit("no billing unit for %s" % code)
            if code == "J7120":
                label = "%s up to %s %s" % (name, amt, unit)
            else:
                label = "%s %s %s" % (name, amt, unit)
        unit_of[code] = (amt, unit)
        drug_rows.append([code, label, amt, unit, cat, sd, opps.get(code, ""),
                          "Y" if code in NOC else "N",
                          str(BAG_ML[code]) if code in BAG_ML else "", names])
    descr = "; ".join("%s %s %s (%s)" % (c, v[0], v[1], v[2]) for c, v in sorted(DESCRIPTOR_UNITS.items()))
    write_csv(os.path.join(out, "drugs.csv"), [
        "source: %s; %s (status indicators); %s (codes)" % (asp_src, opps_s, xw_src),
        "built by tools/build-us-rulesets.py from the CMS files; category, single_dose, labels and generic_names are curated in that script",
        "billing_unit_amount and billing_unit: the ASP file's HCPCS Code Dosage (CC and ML are mL; UNITS is units; MEQ is mEq)",
        "not in the ASP file, unit from the HCPCS descriptor: " + descr,
        "NOC codes J3490 J3590 J9999: no billing unit (empty); bill 1 unit with the drug name and dose in the line description and an NDC",
        "retired codes left out: J2930 (use J2919), J3370 (use J3373), J9070 (use J9075); labeler-specific codes J3374-J3376 and J9071-J9076 are kept so their NDCs bill the right code",
        "category rule (US-CLASSIFY): non-radionuclide anti-neoplastics and every monoclonal antibody or other biologic response modifier = chemo (CMS Claims Processing Manual ch.12 s30.5 and Transmittal 129; this includes vedolizumab natalizumab ocrelizumab tocilizumab ustekinumab and the biosimilars)",
        "category rule: leuprolide goserelin fulvestrant = hormonal_antineoplastic; anti-emetics, anti-anaemia drugs (iron, epoetin), IVIG, antibiotics, steroids, antihistamines, bisphosphonates, heparin and leucovorin = therapeutic; saline, D5W, lactated Ringer's = hydration_fluid; KCl and MgSO4 = electrolyte",
        "local choice: denosumab (a monoclonal antibody given SC for bone) is therapeutic here; J3590 unclassified biologic is therapeutic and J9999 chemo; the purpose column of an extract overrides any category",
        "single_dose: Y when the code's usual container is single-dose (JW/JZ apply); N for fluids, heparin, paclitaxel and carboplatin (multi-dose vials) and NOC codes",
        "plain names immune globulin and ivig match J1569 (Gammagard Liquid); saline names sit on J7050 only (the engine picks J7030/J7040 by bag size); bag_ml is the bag size of a hydration fluid code",
    ], ["hcpcs", "label", "billing_unit_amount", "billing_unit", "category",
        "single_dose", "opps_si", "noc", "bag_ml", "generic_names"], drug_rows)

    # ---------------- ndc.csv
    by_ndc = {}
    skipped_fmt = []
    for r in xw:
        code = r["code"].upper()
        if code not in DRUGS:
            continue
        n = ndc11(r["ndc"])
        if n is None:
            skipped_fmt.append(r["ndc"])
            continue
        by_ndc.setdefault(n, []).append(r)
    corrected, multi_notes = [], set()
    fluid_fixed = {"J7030": 1000, "J7040": 500, "J7050": 250, "J7060": 500}
    ndc_rows = []
    for n in sorted(by_ndc):
        cands = by_ndc[n]
        codes = {c["code"].upper() for c in cands}
        pick = None
        saline = codes & {"J7030", "J7040", "J7050"}
        if saline:
            # bag size from the J7050 row (250 mL per billing unit) when present
            r50 = next((c for c in cands if c["code"].upper() == "J7050"), None)
            if r50 is not None:
                bag = Decimal(r50["bu"]) * 250
            else:
                ref_r = cands[0]
                bag = Decimal(ref_r["bu"]) * fluid_fixed[ref_r["code"].upper()]
            want = {1000: "J7030", 500: "J7040", 250: "J7050"}.get(int(bag), "J7050")
            pick = next((c for c in cands if c["code"].upper() == want), None)
            if len(codes) > 1:
                multi_notes.add("saline")
        elif len(codes) > 1:
            pref = NDC_PREFER.get(frozenset(codes))
            if pref is None:
                pref = sorted(codes)[0]
                print("warning: NDC %s under %s: kept %s" % (n, sorted(codes), pref), file=sys.stderr)
            pick = next(c for c in cands if c["code"].upper() == pref)
            multi_notes.add("/".join(sorted(codes)) + " -> " + pref)
        if pick is None:
            pick = cands[0]
        code = pick["code"].upper()
        size = pick["size"]
        cat = DRUGS[code][1]
        # fixed-volume fluid codes: the bag volume follows from the billing units
        if code in fluid_fixed:
            bag = Decimal(pick["bu"]) * fluid_fixed[code]
            if Decimal(size) != bag:
                corrected.append("%s-%s-%s PKG SIZE %s -> %s mL" % (n[:5], n[5:9], n[9:], dec_str(size), dec_str(bag)))
                size = str(bag)
        if cat == FLUID:
            unit = "ML"
        elif Decimal(size) == 1:
            unit = "UN"
        else:
            unit = "ML"
        name = " ".join(pick["name"].split())
        if unit == "ML":
            label = "%s %s mL x %s" % (name, dec_str(size), dec_str(pick["qty"]))
        else:
            label = "%s x %s" % (name, dec_str(pick["qty"]))
        ndc_rows.append([n, code, label, dec_str(size), dec_str(pick["qty"]), unit, dec_str(pick["bu"])])
    # example NDCs of the reference table must be present
    have = {r[0] for r in ndc_rows}
    for code, ex in ref:
        if ex and code not in RETIRED:
            n = ndc11(ex)
            if n not in have:
                raise SystemExit("example NDC %s (%s) missing from the crosswalk rows" % (ex, code))
    write_csv(os.path.join(out, "ndc.csv"), [
        "source: %s, the rows whose HCPCS code is in drugs.csv" % xw_src,
        "built by tools/build-us-rulesets.py; ndc11 = 5-4-2 without hyphens (4-4-2, 5-3-2 and 5-4-1 get a 0 in front of the short segment)",
        "package_size = PKG SIZE (amount in one item), package_qty = PKG QTY (items in the NDC), billunits_per_package = BILLUNITS (CMS: billable units per package, i.e. per item; per 11-digit NDC it is x package_qty)",
        "ndc_unit rule: hydration fluids ML; other drugs UN when PKG SIZE is 1 (one vial, syringe, kit or implant) and ML otherwise (the crosswalk gives liquid items in mL); GR ME F2 are never derived (set them in a local overlay)",
        "NDC quantity in ndc_unit = HCPCS units / billunits_per_package, times package_size when ndc_unit is ML",
        "one NDC under several codes: saline NDCs listed under J7030 J7040 J7050 keep the code of their bag size (1000 mL J7030, 500 mL J7040, 250 mL and others J7050); %s; NDCs also listed under codes not in drugs.csv (J7070, Q4081, Q5105) keep our code" %
        "; ".join(sorted(x for x in multi_notes if x != "saline")),
        "corrected from the billing units (CMS package size inconsistent): " + ("; ".join(corrected) if corrected else "none"),
        "label: the crosswalk's product name and pack",
    ], ["ndc11", "hcpcs", "label", "package_size", "package_qty", "ndc_unit", "billunits_per_package"], ndc_rows)
    if skipped_fmt:
        print("warning: NDCs not in 5-4-2/4-4-2/5-3-2/5-4-1 form skipped: %s" % skipped_fmt, file=sys.stderr)

    # ---------------- admin-codes.csv
    admin_rows = []
    for code, kind, label, parents, rev, _ in sorted(ADMIN):
        mp, mai = mue.get(code, ("", ""))
        admin_rows.append([code, kind, label, parents, rev, mp, mai, "", ""])
    write_csv(os.path.join(out, "admin-codes.csv"), [
        "source: CPT codes (AMA) with our own short labels, no CPT descriptor text; CMS NCCI practitioner MUE table %s (mue_prac, mue_mai); HCPCS G0463 (CMS)" % mue_q,
        "addon_parents: the parent codes an add-on may be reported with (spec coding-us.md US-ADDON-PARENT, from CPT instructions); 96370 and 96371 go with 96369",
        "revenue_code: 837I revenue code (spec outputs.md): 0260 IV therapy, 0331 chemo injection, 0335 chemo IV, 0510 clinic visit; 36000 and 36410 are bundled and never reported",
        "kind: initial, addon, injection (SC/IM/intra-arterial/intralesional), other, visit, bundled; codes that are not CPT codes are left out: %s" % " ".join(NOT_REAL_CPT),
        "mue_prac and mue_mai empty when the code is not in the MUE extract; mue_oph and mue_oph_mai (outpatient hospital MUE) are left for the user to fill",
    ], ["code", "kind", "label", "addon_parents", "revenue_code", "mue_prac",
        "mue_mai", "mue_oph", "mue_oph_mai"], admin_rows)

    # ---------------- charges.csv
    charge_rows, notes = [], []
    for code, kind, label, parents, rev, chg in ADMIN:
        charge_rows.append([code, chg])
    for code in DRUGS:
        if code in asp:
            limit = Decimal(asp[code][1])
            chg = (limit * Decimal("1.5")).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            charge_rows.append([code, "%.2f" % chg])
        else:
            chg, why = NO_ASP_CHARGE[code]
            charge_rows.append([code, chg])
            notes.append("%s %s" % (code, why))
    charge_rows.sort()
    write_csv(os.path.join(out, "charges.csv"), [
        "DEMO chargemaster for tests and examples - NOT real prices; replace it with your own (rules overlay)",
        "source: drugs = payment limit of the %s x 1.5 rounded up to the cent, per billing unit of drugs.csv; administration and visit codes = made-up clinic charges" % asp_src,
        "drugs without an ASP payment limit: " + "; ".join(notes),
    ], ["code", "unit_charge"], charge_rows)

    # ---------------- payers.csv
    write_csv(os.path.join(out, "payers.csv"), [
        "source: dripcode demo payer table (spec rulesets.md), 2026; payer_id_2010bb values are DEMO ids, not real payer ids",
        "filing_indicator = SBR09 claim filing indicator (MB Medicare Part B, MC Medicaid, CI commercial); distinct_modifier 59 or XU; booleans Y/N",
        "prior_auth_codes: ';'-separated HCPCS codes that need an auth_ref (US-AUTH); timely_filing_days from the service date",
    ], ["payer_id", "name", "filing_indicator", "payer_id_2010bb", "distinct_modifier",
        "bills_waste_jw", "requires_jz", "ndc_required", "timely_filing_days",
        "prior_auth_codes"], sorted(PAYERS))

    # ---------------- carc-categories.csv
    def carc_key(r):
        c = r[0]
        return (0, int(c), r[1]) if c.isdigit() else (1, c, r[1])
    write_csv(os.path.join(out, "carc-categories.csv"), [
        "source: X12 Claim Adjustment Reason Codes (CARC) and Remittance Advice Remark Codes (RARC) as summarised in reference x12-notes.md and coding-research.md, 2026; descriptions in our own words",
        "a row with a rarc refines the row of the same carc without one; categories: the audit categories of spec reconcile.md (50 and 11 -> medical_necessity) plus patient_responsibility, contractual (not denials) and coding_limit",
    ], ["carc", "rarc", "category", "description"], sorted(CARC, key=carc_key))

    print("wrote %s: drugs %d, ndc %d, admin-codes %d, charges %d, payers %d, carc-categories %d" % (
        out, len(drug_rows), len(ndc_rows), len(admin_rows), len(charge_rows), len(PAYERS), len(CARC)))


if __name__ == "__main__":
    main()
