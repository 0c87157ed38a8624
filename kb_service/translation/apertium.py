"""Apertium: rule-based, offline machine translation from Debian's packages (`apertium` with a
language-pair package such as `apertium-eng-spa`).

The whole batch goes through one pass of the pair's `-f html` pipeline, one `<p>` per segment (932
segments translate in under a second). The pipeline is kept running in null-flush mode (`pipe.py`):
a sentence takes about 12 ms instead of the 185 ms of starting `apertium` for each call. HTML mode matters: Apertium carries markup through its pipeline as
word-bound blanks, so a `<span>` around a glossary term stays around that term's translation even
when transfer rules reorder words ("Acme Cloud" -> "Nube del Acmé" keeps the span on both nouns).
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import subprocess
import threading
from functools import cached_property
from pathlib import Path

from kb_service.translation.engines import Segment, TranslationUnavailable, Violation, base
from kb_service.translation.pipe import NullFlushPipe, PipeError

# Apertium names languages by ISO 639-3 (sometimes 639-1); the service by BCP 47.
_ISO3 = {
    "eng": "en", "spa": "es", "fra": "fr", "por": "pt", "cat": "ca", "ita": "it", "deu": "de", "nld": "nl",
    "glg": "gl", "eus": "eu", "ron": "ro", "dan": "da", "swe": "sv", "nob": "nb", "pol": "pl", "ces": "cs",
    "ukr": "uk", "rus": "ru", "tur": "tr", "ara": "ar", "hin": "hi", "urd": "ur", "oci": "oc", "epo": "eo",
}
ISO3_OF = {bcp: iso3 for iso3, bcp in _ISO3.items()}
MODES_DIRS = (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes"))
_PARA = re.compile(r"<p>(.*?)</p>", re.S)
BATCH_CHARS = 40_000
log = logging.getLogger(__name__)


class ApertiumEngine:
    name = "apertium"

    def __init__(self, binary: str | None = None, modes_dirs: tuple[Path, ...] = MODES_DIRS, timeout: float = 60.0) -> None:
        self.binary = binary or shutil.which("apertium")
        self.modes_dirs = modes_dirs
        self.timeout = timeout
        self._pipes: dict[str, NullFlushPipe | None] = {}
        self._pipes_lock = threading.Lock()

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

    _shared: "ApertiumEngine | None" = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> "ApertiumEngine":
        """One engine (and one running pipeline per pair) for the whole process."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _pipe(self, mode: str) -> NullFlushPipe | None:
        """The pair's pipeline, kept running in null-flush mode; Transfuse (`tf-extract`, `tf-inject`,
        installed with Apertium, what `apertium -f html` itself uses) turns the HTML into a stream of
        word-bound blanks and back per request. None when the tools for that are missing."""
        with self._pipes_lock:
            if mode not in self._pipes:
                pipe = None
                wblank = shutil.which("apertium-wblank-mode")
                mode_file = next((d / f"{mode}.mode" for d in self.modes_dirs if (d / f"{mode}.mode").is_file()), None)
                if wblank and mode_file and shutil.which("tf-extract") and shutil.which("tf-inject"):
                    script = subprocess.run([wblank, "-z", str(mode_file)], capture_output=True, text=True, check=False)
                    if script.returncode == 0 and script.stdout.strip():
                        # $1: the generator's option (-n: no marks on unknown words), $2: the tagger's (none)
                        pipe = NullFlushPipe(["bash", "-c", script.stdout.strip(), "bash", "-n", ""], self.timeout)
                if pipe is None:
                    log.warning("Transfuse (tf-extract) or apertium-wblank-mode is missing: Apertium starts for every "
                                "call, and without Transfuse glossary spans can land on the wrong word; install transfuse")
                self._pipes[mode] = pipe
            return self._pipes[mode]

    def _run(self, mode: str, body: str) -> str:
        pipe = self._pipe(mode)
        if pipe is None:  # no null-flush tools: the whole pipeline per call
            return self._tool([str(self.binary), "-u", "-f", "html", mode], body)
        extracted = self._tool(["tf-extract", "-f", "html"], body)
        if not extracted.endswith("\0"):
            extracted += "\0"
        try:
            middle = pipe.exchange(extracted.encode("utf-8")).decode("utf-8")
        except PipeError as exc:
            raise TranslationUnavailable(f"Apertium failed: {exc}") from exc
        return self._tool(["tf-inject"], middle)

    def _tool(self, argv: list[str], text: str) -> str:
        try:
            proc = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TranslationUnavailable(f"Apertium failed: {exc}") from exc
        if proc.returncode != 0:
            raise TranslationUnavailable(f"Apertium failed: {proc.stderr.strip()[:300]}")
        return proc.stdout

    def close(self) -> None:
        with self._pipes_lock:
            for pipe in self._pipes.values():
                if pipe is not None:
                    pipe.close()
            self._pipes.clear()

    def translate(self, segments: list[Segment], source: str, target: str, marked: bool) -> list[str]:
        if not segments:
            return []
        mode = self.mode(source, target)
        paras = [f"<p>{(s.text if marked else html.escape(s.text, quote=False)).replace(chr(0), '')}</p>\n" for s in segments]
        out: list[str] = []
        start = 0
        while start < len(paras):  # requests of at most about BATCH_CHARS, whole segments
            end, size = start, 0
            while end < len(paras) and (end == start or size + len(paras[end]) <= BATCH_CHARS):
                size += len(paras[end])
                end += 1
            out += _PARA.findall(self._run(mode, "".join(paras[start:end])))
            start = end
        if len(out) != len(segments):
            raise TranslationUnavailable(f"Apertium returned {len(out)} segments for {len(segments)}")
        out = [o.strip() for o in out]
        return out if marked else [html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", "", o)) for o in out]

    def revise(self, source: str, translation: str, violations: list[Violation], source_lang: str, target_lang: str) -> str | None:
        return None  # a rule-based engine has no second opinion; enforcement repairs structurally
