#!/usr/bin/python3
"""defcheck.py - parses one shipped collector definition file with a parser
of its format and checks the fields the collector reads.

    defcheck.py KIND FILE

KIND: libfds (ipfixcol2 element file, XML), ipfix-registry (libfixbuf /
IANA registry XML), goflow2 (YAML mapping), telegraf (CSV PEN file),
pmacct (nfacctd aggregate_primitives). Well-formedness of XML is also
checked by xmllint in shipped_files.sh; this adds the structure. Prints
one line per fault, exits 1 when there is one, 0 otherwise.
"""
import csv
import re
import sys
import xml.etree.ElementTree as ET

# libfds / RFC 7012 abstract data types.
IPFIX_TYPES = {
    "octetArray", "unsigned8", "unsigned16", "unsigned32", "unsigned64",
    "signed8", "signed16", "signed32", "signed64", "float32", "float64",
    "boolean", "macAddress", "string", "dateTimeSeconds",
    "dateTimeMilliseconds", "dateTimeMicroseconds", "dateTimeNanoseconds",
    "ipv4Address", "ipv6Address", "basicList", "subTemplateList",
    "subTemplateMultiList",
}
TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")
faults = []


def fault(msg):
    faults.append(msg)


def uint(text, what, hi):
    try:
        v = int(text)
    except (TypeError, ValueError):
        fault("%s: %r is not a number" % (what, text))
        return None
    if not 0 <= v <= hi:
        fault("%s: %d out of range 0..%d" % (what, v, hi))
    return v


def check_libfds(path):
    root = ET.parse(path).getroot()
    if root.tag != "ipfix-elements":
        fault("root element is <%s>, not <ipfix-elements>" % root.tag)
    scope = root.find("scope")
    if scope is None:
        fault("no <scope>")
    else:
        uint(scope.findtext("pen"), "scope pen", 2**32 - 1)
        if not scope.findtext("name"):
            fault("scope has no <name>")
    ids = set()
    elems = root.findall("element")
    if not elems:
        fault("no <element>")
    for e in elems:
        i = uint(e.findtext("id"), "element id", 32767)
        if i in ids:
            fault("element id %s twice" % i)
        ids.add(i)
        if not e.findtext("name"):
            fault("element %s has no <name>" % i)
        if e.findtext("dataType") not in IPFIX_TYPES:
            fault("element %s: dataType %r" % (i, e.findtext("dataType")))


def check_registry(path):
    ns = {"i": "http://www.iana.org/assignments",
          "c": "http://www.cert.org/ipfix"}
    root = ET.parse(path).getroot()
    recs = root.findall(".//i:record", ns)
    if not recs:
        fault("no <record>")
    for r in recs:
        name = r.findtext("i:name", None, ns)
        if not name:
            fault("record without <name>")
        if r.findtext("i:dataType", None, ns) not in IPFIX_TYPES:
            fault("%s: dataType" % name)
        uint(r.findtext("i:elementId", None, ns), "%s elementId" % name,
             32767)
        uint(r.findtext("c:enterpriseId", None, ns),
             "%s enterpriseId" % name, 2**32 - 1)


def check_goflow2(path):
    import yaml
    with open(path) as f:
        doc = yaml.safe_load(f)
    fields = doc["formatter"]["fields"]
    protobuf = doc["formatter"]["protobuf"]
    mapping = doc["ipfix"]["mapping"]
    if not all(isinstance(x, str) and TOKEN.match(x) for x in fields):
        fault("formatter.fields: not all plain names")
    names, idx = set(), set()
    for p in protobuf:
        if not TOKEN.match(str(p.get("name"))):
            fault("protobuf name %r" % p.get("name"))
        if p.get("type") not in ("string", "varint", "bytes"):
            fault("protobuf %s: type %r" % (p.get("name"), p.get("type")))
        if not isinstance(p.get("index"), int) or p["index"] in idx:
            fault("protobuf %s: index %r" % (p.get("name"), p.get("index")))
        idx.add(p.get("index"))
        names.add(p.get("name"))
        if p.get("name") not in fields:
            fault("protobuf %s: not in formatter.fields" % p.get("name"))
    for m in mapping:
        if not isinstance(m.get("field"), int):
            fault("mapping field %r" % m.get("field"))
        if m.get("penprovided") and not isinstance(m.get("pen"), int):
            fault("mapping %s: pen %r" % (m.get("field"), m.get("pen")))
        if m.get("destination") not in names:
            fault("mapping %s: destination %r has no protobuf entry" %
                  (m.get("field"), m.get("destination")))


def check_telegraf(path):
    with open(path, newline="") as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.reader(lines))
    if not rows:
        fault("no rows")
    for n, row in enumerate(rows, 1):
        if len(row) != 3:
            fault("row %d: %d columns, not 3: %r" % (n, len(row), row))
            continue
        if not re.match(r"^[0-9]+\.[0-9]+$", row[0]):
            fault("row %d: %r is not PEN.ID" % (n, row[0]))
        if not TOKEN.match(row[1]):
            fault("row %d: name %r" % (n, row[1]))
        # The data types Telegraf's netflow input documents.
        if row[2] not in ("string", "uint", "hex", "ip", "proto"):
            fault("row %d: type %r" % (n, row[2]))


def check_pmacct(path):
    keys = ("name", "field_type", "len", "semantics")
    n = 0
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("!name="):
                line = line[1:]
            elif line.startswith("!") or not line.strip():
                continue
            n += 1
            kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
            if len(line.split()) != len(kv) or tuple(kv) != keys:
                fault("line %d: not name= field_type= len= semantics=: %r"
                      % (ln, line))
                continue
            if not TOKEN.match(kv["name"]):
                fault("line %d: name %r" % (ln, kv["name"]))
            if not re.match(r"^([0-9]+:)?[0-9]+$", kv["field_type"]):
                fault("line %d: field_type %r" % (ln, kv["field_type"]))
            if not re.match(r"^(vlen|[0-9]+)$", kv["len"]):
                fault("line %d: len %r" % (ln, kv["len"]))
            if kv["semantics"] not in ("str", "u_int", "raw", "ip", "mac"):
                fault("line %d: semantics %r" % (ln, kv["semantics"]))
    if n == 0:
        fault("no primitive")


CHECKS = {"libfds": check_libfds, "ipfix-registry": check_registry,
          "goflow2": check_goflow2, "telegraf": check_telegraf,
          "pmacct": check_pmacct}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CHECKS:
        sys.stderr.write("usage: defcheck.py %s FILE\n" % "|".join(CHECKS))
        return 2
    try:
        CHECKS[sys.argv[1]](sys.argv[2])
    except Exception as e:  # a parser's refusal is the fault to report
        fault("%s: %s" % (type(e).__name__, e))
    for f in faults:
        print("%s: %s" % (sys.argv[2], f))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
