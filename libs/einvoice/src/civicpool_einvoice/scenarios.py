"""Which rules apply to which document: KoSIT's validator configuration (`rules/kosit/scenarios.xml`), read as is.

A scenario names the XPath that recognises its documents (on BT-24, the specification identifier), the XML schema,
the schematron stylesheets to run, and the severities it overrides (`customLevel`). The first scenario that
matches applies, as in KoSIT's validator; a document none matches is not accepted. This module maps the
configuration's resource locations to the files committed under `rules/` and `compiled/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeTree

from civicpool_einvoice.build import COMPILED, RULES, XRECHNUNG_VERSION

CEN_SPECIFICATION = "urn:cen.eu:en16931:2017"
XRECHNUNG = f"{CEN_SPECIFICATION}#compliant#urn:xeinkauf.de:kosit:xrechnung_{XRECHNUNG_VERSION[:3]}"
XRECHNUNG_EXTENSION = f"{XRECHNUNG}#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_{XRECHNUNG_VERSION[:3]}"
XRECHNUNG_CVD = f"{XRECHNUNG}#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"
# The build's tokens that the matching expressions use (KoSIT's build.xml of the pinned configuration).
_TOKENS = {"@xrechnung.spec.id@": XRECHNUNG, "@xrechnung.extension.id@": XRECHNUNG_EXTENSION,
           "@xrechnung.cvd.id@": XRECHNUNG_CVD, "@xrechnung.version@": XRECHNUNG_VERSION}  # fmt: skip
_CONFIGURATION = "{http://www.xoev.de/de/validator/framework/1/scenarios}"

# The configuration's resource location (its file name) -> the committed file.
RESOURCES = {
    "UBL-Invoice-2.1.xsd": RULES / "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "UBL-CreditNote-2.1.xsd": RULES / "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "CrossIndustryInvoice_100pD16B.xsd": RULES / "en16931/cii/schema/CrossIndustryInvoice_100pD16B.xsd",
    "EN16931-UBL-validation.xsl": RULES / "en16931/ubl/EN16931-UBL-validation.xslt",
    "EN16931-CII-validation.xsl": RULES / "en16931/cii/EN16931-CII-validation.xslt",
    "XRechnung-UBL-validation.xsl": COMPILED / "XRechnung-UBL-validation.xsl",
    "XRechnung-CII-validation.xsl": COMPILED / "XRechnung-CII-validation.xsl",
}


@dataclass(frozen=True)
class Rules:
    """One schematron stylesheet of a scenario, and the name it reports under."""

    name: str  # "EN 16931" or "XRechnung"
    stylesheet: Path


@dataclass(frozen=True)
class Scenario:
    name: str
    namespaces: dict[str, str]  # prefix -> namespace, for `match`
    match: str  # XPath 2: true for the documents of this scenario
    schema: Path
    rules: tuple[Rules, ...]
    severities: dict[str, str]  # rule id -> the severity this scenario gives it


def load(configuration: Path = RULES / "kosit/scenarios.xml") -> list[Scenario]:
    """The scenarios, in the configuration's order."""
    text = configuration.read_text(encoding="utf-8")
    for token, value in _TOKENS.items():
        text = text.replace(token, value)
    root = SafeTree.fromstring(text.encode("utf-8"))
    return [_scenario(element) for element in root.iter(f"{_CONFIGURATION}scenario")]


def _scenario(element: Element) -> Scenario:
    def child(parent: Element, name: str) -> Element:
        found = parent.find(f"{_CONFIGURATION}{name}")
        assert found is not None, f"scenarios.xml: {name} missing"
        return found

    def resource(step: Element) -> Path:
        location = (child(child(step, "resource"), "location").text or "").strip()
        return RESOURCES[Path(location).name]

    rules = tuple(
        Rules("XRechnung" if "XRechnung" in resource(step).name else "EN 16931", resource(step))
        for step in element.findall(f"{_CONFIGURATION}validateWithSchematron")
    )
    return Scenario(
        name=(child(element, "name").text or "").strip(),
        namespaces={
            ns.get("prefix", ""): (ns.text or "").strip() for ns in element.findall(f"{_CONFIGURATION}namespace")
        },
        match=" ".join((child(element, "match").text or "").split()),
        schema=resource(child(element, "validateWithXmlSchema")),
        rules=rules,
        severities={(c.text or "").strip(): c.get("level", "") for c in element.iter(f"{_CONFIGURATION}customLevel")},
    )
