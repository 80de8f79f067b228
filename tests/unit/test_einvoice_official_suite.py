"""The validator (libs/einvoice) against the official test material of its pinned versions:

- every business case of KoSIT's XRechnung test suite (release-2025-07-10, UBL and CII, standard and extension) is
  accepted, and all of them are there (`BUSINESS_CASES`);
- every negative instance the XRechnung schematron (release-2.4.0) declares in its `test/instances` is refused with
  the rule it names, except the cases listed in `NOT_REFUSED_BY_THE_NAMED_RULE`, each with its reason, and those
  behave exactly as their reason says;
- a valid invoice (UBL and CII) broken in one place (totals a cent off, a mandatory field missing, a wrong VAT
  category) is refused with exactly the rules that catch it.

Fixtures (tests/fixtures/einvoices, README.md there): `testsuite/` and `schematron-negative/`, unchanged copies, each
under its licence.

The negative instances are written for KoSIT's XML Mutate (https://projekte.kosit.org/kosit/xml-mutate): a processing
instruction `<?xmute mutator="remove" schematron-invalid="xrubl:BR-DE-1" ?>` declares a mutation of the element that
follows it and the rule the mutated document must break. `_mutated` applies the mutators these files use (identity,
remove, empty, code) as XML Mutate 0.6 does, each on the unchanged file, one at a time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from civicpool_einvoice.validation import Report, Validator
from lxml import etree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices"
TESTSUITE = FIXTURES / "testsuite"
NEGATIVE = FIXTURES / "schematron-negative"
UBL = (FIXTURES / "01.01a-INVOICE_ubl.xml").read_bytes()
CII = (FIXTURES / "01.01a-INVOICE_uncefact.xml").read_bytes()
REJECTING = frozenset({"fatal", "error"})

BUSINESS_CASES = 72  # xrechnung-testsuite release-2025-07-10: 66 in standard/, 6 in extension/
NEGATIVE_FILES = 296  # of the 344 in xrechnung-schematron release-2.4.0 test/instances: those declaring a negative
NEGATIVE_CASES = 797  # one per schematron-invalid instruction, one per value for the code mutator

# Why a negative instance is not refused with the rule it names under the pinned rules. Each kind is checked as such.
WARNING = "warning"  # flag="warning" in XRechnung 2.4.0 (a "soll" rule): the rule fires, and a warning refuses nothing
INFORMATION = "information"  # flag="information" (BR-DE-TMP-32): the rule fires, and refuses nothing
SCHEMA = "schema"  # the document breaks the XML schema: refused by the schema, and as in KoSIT's validator no rule
# runs on a schema-invalid document (XML Mutate runs the schematron alone). Either the mutation removes an element
# the schema requires or writes a value its type forbids ("yes" for a boolean indicator), or the instance is
# schema-invalid as published (`PUBLISHED_SCHEMA_INVALID`).
NO_SCENARIO = "no scenario"  # the mutation changes BT-24 to no XRechnung identifier: no KoSIT scenario applies, and
# the invoice is refused without any rule running (the rule named, BR-DE-21, is a warning anyway)
REFUSED = "refused"  # refused, with every rule named fatal or error

PUBLISHED_SCHEMA_INVALID = {  # an element out of the order the UBL 2.1 CreditNote schema prescribes
    "ubl-cn/ubl-cn-br-de-tmp-32-bg-26-test.xml",
    "ubl-cn/ubl-cn-br-tmp-2-test.xml",
}

# Keys: "<file>#<n>" is the file's n-th xmute instruction (from 1) with every value; "<file>#<n>=<value>" one value.
# After each entry, the rule the instance names.
NOT_REFUSED_BY_THE_NAMED_RULE: dict[str, str] = {
    "cii/cii-br-de-17-tests.xml#2": WARNING,  # BR-DE-17
    "cii/cii-br-de-19-iban-tests.xml#2": WARNING,  # BR-DE-19
    "cii/cii-br-de-19-iban-tests.xml#4": WARNING,  # BR-DE-19
    "cii/cii-br-de-26-test.xml#2": WARNING,  # BR-DE-26
    "cii/cii-br-de-27-test.xml#2": WARNING,  # BR-DE-27
    "cii/cii-br-de-28-test.xml#2": WARNING,  # BR-DE-28
    "cii/cii-br-de-tmp-32-bg-14-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "cii/cii-br-de-tmp-32-bg-26-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "cii/cii-br-de-tmp-32-bt-72-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "cii/cii-br-dex-15-test-on-sub-invoice-lines.xml#1": WARNING,  # BR-DEX-15
    "cii/cii-br-tmp-2-test.xml#3": WARNING,  # BR-TMP-2
    "cii/cii-peppol-en16931-r008.xml#12": SCHEMA,  # PEPPOL-EN16931-R008
    "cii/cii-peppol-en16931-r043.xml#3=no": SCHEMA,  # PEPPOL-EN16931-R043-2
    "cii/cii-peppol-en16931-r043.xml#3=yes": SCHEMA,  # PEPPOL-EN16931-R043-2
    "cii/cii-peppol-en16931-r043.xml#6=no": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#6=yes": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#9=no": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#9=yes": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#12=no": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#12=yes": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#15=no": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r043.xml#15=yes": SCHEMA,  # PEPPOL-EN16931-R043-1
    "cii/cii-peppol-en16931-r044.xml#2=yes": SCHEMA,  # PEPPOL-EN16931-R044
    "cii/cii-peppol-en16931-r044.xml#2=no": SCHEMA,  # PEPPOL-EN16931-R044
    "ubl-cn/ubl-cn-br-de-17-test.xml#2": WARNING,  # BR-DE-17
    "ubl-cn/ubl-cn-br-de-26-test.xml#2": WARNING,  # BR-DE-26
    "ubl-cn/ubl-cn-br-de-27-test.xml#2": WARNING,  # BR-DE-27
    "ubl-cn/ubl-cn-br-de-28-test.xml#2": WARNING,  # BR-DE-28
    "ubl-cn/ubl-cn-br-de-30-31-test.xml#2": SCHEMA,  # BR-DE-30
    "ubl-cn/ubl-cn-br-de-cvd-01-test.xml#3": SCHEMA,  # BR-DE-CVD-01
    "ubl-cn/ubl-cn-br-de-tmp-32-bg-14-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "ubl-cn/ubl-cn-br-de-tmp-32-bg-26-test.xml#2": SCHEMA,  # BR-DE-TMP-32 (the instance as published)
    "ubl-cn/ubl-cn-br-de-tmp-32-bt-72-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "ubl-cn/ubl-cn-br-tmp-2-test.xml#4": SCHEMA,  # BR-TMP-2 (the instance as published)
    "ubl-cn/ubl-cn-peppol-en16931-r040-allowance.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-allowance.xml#6": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-charge.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-charge.xml#6": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-r120-HUF-slack.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-r120-HUF-slack.xml#7": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-r120-HUF-slack.xml#17": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r040-r120-HUF-slack.xml#22": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-cn/ubl-cn-peppol-en16931-r043.xml#3": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-cn/ubl-cn-peppol-en16931-r043.xml#4": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-cn/ubl-cn-peppol-en16931-r043.xml#7": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-cn/ubl-cn-peppol-en16931-r043.xml#8": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-cn/ubl-cn-peppol-en16931-r044.xml#2=123": SCHEMA,  # PEPPOL-EN16931-R044
    "ubl-cn/ubl-cn-peppol-en16931-r044.xml#2=no": SCHEMA,  # PEPPOL-EN16931-R044
    "ubl-inv/ubl-inv-br-de-17-test.xml#2": WARNING,  # BR-DE-17
    "ubl-inv/ubl-inv-br-de-19-iban-tests.xml#3": WARNING,  # BR-DE-19
    "ubl-inv/ubl-inv-br-de-26-test.xml#2": WARNING,  # BR-DE-26
    "ubl-inv/ubl-inv-br-de-27-test.xml#2": WARNING,  # BR-DE-27
    "ubl-inv/ubl-inv-br-de-28-test.xml#2": WARNING,  # BR-DE-28
    "ubl-inv/ubl-inv-br-de-30-31-test.xml#2": SCHEMA,  # BR-DE-30
    "ubl-inv/ubl-inv-br-de-cvd-01-test.xml#3": SCHEMA,  # BR-DE-CVD-01
    "ubl-inv/ubl-inv-br-de-cvd-02-test.xml#3": SCHEMA,  # BR-DE-CVD-02
    "ubl-inv/ubl-inv-br-de-tmp-32-bg-14-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "ubl-inv/ubl-inv-br-de-tmp-32-bg-26-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "ubl-inv/ubl-inv-br-de-tmp-32-bt-72-test.xml#2": INFORMATION,  # BR-DE-TMP-32
    "ubl-inv/ubl-inv-br-dex-01-extension_mime_code_test.xml#2": NO_SCENARIO,  # BR-DE-21
    "ubl-inv/ubl-inv-br-dex-01-extension_mime_code_test.xml#3": NO_SCENARIO,  # BR-DE-21
    "ubl-inv/ubl-inv-br-dex-02-check-0-values.xml#1": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-0-values.xml#3": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-0-values.xml#5": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#3": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#4": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#5": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#6": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#7": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#8": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#9": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#11": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#12": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line-2.xml#13": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line.xml#3": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line.xml#4": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-02-check-correct-sums-sub-invoice-line.xml#5": WARNING,  # BR-DEX-02
    "ubl-inv/ubl-inv-br-dex-11-test.xml#3": SCHEMA,  # BR-DEX-11
    "ubl-inv/ubl-inv-br-tmp-2-test.xml#4": WARNING,  # BR-TMP-2
    "ubl-inv/ubl-inv-paymentmeans-test.xml#3": WARNING,  # BR-DE-17
    "ubl-inv/ubl-inv-peppol-en16931-r040-allowance.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-allowance.xml#6": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-charge.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-charge.xml#6": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-r120-HUF-slack.xml#2": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-r120-HUF-slack.xml#7": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-r120-HUF-slack.xml#12": SCHEMA,  # PEPPOL-EN16931-R120
    "ubl-inv/ubl-inv-peppol-en16931-r040-r120-HUF-slack.xml#17": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r040-r120-HUF-slack.xml#22": SCHEMA,  # PEPPOL-EN16931-R040
    "ubl-inv/ubl-inv-peppol-en16931-r043.xml#3": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-inv/ubl-inv-peppol-en16931-r043.xml#4": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-inv/ubl-inv-peppol-en16931-r043.xml#7": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-inv/ubl-inv-peppol-en16931-r043.xml#8": SCHEMA,  # PEPPOL-EN16931-R043
    "ubl-inv/ubl-inv-peppol-en16931-r044.xml#2=123": SCHEMA,  # PEPPOL-EN16931-R044
    "ubl-inv/ubl-inv-peppol-en16931-r044.xml#2=no": SCHEMA,  # PEPPOL-EN16931-R044
}

EXPECTED_OUTCOMES = {REFUSED: 607, WARNING: 123, INFORMATION: 8, SCHEMA: 57, NO_SCENARIO: 2}  # of NEGATIVE_CASES


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _rejecting(report: Report) -> set[tuple[str, str]]:
    return {(f.rules, f.rule_id) for f in report.findings if f.severity in REJECTING}


# The official test suite: every business case is accepted.

BUSINESS = sorted(TESTSUITE.glob("*/*.xml"))


def test_the_test_suite_is_complete() -> None:
    assert len(BUSINESS) == BUSINESS_CASES
    assert {path.parent.name for path in BUSINESS} == {"standard", "extension"}
    assert Counter(path.name.rsplit("_", 1)[1] for path in BUSINESS) == {"ubl.xml": 38, "uncefact.xml": 34}


@pytest.mark.parametrize("path", BUSINESS, ids=[f"{p.parent.name}/{p.name}" for p in BUSINESS])
def test_every_business_case_of_the_test_suite_is_accepted(validator: Validator, path: Path) -> None:
    report = validator.validate(path.read_bytes())
    rejecting = [(f.severity, f.rule_id, f.location, f.text) for f in report.findings if f.severity in REJECTING]
    assert report.scenario.startswith("EN16931 XRechnung"), report.scenario
    assert report.accepted, rejecting
    assert ("Extension" in report.scenario) == (path.parent.name == "extension")


# The schematron's negative instances: refused with the rule they name.

_PAIR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Negative:
    file: str  # e.g. "cii/cii-br-de-1-test.xml"
    number: int  # the instruction's place among the file's xmute instructions, from 1
    mutator: str  # identity | remove | empty | code
    attribute: str | None  # the attribute mutated instead of the element's content
    value: str | None  # the code mutator's value
    rules: tuple[str, ...]  # schematron-invalid, e.g. ("xrcii:BR-DE-1",)
    declaration: str

    @property
    def key(self) -> str:
        return f"{self.file}#{self.number}"

    @property
    def id(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


def _instructions(root: etree._Element) -> list[etree._Element]:
    return [node for node in root.iter(etree.ProcessingInstruction) if getattr(node, "target", "") == "xmute"]


def _negatives(path: Path) -> list[Negative]:
    """As XML Mutate reads them: whitespace normalised, `values` split at the separator, each value trimmed."""
    file = f"{path.parent.name}/{path.name}"
    found = []
    for number, instruction in enumerate(_instructions(etree.fromstring(path.read_bytes(), _PARSER)), start=1):
        declaration = " ".join((instruction.text or "").split())
        properties = dict(_PAIR.findall(declaration))
        if "schematron-invalid" not in properties:
            continue
        mutator, attribute = properties["mutator"], properties.get("attribute")
        rules = tuple(properties["schematron-invalid"].split())
        values: list[str | None] = [None]
        if mutator == "code":
            values = [v.strip() for v in properties["values"].split(properties.get("separator", ",")) if v]
        found += [Negative(file, number, mutator, attribute, value, rules, declaration) for value in values]
    return found


NEGATIVE_PATHS = sorted(NEGATIVE.glob("*/*.xml"))
NEGATIVES = [negative for path in NEGATIVE_PATHS for negative in _negatives(path)]


def _is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str)  # comments and processing instructions have a function as their tag


def _mutated(case: Negative) -> bytes:
    """The file with the case's mutation applied to the element after its instruction (XML Mutate's target)."""
    root = etree.fromstring((NEGATIVE / case.file).read_bytes(), _PARSER)
    instruction = _instructions(root)[case.number - 1]
    target = next(node for node in instruction.itersiblings() if _is_element(node))
    if case.mutator == "remove" and case.attribute:
        del target.attrib[case.attribute]
    elif case.mutator == "remove":  # XML Mutate leaves a comment in the element's place
        parent, comment = target.getparent(), etree.Comment(" removed ")
        assert parent is not None
        comment.tail = target.tail
        parent.replace(target, comment)
    elif case.mutator == "empty" and case.attribute:
        target.set(case.attribute, "")
    elif case.mutator == "empty" and any(_is_element(child) for child in target):
        for child in [child for child in target if _is_element(child)]:
            target.remove(child)
    elif case.mutator == "empty":
        assert (target.text or "").strip(), f"nothing to empty: {case.declaration}"
        target[:] = []
        target.text = None
    elif case.mutator == "code" and case.attribute:
        assert case.value is not None
        target.set(case.attribute, case.value)
    elif case.mutator == "code":
        assert not any(_is_element(child) for child in target), f"complex content: {case.declaration}"
        target[:] = []
        target.text = case.value
    else:
        assert case.mutator == "identity", case.declaration
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _outcome(report: Report, rules: set[str]) -> str:
    severities = {
        rule: {f.severity for f in report.findings if (f.rules, f.rule_id) == ("XRechnung", rule)} for rule in rules
    }
    if not report.accepted and all(found & REJECTING for found in severities.values()):
        return REFUSED
    for kind in (WARNING, INFORMATION):
        if all(found == {kind} for found in severities.values()):
            return kind
    if not report.accepted and {f.rules for f in report.findings} == {"XML Schema"}:
        return SCHEMA
    if not report.accepted and not report.scenario:
        return NO_SCENARIO
    return f"unexplained: {severities}"


def _expected(case: Negative) -> str:
    return NOT_REFUSED_BY_THE_NAMED_RULE.get(case.id) or NOT_REFUSED_BY_THE_NAMED_RULE.get(case.key) or REFUSED


def test_the_negative_instances_are_complete_and_the_exceptions_name_declared_cases() -> None:
    assert len(NEGATIVE_PATHS) == NEGATIVE_FILES and all(_negatives(path) for path in NEGATIVE_PATHS)
    assert len(NEGATIVES) == NEGATIVE_CASES
    assert {rule.split(":")[0] for case in NEGATIVES for rule in case.rules} == {"xrubl", "xrcii"}  # XRechnung's
    declared = {case.key for case in NEGATIVES} | {case.id for case in NEGATIVES}
    assert set(NOT_REFUSED_BY_THE_NAMED_RULE) <= declared
    assert Counter(_expected(case) for case in NEGATIVES) == EXPECTED_OUTCOMES


def test_only_the_listed_instances_are_schema_invalid_as_published(validator: Validator) -> None:
    invalid = {
        f"{path.parent.name}/{path.name}"
        for path in NEGATIVE_PATHS
        if any(f.rules == "XML Schema" for f in validator.validate(path.read_bytes()).findings)
    }
    assert invalid == PUBLISHED_SCHEMA_INVALID


@pytest.mark.parametrize("case", NEGATIVES, ids=[case.id for case in NEGATIVES])
def test_every_negative_instance_of_the_schematron_is_refused_with_the_rule_it_names(
    validator: Validator, case: Negative
) -> None:
    report = validator.validate(_mutated(case))
    outcome = _outcome(report, {rule.split(":", 1)[1] for rule in case.rules})
    shown = [(f.severity, f.rule_id, f.text[:100]) for f in report.findings if f.severity != "information"]
    assert outcome == _expected(case), (case.declaration, case.value, report.scenario, shown)


# Valid invoices broken in one place.


def _replace(data: bytes, pattern: bytes, replacement: bytes, count: int = 1) -> bytes:
    changed, found = re.subn(pattern, replacement, data)
    assert found == count, (pattern, found)
    return changed


def _ubl_amount(element: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    return _replace(UBL, rb'(<cbc:%s currencyID="EUR">)%s<' % (element, re.escape(old)), rb"\g<1>%s<" % new, count)


def _cii_amount(element: bytes, old: bytes, new: bytes) -> bytes:
    return _replace(CII, rb"(<ram:%s(?: currencyID=\"EUR\")?>)%s<" % (element, re.escape(old)), rb"\g<1>%s<" % new)


EN16931, XRECHNUNG, SCHEMA_RULES = "EN 16931", "XRechnung", "XML Schema"
MUTATIONS = {  # id: (mutated invoice, the rules refusing it: (rules, rule id))
    "ubl-amount-due-one-cent-more": (_ubl_amount(b"PayableAmount", b"336.9", b"336.91"), {(EN16931, "BR-CO-16")}),
    "cii-amount-due-one-cent-more": (_cii_amount(b"DuePayableAmount", b"336.9", b"336.91"), {(EN16931, "BR-CO-16")}),
    "ubl-total-with-vat-one-cent-more": (
        _ubl_amount(b"TaxInclusiveAmount", b"336.9", b"336.91"),
        {(EN16931, "BR-CO-15"), (EN16931, "BR-CO-16")},
    ),
    "cii-total-with-vat-one-cent-more": (
        _cii_amount(b"GrandTotalAmount", b"336.9", b"336.91"),
        {(EN16931, "BR-CO-15"), (EN16931, "BR-CO-16")},
    ),
    "ubl-sum-of-lines-one-cent-more": (
        _ubl_amount(b"LineExtensionAmount", b"314.86", b"314.87"),
        {(EN16931, "BR-CO-10"), (EN16931, "BR-CO-13")},
    ),
    "cii-sum-of-lines-one-cent-more": (
        _cii_amount(b"LineTotalAmount", b"314.86", b"314.87"),
        {(EN16931, "BR-CO-10"), (EN16931, "BR-CO-13")},
    ),
    "ubl-vat-total-one-cent-more": (
        _replace(UBL, rb'(<cac:TaxTotal>\s*<cbc:TaxAmount currencyID="EUR">)22.04<', rb"\g<1>22.05<"),
        {(EN16931, "BR-CO-14"), (EN16931, "BR-CO-15")},
    ),
    "cii-vat-total-one-cent-more": (
        _cii_amount(b"TaxTotalAmount", b"22.04", b"22.05"),
        {(EN16931, "BR-CO-14"), (EN16931, "BR-CO-15")},
    ),
    "ubl-without-seller-electronic-address": (
        _replace(UBL, rb'\s*<cbc:EndpointID schemeID="EM">seller@email.de</cbc:EndpointID>', b""),
        {(XRECHNUNG, "PEPPOL-EN16931-R020")},
    ),
    "cii-without-seller-electronic-address": (
        _replace(
            CII,
            rb"\s*<ram:URIUniversalCommunication>\s*<ram:URIID schemeID=\"EM\">seller@email.de</ram:URIID>"
            rb"\s*</ram:URIUniversalCommunication>",
            b"",
        ),
        {(XRECHNUNG, "PEPPOL-EN16931-R020")},
    ),
    "ubl-without-invoice-number": (_replace(UBL, rb"\s*<cbc:ID>123456XX</cbc:ID>", b""), {(SCHEMA_RULES, "XSD")}),
    "cii-without-invoice-number": (_replace(CII, rb"\s*<ram:ID>123456XX</ram:ID>", b""), {(SCHEMA_RULES, "XSD")}),
    "ubl-empty-invoice-number": (
        _replace(UBL, rb"<cbc:ID>123456XX</cbc:ID>", b"<cbc:ID></cbc:ID>"),
        {(EN16931, "BR-02"), (XRECHNUNG, "PEPPOL-EN16931-R008")},
    ),
    "cii-empty-invoice-number": (
        _replace(CII, rb"<ram:ID>123456XX</ram:ID>", b"<ram:ID></ram:ID>"),
        {(EN16931, "BR-02"), (XRECHNUNG, "PEPPOL-EN16931-R008")},
    ),
    "ubl-zero-rated-at-7-percent": (
        _replace(UBL, rb"<cbc:ID>S</cbc:ID>", b"<cbc:ID>Z</cbc:ID>", 3),  # both lines and the VAT breakdown
        {(EN16931, "BR-Z-05"), (EN16931, "BR-Z-09")},
    ),
    "cii-zero-rated-at-7-percent": (
        _replace(CII, rb"<ram:CategoryCode>S</ram:CategoryCode>", b"<ram:CategoryCode>Z</ram:CategoryCode>", 3),
        {(EN16931, "BR-Z-05"), (EN16931, "BR-Z-09")},
    ),
}


@pytest.mark.parametrize(("broken", "rules"), MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_valid_invoice_broken_in_one_place_is_refused_with_the_rules_that_catch_it(
    validator: Validator, broken: bytes, rules: set[tuple[str, str]]
) -> None:
    report = validator.validate(broken)
    assert not report.accepted and _rejecting(report) == rules, report.findings


def test_the_invoices_the_mutations_start_from_are_accepted(validator: Validator) -> None:
    assert validator.validate(UBL).accepted and validator.validate(CII).accepted
