"""Apertium: rule-based, offline machine translation from Debian's packages (`apertium` with a
language-pair package such as `apertium-eng-spa`).

The whole batch goes through one `apertium -f html` pipeline, one `<p>` per segment (932 segments
translate in under a second). HTML mode matters: Apertium carries markup through its pipeline as
word-bound blanks, so a `<span>` around a glossary term stays around that term's translation even
when transfer rules reorder words ("Acme Cloud" -> "Nube del Acmé" keeps the span on both nouns).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from functools import cached_property
from pathlib import Path

from kb_service.translation.engines import Segment, TranslationUnavailable, Violation, base

# Apertium names languages by ISO 639-3 (sometimes 639-1); the service by BCP 47.
_ISO3 = {
    "eng": "en", "spa": "es", "fra": "fr", "por": "pt", "cat": "ca", "ita": "it", "deu": "de", "nld": "nl",
    "glg": "gl", "eus": "eu", "ron": "ro", "dan": "da", "swe": "sv", "nob": "nb", "pol": "pl", "ces": "cs",
    "ukr": "uk", "rus": "ru", "tur": "tr", "ara": "ar", "hin": "hi", "urd": "ur", "oci": "oc", "epo": "eo",
}
MODES_DIRS = (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes"))
_PARA = re.compile(r"<p>(.*?)</p>", re.S)


class ApertiumEngine:
    name = "apertium"

    def __init__(self, binary: str | None = None, modes_dirs: tuple[Path, ...] = MODES_DIRS, timeout: float = 60.0) -> None:
        self.binary = binary or shutil.which("apertium")
        self.modes_dirs = modes_dirs
        self.timeout = timeout

    @cached_property
    def _modes(self) -> dict[tuple[str, str], str]:
        """(source, target) BCP 47 base codes -> Apertium mode name, for every installed pair."""
        if not self.binary:
            return {}
        found: dict[tuple[str, str], str] = {}
        for d in self.modes_dirs:
            for f in sorted(d.glob("*.mode")) if d.is_dir() else []:
                parts = f.stem.split("-")
                if len(parts) != 2:  # variants such as spa-eng_US are not a pair of their own
                    continue
                src, tgt = (_ISO3.get(p, p if len(p) == 2 else "") for p in parts)
                if src and tgt:
                    found.setdefault((src, tgt), f.stem)
        return found

    @property
    def available(self) -> bool:
        return bool(self._modes)

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self._modes)

    def supports(self, source: str, target: str) -> bool:
        return (base(source), base(target)) in self._modes

    def mode(self, source: str, target: str) -> str:
        try:
            return self._modes[(base(source), base(target))]
        except KeyError:
            raise TranslationUnavailable(f"Apertium has no {source}->{target} pair installed") from None

    def language_data(self, source: str, target: str) -> Path | None:
        """The folder of the pair's compiled dictionaries (the target language's analyser and
        generator live there too), read from the mode file."""
        mode = self.mode(source, target)
        for d in self.modes_dirs:
            f = d / f"{mode}.mode"
            if f.is_file():
                m = re.search(r"'(/[^']+)/[^/']+\.bin'", f.read_text())
                if m:
                    return Path(m.group(1))
        return None

    def translate(self, segments: list[Segment], source: str, target: str, marked: bool) -> list[str]:
        if not segments:
            return []
        mode = self.mode(source, target)
        body = "".join(f"<p>{s.text if marked else html.escape(s.text, quote=False)}</p>\n" for s in segments)
        try:
            proc = subprocess.run(
                [str(self.binary), "-u", "-f", "html", mode], input=body, capture_output=True, text=True,
                timeout=self.timeout, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TranslationUnavailable(f"Apertium failed: {exc}") from exc
        if proc.returncode != 0:
            raise TranslationUnavailable(f"Apertium failed: {proc.stderr.strip()[:300]}")
        out = _PARA.findall(proc.stdout)
        if len(out) != len(segments):
            raise TranslationUnavailable(f"Apertium returned {len(out)} segments for {len(segments)}")
        out = [o.strip() for o in out]
        return out if marked else [html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", "", o)) for o in out]

    def revise(self, source: str, translation: str, violations: list[Violation], source_lang: str, target_lang: str) -> str | None:
        return None  # a rule-based engine has no second opinion; enforcement repairs structurally
