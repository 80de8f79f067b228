"""An e-invoice checked by the official rules: the XML schema, then the EN 16931 business rules and the XRechnung
CIUS rules, chosen by KoSIT's scenarios (scenarios.py). No rule is written here; this module runs them and reports
each violation with the rule's own id, severity, location and wording.

Before any parser that could act on them sees the bytes, a DOCTYPE, entity declarations and external references
are refused (defusedxml), and so is a document over the size limit. The schematron runs only on a schema-valid
document, as in KoSIT's validator. `Validator` loads the stylesheets once (Saxon-HE cannot store compiled ones, so
this costs about half a second per process) and is safe to share between threads.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException
from lxml import etree
from saxonche import PySaxonProcessor

from civicpool_einvoice import scenarios

MAX_XML_BYTES = 10 * 1024 * 1024  # far above any invoice; a bound for what is parsed at all
REJECTING = frozenset({"fatal", "error"})
_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
DOCUMENTS = {  # root element -> (syntax, document)
    f"{{{_UBL_INVOICE}}}Invoice": ("UBL", "Invoice"),
    f"{{{_UBL_CREDIT_NOTE}}}CreditNote": ("UBL", "CreditNote"),
    f"{{{_CII}}}CrossIndustryInvoice": ("CII", "CrossIndustryInvoice"),
}
# Locations are reported with the prefixes a reader of the standard knows.
_PREFIXES = {
    _UBL_INVOICE: "ubl", _UBL_CREDIT_NOTE: "cn", _CII: "rsm", _CBC: "cbc", _RAM: "ram",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
}  # fmt: skip
_CLARK_STEP = re.compile(r"Q\{([^}]*)\}([\w.-]+)")  # SchXslt: /Q{namespace}local[1]
_WILDCARD_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")  # ISO skeleton: /*:local[namespace-uri()=…]


class Refused(ValueError):
    """The bytes are not looked at as an invoice at all; `reason` says why (for the sender)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind  # too_large | unsafe | not_xml | not_an_invoice
        self.reason = reason


@dataclass(frozen=True)
class Finding:
    rule_id: str  # e.g. BR-DE-15, BR-CO-10; "XSD" for the XML schema
    severity: str  # fatal | error | warning | information, after the scenario's overrides
    location: str  # an XPath into the document, or the line for the XML schema
    text: str  # the rule's own wording
    rules: str  # "XML Schema", "EN 16931" or "XRechnung"


@dataclass(frozen=True)
class Report:
    syntax: str  # UBL | CII
    document: str  # Invoice | CreditNote | CrossIndustryInvoice
    specification: str  # BT-24, the specification identifier the document claims
    scenario: str  # the KoSIT scenario applied; "" when none applies, which rejects the document
    findings: tuple[Finding, ...]

    @property
    def accepted(self) -> bool:
        """A scenario applies and nothing in it is fatal or an error."""
        return bool(self.scenario) and not any(f.severity in REJECTING for f in self.findings)


class Validator:
    def __init__(self, max_bytes: int = MAX_XML_BYTES) -> None:
        self._max_bytes = max_bytes
        self._lock = threading.Lock()  # Saxon's executables are not safe to share between threads
        self._saxon = PySaxonProcessor(license=False)
        self._xslt = self._saxon.new_xslt30_processor()
        self._scenarios = scenarios.load()
        self._stylesheets: dict[Path, Any] = {}
        self._schemas: dict[Path, etree.XMLSchema] = {}

    def validate(self, data: bytes) -> Report:
        """The report of the document's check; Refused when it is no XML invoice one may safely read."""
        root = _safe_root(data, self._max_bytes)
        if root.tag not in DOCUMENTS:
            raise Refused("not_an_invoice", f"the root element {root.tag} is not an UBL Invoice or CreditNote or a "
                                            "UN/CEFACT CrossIndustryInvoice")  # fmt: skip
        syntax, document = DOCUMENTS[root.tag]
        specification = _specification(root, syntax)
        parsed = etree.fromstring(data, _LXML_PARSER)
        with self._lock:
            node = self._saxon.parse_xml(xml_text=etree.tostring(parsed, encoding="unicode"), encoding="utf-8")
            scenario = next((s for s in self._scenarios if self._matches(s, node)), None)
            if scenario is None:
                return Report(syntax, document, specification, "", ())
            findings = self._schema_findings(parsed, scenario.schema)
            if not findings:
                for rules in scenario.rules:
                    findings += self._rule_findings(rules, node, scenario.severities)
        return Report(syntax, document, specification, scenario.name, tuple(findings))

    def _matches(self, scenario: scenarios.Scenario, node: Any) -> bool:
        xpath = self._saxon.new_xpath_processor()
        for prefix, namespace in scenario.namespaces.items():
            xpath.declare_namespace(prefix, namespace)
        xpath.set_context(xdm_item=node)
        return bool(xpath.effective_boolean_value(scenario.match))

    def _schema_findings(self, parsed: etree._Element, schema_file: Path) -> list[Finding]:
        if schema_file not in self._schemas:
            self._schemas[schema_file] = etree.XMLSchema(etree.parse(str(schema_file), _LXML_PARSER))
        schema = self._schemas[schema_file]
        if schema.validate(parsed):
            return []
        errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]  # lxml-stubs leave it opaque
        return [Finding("XSD", "fatal", f"line {e.line}", e.message, "XML Schema") for e in errors]

    def _rule_findings(self, rules: scenarios.Rules, node: Any, severities: dict[str, str]) -> list[Finding]:
        if rules.stylesheet not in self._stylesheets:
            self._stylesheets[rules.stylesheet] = self._xslt.compile_stylesheet(stylesheet_file=str(rules.stylesheet))
        svrl = etree.fromstring(self._stylesheets[rules.stylesheet].transform_to_string(xdm_node=node).encode())
        findings = []
        for fired in svrl.iter(f"{_SVRL}failed-assert", f"{_SVRL}successful-report"):
            rule_id = fired.get("id") or ""
            text = fired.find(f"{_SVRL}text")
            findings.append(Finding(
                rule_id, severities.get(rule_id, fired.get("flag") or "fatal"), _readable(fired.get("location") or ""),
                " ".join((text.text or "").split()) if text is not None else "", rules.name,
            ))  # fmt: skip
        return findings


# No DTD is loaded, no entity resolved, nothing fetched: defusedxml has refused those already; this is the second lock.
_LXML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _safe_root(data: bytes, max_bytes: int) -> Any:
    if len(data) > max_bytes:
        raise Refused("too_large", f"the document has {len(data)} bytes, more than the {max_bytes} accepted")
    try:
        return SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as unsafe:
        raise Refused("unsafe", f"a DOCTYPE, entity or external reference is not accepted: {unsafe}") from None
    except SafeTree.ParseError as broken:
        raise Refused("not_xml", f"the document is not well-formed XML: {broken}") from None


def _specification(root: Any, syntax: str) -> str:
    """BT-24: cbc:CustomizationID in UBL; the guideline parameter's ID in CII."""
    guideline = f"{{{_CII}}}ExchangedDocumentContext/{{{_RAM}}}GuidelineSpecifiedDocumentContextParameter/{{{_RAM}}}ID"
    path = f"{{{_CBC}}}CustomizationID" if syntax == "UBL" else guideline
    found = root.find(path)
    return (found.text or "").strip() if found is not None else ""


def _readable(location: str) -> str:
    def prefixed(namespace: str, local: str) -> str:
        return f"{_PREFIXES.get(namespace, '{' + namespace + '}')}:{local}"

    location = _CLARK_STEP.sub(lambda m: prefixed(m.group(1), m.group(2)), location)
    return _WILDCARD_STEP.sub(lambda m: prefixed(m.group(2), m.group(1)), location)
