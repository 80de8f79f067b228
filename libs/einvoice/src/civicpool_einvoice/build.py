"""Build step: the XRechnung CIUS schematron compiled to XSLT, as KoSIT's own build does it (rules/SOURCES.md).

1. The version tokens of the `.sch` sources are filled in (KoSIT's ant filter).
2. The Peppol BIS rules XRechnung adopts are merged in by KoSIT's `peppol-into-xr.xsl`, which reads them from
   `../../build/bis/` relative to itself: the step lays out that tree in a scratch folder.
3. The Peppol functions the merge appends are moved before the first pattern: SchXslt copies only functions that
   precede the patterns, while the ISO skeleton KoSIT's build of this version used copies every one.
4. SchXslt compiles the result to XSLT 2.0 that reports in SVRL.

The EN 16931 rules need no step: CEN publishes them compiled. The output is committed (`compiled/`) and checked
fresh by `scripts/generate.py --check`, so running the service never compiles anything.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor

RULES = Path(__file__).resolve().parent / "rules"
COMPILED = Path(__file__).resolve().parent / "compiled"
SYNTAXES = ("UBL", "CII")
XRECHNUNG_VERSION = "3.0.2"
XRECHNUNG_RULES_VERSION = "2.4.0"
_TOKENS = {"@xr-schematron.version.full@": XRECHNUNG_RULES_VERSION, "@xrechnung.version@": XRECHNUNG_VERSION}
# SchXslt stamps the time of compiling into the metadata; without it the output is the same on every run
_SCHEMATRON = "{http://purl.oclc.org/dsdl/schematron}"
_XSL_FUNCTION = "{http://www.w3.org/1999/XSL/Transform}function"
_CREATED = re.compile(r"\n\s*<dct:created>[^<]*</dct:created>")


def compiled_name(syntax: str) -> str:
    return f"XRechnung-{syntax}-validation.xsl"


def compile_xrechnung(out_dir: Path = COMPILED) -> list[Path]:
    """Compile the XRechnung rules for both syntaxes into `out_dir`; the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="xrechnung-build-") as scratch:
        work = Path(scratch)
        (work / "src/xsl").mkdir(parents=True)
        (work / "build/bis").mkdir(parents=True)
        (work / "build/schematron/tmp").mkdir(parents=True)
        for name in ("peppol-into-xr.xsl", "rule-list.xml"):
            shutil.copy(RULES / "xrechnung/xsl" / name, work / "src/xsl" / name)
        for syntax in SYNTAXES:
            shutil.copy(RULES / f"peppol/PEPPOL-EN16931-{syntax}.sch", work / "build/bis")
        shutil.copy(RULES / "xrechnung/common.sch", work / "build/schematron/common.sch")
        with PySaxonProcessor(license=False) as saxon:
            xslt = saxon.new_xslt30_processor()
            merge = xslt.compile_stylesheet(stylesheet_file=str(work / "src/xsl/peppol-into-xr.xsl"))
            schxslt = xslt.compile_stylesheet(stylesheet_file=str(RULES / "schxslt/2.0/pipeline-for-svrl.xsl"))
            for syntax in SYNTAXES:
                name = f"XRechnung-{syntax}-validation.sch"
                source = (RULES / "xrechnung" / syntax.lower() / name).read_text(encoding="utf-8")
                for token, value in _TOKENS.items():
                    source = source.replace(token, value)
                (work / "build/schematron/tmp" / name).write_text(source, encoding="utf-8")
                merged = work / "build/schematron" / syntax.lower() / name  # beside common.sch, as it includes it
                merged.parent.mkdir(parents=True, exist_ok=True)
                merge.clear_parameters()
                merge.set_parameter("syntax", saxon.make_string_value(syntax))
                merge.transform_to_file(source_file=str(work / "build/schematron/tmp" / name), output_file=str(merged))
                _functions_first(merged)
                target = out_dir / compiled_name(syntax)
                compiled = schxslt.transform_to_string(source_file=str(merged))
                target.write_text(_CREATED.sub("", compiled), encoding="utf-8")
                written.append(target)
    return written


def _functions_first(schematron: Path) -> None:
    """Move the schema's top-level XSLT functions before its first pattern or include (step 3)."""
    tree = etree.parse(str(schematron), etree.XMLParser(resolve_entities=False, no_network=True))
    root = tree.getroot()
    first = next(child for child in root if child.tag in (f"{_SCHEMATRON}pattern", f"{_SCHEMATRON}include"))
    for function in [child for child in root if child.tag == _XSL_FUNCTION]:
        first.addprevious(function)
    tree.write(str(schematron), encoding="utf-8", xml_declaration=True)
