#!/usr/bin/env python3
"""Convert a dripcode CSV extract into the HL7 v2.xml form of the same encounters.

    tools/csv2hl7xml.py [--plain] EXTRACT.csv > EXTRACT.xml

The output follows spec/input-hl7-xml.md, so that `dripcode check` on both
files codes the same encounters the same way (tests/xml-pair.sh compares
them). One HL7 message per encounter (rows with the same encounter_id,
contiguous, as input-csv.md requires), inside a <BATCH> with BHS/BTS:

  PID, PV1 (PV1.19 visit number = encounter_id, PV1.44 = service_date),
  DG1 per diagnosis code (DG1.15 priority = position), IN1, ZBL;
  per row, in row order:
    drug       RAS_O17.ORDER / ADMINISTRATION group: RXA (+ RXR, + ZRX)
    procedure  PR1 (PR1.14 = 1 when primary)
    visit      FT1 (FT1.6 = CG) + ZFT;  supply: FT1 (+ ZFT)
  ZFT.2 carries the item type when the code alone would classify the FT1
  otherwise (a UK consultation code such as Z9101 is a visit).

The messages are RAS_O17 "combined" messages (PR1 and FT1 sit beside the
ORDER groups), which the reader accepts as the spec says. Default is the
v2.5.1 component form (<RXA.3><TS.1>...</TS.1></RXA.3>); --plain writes the
v2.6+ form for timestamps and simple components (<RXA.3>...</RXA.3>).

A value the HL7 form has no place for (a charge, modifiers on a drug row,
units on a procedure other than 1, ...) is an error: the converter never
drops data silently. Exit status 1 then, with the row's line on stderr.
Python 3 standard library only.
"""
import csv
import re
import sys
from xml.sax.saxutils import escape

ENC_COLS = [
    "encounter_id", "scheme", "billing_party", "place_of_service", "service_date",
    "patient_id", "patient_last_name", "patient_first_name", "patient_dob", "patient_sex",
    "patient_address", "patient_city", "patient_state", "patient_postcode", "payer_id",
    "payer_name", "member_id", "subscriber_relationship", "subscriber_last_name",
    "subscriber_first_name", "subscriber_dob", "subscriber_sex", "subscriber_address",
    "subscriber_city", "subscriber_state", "subscriber_postcode", "group_number", "auth_ref",
    "diagnosis_codes", "rendering_provider_id", "rendering_provider_name", "indication",
    "consent", "visit_type",
]
ITEM_COLS = [
    "item_type", "code", "modifiers", "drug_name", "ndc", "dmd_code", "dose", "dose_unit",
    "concentration", "wasted", "volume_ml", "rate_ml_hr", "route", "method", "access_site",
    "admin_id", "bag_id", "start_time", "stop_time", "purpose", "reason", "primary",
    "separately_identifiable", "charge", "units",
]
# item columns each item type can carry in HL7
ALLOWED = {
    "drug": {"item_type", "code", "drug_name", "ndc", "dmd_code", "dose", "dose_unit",
             "concentration", "wasted", "volume_ml", "rate_ml_hr", "route", "method",
             "access_site", "admin_id", "bag_id", "start_time", "stop_time", "purpose",
             "reason", "primary"},
    "procedure": {"item_type", "code", "modifiers", "primary", "units"},
    "visit": {"item_type", "code", "modifiers", "separately_identifiable", "units"},
    "supply": {"item_type", "code", "modifiers", "separately_identifiable", "units"},
}
RELATIONSHIP = {"18": "SEL", "01": "SPO", "19": "CHD", "G8": "OTH"}
METHOD = {"push": "IVP", "infusion": "INF", "injection": "injection"}


class Unrepresentable(Exception):
    pass


def digits_date(v):
    """YYYY-MM-DD or YYYYMMDD -> YYYYMMDD; anything else as given."""
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", v)
    return "".join(m.groups()) if m else v


def digits_time(v, service_date):
    """HH:MM[:SS] (on the service date) or YYYY-MM-DDTHH:MM[:SS][offset] -> HL7 DTM."""
    m = re.fullmatch(r"(\d{2}):(\d{2})(?::(\d{2}))?", v)
    if m:
        day = digits_date(service_date)
        if re.fullmatch(r"\d{8}", day):
            return day + m.group(1) + m.group(2) + (m.group(3) or "")
        return v
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?"
                     r"(Z|[+-]\d{2}:?\d{2})?", v)
    if not m:
        return v
    out = "".join(m.groups()[:5]) + (m.group(6) or "")
    zone = m.group(7)
    if zone == "Z":
        out += "+0000"
    elif zone:
        out += zone.replace(":", "")
    return out


class Writer:
    def __init__(self, plain):
        self.plain = plain
        self.out = []

    def line(self, depth, text):
        self.out.append("  " * depth + text)

    @staticmethod
    def el(name, inner):
        return "<%s>%s</%s>" % (name, inner, name)

    def text(self, name, value):
        return self.el(name, escape(value)) if value != "" else ""

    def comps(self, field, dtype, values):
        """A composite field: values is a list (component 1..n), or dict position -> value."""
        if isinstance(values, list):
            values = dict(enumerate(values, 1))
        inner = "".join(self.text("%s.%d" % (dtype, k), v) for k, v in sorted(values.items())
                        if v != "")
        return self.el(field, inner) if inner else ""

    def sub(self, field, dtype, comp, subtype, value):
        """A component whose text sits in its first sub-component (XAD.1/SAD.1, XPN.1/FN.1)."""
        if value == "":
            return ""
        if self.plain:
            return self.el(field, self.text("%s.%d" % (dtype, comp), value))
        return self.el(field, self.el("%s.%d" % (dtype, comp), self.text(subtype + ".1", value)))

    def ts(self, field, value):
        if value == "":
            return ""
        if self.plain:
            return self.text(field, value)
        return self.el(field, self.text("TS.1", value))

    def seg(self, depth, name, fields):
        inner = "".join(f for f in fields if f)
        self.line(depth, self.el(name, inner))


def name_parts(v):
    """'Last, First' -> (Last, First)."""
    if "," in v:
        last, first = v.split(",", 1)
        return last.strip(), first.strip()
    return v.strip(), ""


def xad(w, field, street, city, state, postcode):
    comps = {3: city, 4: state, 5: postcode}
    inner = ""
    if street:
        inner += (w.text("XAD.1", street) if w.plain
                  else w.el("XAD.1", w.text("SAD.1", street)))
    inner += "".join(w.text("XAD.%d" % k, v) for k, v in sorted(comps.items()) if v)
    return w.el(field, inner) if inner else ""


def xpn(w, field, last, first):
    inner = ""
    if last:
        inner += w.text("XPN.1", last) if w.plain else w.el("XPN.1", w.text("FN.1", last))
    inner += w.text("XPN.2", first)
    return w.el(field, inner) if inner else ""


def classify_ft1(code):
    """The FT1 classification of input-hl7-xml.md."""
    if re.fullmatch(r"[JjQq]\d{4}", code):
        return "drug"
    if re.fullmatch(r"99\d{3}", code) or code.upper() == "G0463":
        return "visit"
    if re.fullmatch(r"[Aa]\d{4}", code) or code in ("36000", "36410", "96523"):
        return "supply"
    return "procedure"


def message(w, seq, rows):
    enc = {c: "" for c in ENC_COLS}
    for _, r in rows:
        for c in ENC_COLS:
            if not enc[c] and r.get(c, ""):
                enc[c] = r[c]
    eid = enc["encounter_id"]
    svc = digits_date(enc["service_date"])
    w.line(1, "<RAS_O17>")
    w.seg(2, "MSH", [
        w.text("MSH.1", "|"), w.text("MSH.2", "^~\\&"),
        w.comps("MSH.3", "HD", ["DRIPCODE-DEMO"]),
        w.ts("MSH.7", svc),
        w.comps("MSH.9", "MSG", ["RAS", "O17", "RAS_O17"]),
        w.text("MSH.10", "MSG%05d" % seq), w.comps("MSH.11", "PT", ["P"]),
        w.comps("MSH.12", "VID", ["2.5.1"])])
    w.line(2, "<RAS_O17.PATIENT>")
    w.seg(3, "PID", [
        w.text("PID.1", "1"), w.comps("PID.3", "CX", [enc["patient_id"]]),
        xpn(w, "PID.5", enc["patient_last_name"], enc["patient_first_name"]),
        w.ts("PID.7", digits_date(enc["patient_dob"])), w.text("PID.8", enc["patient_sex"]),
        xad(w, "PID.11", enc["patient_address"], enc["patient_city"], enc["patient_state"],
            enc["patient_postcode"])])
    w.line(3, "<RAS_O17.PATIENT_VISIT>")
    fam, given = name_parts(enc["rendering_provider_name"])
    xcn = {1: enc["rendering_provider_id"], 3: given}
    pv1_7 = ""
    if enc["rendering_provider_id"] or fam or given:
        inner = w.text("XCN.1", enc["rendering_provider_id"])
        if fam:
            inner += w.text("XCN.2", fam) if w.plain else w.el("XCN.2", w.text("FN.1", fam))
        inner += w.text("XCN.3", xcn[3])
        pv1_7 = w.el("PV1.7", inner)
    w.seg(4, "PV1", [w.text("PV1.1", "1"), w.text("PV1.2", "O"), pv1_7,
                     w.comps("PV1.19", "CX", [eid]), w.ts("PV1.44", svc)])
    w.line(3, "</RAS_O17.PATIENT_VISIT>")
    w.line(2, "</RAS_O17.PATIENT>")
    codes = [c.strip() for c in re.split(r"[;|]", enc["diagnosis_codes"]) if c.strip()]
    for i, code in enumerate(codes, 1):
        w.seg(2, "DG1", [w.text("DG1.1", str(i)), w.text("DG1.2", "I10"),
                         w.comps("DG1.3", "CE", [code, "", "I10"]), w.text("DG1.6", "F"),
                         w.text("DG1.15", str(i))])
    rel = enc["subscriber_relationship"]
    if rel and rel.upper() not in RELATIONSHIP:
        raise Unrepresentable("subscriber_relationship '%s' has no HL7 table 0063 value" % rel)
    if any(enc[c] for c in ("payer_id", "payer_name", "member_id", "group_number", "auth_ref",
                            "subscriber_relationship", "subscriber_last_name",
                            "subscriber_first_name", "subscriber_dob", "subscriber_sex",
                            "subscriber_address", "subscriber_city", "subscriber_state",
                            "subscriber_postcode")):
        w.seg(2, "IN1", [
            w.text("IN1.1", "1"), w.comps("IN1.2", "CE", [enc["payer_id"]]),
            w.comps("IN1.3", "CX", [enc["payer_id"]]),
            w.comps("IN1.4", "XON", [enc["payer_name"]]),
            w.text("IN1.8", enc["group_number"]),
            w.comps("IN1.14", "AUI", [enc["auth_ref"]]),
            xpn(w, "IN1.16", enc["subscriber_last_name"], enc["subscriber_first_name"]),
            w.comps("IN1.17", "CE", [RELATIONSHIP.get(rel.upper(), "")]),
            w.ts("IN1.18", digits_date(enc["subscriber_dob"])),
            xad(w, "IN1.19", enc["subscriber_address"], enc["subscriber_city"],
                enc["subscriber_state"], enc["subscriber_postcode"]),
            w.text("IN1.36", enc["member_id"]),
            w.comps("IN1.43", "CE", [enc["subscriber_sex"]])])
    zbl = [enc["scheme"], enc["billing_party"], enc["place_of_service"], enc["consent"],
           enc["indication"], enc["visit_type"]]
    if any(zbl):
        w.seg(2, "ZBL", [w.text("ZBL.%d" % i, v) for i, v in enumerate(zbl, 1)])

    uk = enc["scheme"].upper() == "UK"
    nproc = nft1 = nadmin = 0
    for lineno, r in rows:
        item = {c: r.get(c, "") for c in ITEM_COLS}
        kind = item["item_type"].lower()
        if kind not in ALLOWED:
            raise Unrepresentable("line %d: item_type '%s' cannot be converted"
                                  % (lineno, item["item_type"]))
        extra = [c for c in ITEM_COLS if item[c] and c not in ALLOWED[kind]]
        if kind == "procedure" and item["units"] in ("", "1"):
            pass
        elif kind == "procedure":
            extra.append("units")
        if extra:
            raise Unrepresentable("line %d: a %s row cannot carry %s in HL7 v2.xml"
                                  % (lineno, kind, ", ".join(sorted(set(extra)))))
        if kind == "drug":
            nadmin += 1
            method = item["method"]
            if method and method.lower() not in METHOD:
                raise Unrepresentable("line %d: method '%s' has no RXR.4 value" % (lineno, method))
            ids = [(item["code"], "HCPCS"), (item["ndc"], "NDC"), (item["dmd_code"], "DMD")]
            ids = [i for i in ids if i[0]]
            pos = {}
            for k, (ident, system) in enumerate(ids):
                base = (1, 4, 10)[k]
                pos[base] = ident
                pos[base + 2] = system
            if item["drug_name"]:
                pos[2] = item["drug_name"]
            dtype = "CWE" if len(ids) > 2 else "CE"
            w.line(2, "<RAS_O17.ORDER>")
            w.seg(3, "ORC", [w.text("ORC.1", "RE")])
            w.line(3, "<RAS_O17.ADMINISTRATION>")
            w.seg(4, "RXA", [
                w.text("RXA.1", "0"), w.text("RXA.2", str(nadmin)),
                w.ts("RXA.3", digits_time(item["start_time"], svc)),
                w.ts("RXA.4", digits_time(item["stop_time"], svc)),
                w.comps("RXA.5", dtype, pos), w.text("RXA.6", item["dose"]),
                w.comps("RXA.7", "CE", [item["dose_unit"]]), w.text("RXA.20", "CP")])
            if item["route"] or item["access_site"] or method:
                w.seg(4, "RXR", [w.comps("RXR.1", "CE", [item["route"]]),
                                 w.comps("RXR.2", "CWE", [item["access_site"]]),
                                 w.comps("RXR.4", "CE", [METHOD.get(method.lower(), "")])])
            zrx = [item[c] for c in ("admin_id", "bag_id", "volume_ml", "rate_ml_hr", "wasted",
                                     "purpose", "primary", "reason", "concentration")]
            if any(zrx):
                w.seg(4, "ZRX", [w.text("ZRX.%d" % i, v) for i, v in enumerate(zrx, 1)])
            w.line(3, "</RAS_O17.ADMINISTRATION>")
            w.line(2, "</RAS_O17.ORDER>")
        elif kind == "procedure":
            nproc += 1
            mods = [m.strip() for m in item["modifiers"].split(";") if m.strip()]
            w.seg(2, "PR1", [
                w.text("PR1.1", str(nproc)),
                w.comps("PR1.3", "CE", [item["code"], "", "CCSD" if uk else "C4"]),
                w.ts("PR1.5", svc),
                w.text("PR1.14", "1" if item["primary"].upper() == "Y" else ""),
                "".join(w.comps("PR1.16", "CE", [m]) for m in mods)])
        else:
            nft1 += 1
            mods = [m.strip() for m in item["modifiers"].split(";") if m.strip()]
            date = w.el("FT1.4", w.text("DR.1", svc) if w.plain
                        else w.el("DR.1", w.text("TS.1", svc))) if svc else ""
            w.seg(2, "FT1", [
                w.text("FT1.1", str(nft1)), date, w.text("FT1.6", "CG"),
                w.comps("FT1.7", "CE", [item["code"]]), w.text("FT1.10", item["units"]),
                w.comps("FT1.25", "CE", [item["code"], "", "CCSD" if uk else "C4"]),
                "".join(w.comps("FT1.26", "CE", [m]) for m in mods)])
            override = kind if classify_ft1(item["code"]) != kind else ""
            if item["separately_identifiable"] or override:
                w.seg(2, "ZFT", [w.text("ZFT.1", item["separately_identifiable"]),
                                 w.text("ZFT.2", override)])
    w.line(1, "</RAS_O17>")


def main(argv):
    plain = "--plain" in argv
    args = [a for a in argv if a != "--plain"]
    if len(args) != 1:
        sys.stderr.write("usage: csv2hl7xml.py [--plain] EXTRACT.csv > EXTRACT.xml\n")
        return 2
    with open(args[0], newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader)]
        unknown = [h for h in header if h not in ENC_COLS and h not in ITEM_COLS]
        if unknown:
            sys.stderr.write("csv2hl7xml: unknown columns %s have no HL7 place\n"
                             % ", ".join(unknown))
            return 1
        groups = []
        for row in reader:
            if not any(v.strip() for v in row):
                continue
            r = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
            lineno = reader.line_num
            if groups and groups[-1][0] == r["encounter_id"]:
                groups[-1][1].append((lineno, r))
            else:
                groups.append((r["encounter_id"], [(lineno, r)]))
    w = Writer(plain)
    w.line(0, '<?xml version="1.0" encoding="UTF-8"?>')
    w.line(0, '<BATCH xmlns="urn:hl7-org:v2xml">')
    w.seg(1, "BHS", [w.text("BHS.1", "|"), w.text("BHS.2", "^~\\&"),
                     w.comps("BHS.3", "HD", ["DRIPCODE-DEMO"])])
    try:
        for seq, (_, rows) in enumerate(groups, 1):
            message(w, seq, rows)
    except Unrepresentable as e:
        sys.stderr.write("csv2hl7xml: %s: %s\n" % (args[0], e))
        return 1
    w.seg(1, "BTS", [w.text("BTS.1", str(len(groups)))])
    w.line(0, "</BATCH>")
    sys.stdout.write("\n".join(w.out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
