"""ClaudeEngine through the real anthropic client, with Messages API responses replayed by an
`httpx2.MockTransport` (the SDK's HTTP library is httpx2; an `httpx.Client` is rejected)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2
import pytest

from kb_service.config import Settings
from kb_service.llm import ClaudeClient, LLMError, from_settings
from kb_service.translation.claude import ClaudeEngine, batches, parse_segments
from kb_service.translation.engines import Segment, TranslationUnavailable, Violation
from kb_service.translation.enforce import Enforcer
from kb_service.translation.glossary import Entry, Glossary

MODEL = "claude-test-model"


@pytest.fixture(scope="session", autouse=True)
def _prepared_model() -> None:
    """Overrides the suite's autouse fixture: these tests load no embedding model."""


def message(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_01TEST", "type": "message", "role": "assistant", "model": MODEL,
        "content": [{"type": "text", "text": text}], "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 20},
    }


def segments_reply(*texts: str, preamble: str = "") -> str:
    body = "\n".join(f'<segment id="{i}">{t}</segment>' for i, t in enumerate(texts))
    return f"{preamble}<segments>\n{body}\n</segments>"


class FakeClaude:
    """Scripted replies (a text, or an (HTTP status, body) pair) and the requests that got them."""

    def __init__(self, *replies: str | tuple[int, dict[str, Any]], stop_reason: str = "end_turn") -> None:
        self.replies = list(replies)
        self.stop_reason = stop_reason
        self.requests: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.method == "POST" and request.url.path == "/v1/messages"
        self.requests.append(json.loads(request.content))
        self.headers.append(request.headers)
        reply = self.replies.pop(0)
        if isinstance(reply, tuple):
            status, body = reply
            return httpx2.Response(status, json=body, headers={"retry-after-ms": "1"})
        return httpx2.Response(200, json=message(reply, self.stop_reason))

    def user(self, i: int = -1) -> str:
        return self.requests[i]["messages"][0]["content"]

    def system(self, i: int = -1) -> str:
        return self.requests[i]["system"]


def client(fake: FakeClaude, max_retries: int = 0) -> ClaudeClient:
    return ClaudeClient("sk-test-key", MODEL, http_client=httpx2.Client(transport=httpx2.MockTransport(fake)),
                        max_retries=max_retries)


def engine(fake: FakeClaude, **kwargs: Any) -> ClaudeEngine:
    return ClaudeEngine(client(fake), **kwargs)


@pytest.fixture
def glossary() -> Glossary:
    return Glossary("g1", "Help centre", "en", "es",
                    entries=[Entry("workspace", ("espacio de trabajo",)), Entry("Fernbook")])


def overloaded() -> tuple[int, dict[str, Any]]:
    return 529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


# -- the engine on its own -------------------------------------------------------------------------
def test_marked_batch_round_trips_and_request_carries_terms_model_and_text() -> None:
    fake = FakeClaude(segments_reply(
        'Abre tu <span id="t0">espacio de trabajo</span>.',
        'Inicia sesión en <span id="t0">Fernbook</span> &amp; sigue.',
        preamble="Here are the translations:\n\n",
    ))
    segs = [
        Segment('Open your <span id="t0">workspace</span>.', [("workspace", "espacio de trabajo")]),
        Segment('Sign in to <span id="t0">Fernbook</span> &amp; continue.', [("Fernbook", "Fernbook")]),
    ]
    out = engine(fake).translate(segs, "en", "es", marked=True)
    assert out == ['Abre tu <span id="t0">espacio de trabajo</span>.',
                   'Inicia sesión en <span id="t0">Fernbook</span> &amp; sigue.']
    assert len(fake.requests) == 1
    req = fake.requests[0]
    assert req["model"] == MODEL
    assert "temperature" not in req  # API version 2026-10-21 answers 400 to any sampling parameter
    user, system = fake.user(), fake.system()
    assert '<segment id="0">Open your <span id="t0">workspace</span>.</segment>' in user
    assert '<segment id="1">Sign in to <span id="t0">Fernbook</span> &amp; continue.</segment>' in user
    assert 'translate "workspace" as "espacio de trabajo"' in user
    assert 'keep "Fernbook" exactly as written' in user
    assert "from English to Spanish" in system
    assert "not instructions" in system and '<span id="tK">' in system and "&amp;" in system
    assert fake.headers[0]["authorization"] == "Bearer sk-test-key"


def test_unmarked_text_is_escaped_on_the_way_in_and_unescaped_on_the_way_out() -> None:
    fake = FakeClaude(segments_reply("Pulsa &lt;Intro&gt; y luego Guardar &amp; salir &lt;/segment&gt; no."))
    out = engine(fake).translate([Segment("Press <Enter> then Save & exit </segment> no.")], "en", "pt-BR", marked=False)
    assert out == ["Pulsa <Intro> y luego Guardar & salir </segment> no."]
    assert '<segment id="0">Press &lt;Enter&gt; then Save &amp; exit &lt;/segment&gt; no.</segment>' in fake.user()
    assert "to Portuguese (Brazil)" in fake.system()
    assert "<span" not in fake.system()


def test_segments_are_parsed_by_id_with_whitespace_and_in_any_order() -> None:
    reply = 'Sure!\n<segments>\n  <segment id="1">\n  B\n</segment>\n\n<segment  id = "0" >A</segment>\n</segments>\nDone.'
    assert parse_segments(reply, 2) == ["A", "B"]


def test_a_missing_segment_raises_translation_unavailable() -> None:
    fake = FakeClaude(segments_reply("Uno."))
    with pytest.raises(TranslationUnavailable, match=r"1 segments .* for 2"):
        engine(fake).translate([Segment("One."), Segment("Two.")], "en", "es", marked=False)


def test_wrong_ids_or_no_wrapper_raise_translation_unavailable() -> None:
    with pytest.raises(TranslationUnavailable):
        parse_segments('<segments><segment id="0">A</segment><segment id="2">C</segment></segments>', 2)
    with pytest.raises(TranslationUnavailable, match="twice"):
        parse_segments('<segments><segment id="0">A</segment><segment id="0">A</segment></segments>', 2)
    with pytest.raises(TranslationUnavailable):
        parse_segments("Uno. Dos.", 2)


def test_batches_stay_under_the_character_budget_and_keep_order() -> None:
    segs = [Segment("a" * 40) for _ in range(5)] + [Segment("b" * 150), Segment("c")]
    assert batches(segs, 100) == [[0, 1], [2, 3], [4], [5], [6]]
    fake = FakeClaude(*(segments_reply(*(f"T{i}" for i in run)) for run in batches(segs, 100)))
    out = engine(fake, max_batch_chars=100).translate(segs, "en", "de", marked=False)
    assert out == [f"T{i}" for i in range(7)]
    assert len(fake.requests) == 5
    assert all(len(re.findall(r"<segment id=", fake.user(i))) == len(run)
               for i, run in enumerate(batches(segs, 100)))


@pytest.mark.parametrize("status", [500, 529])
def test_server_errors_raise_translation_unavailable(status: int) -> None:
    fake = FakeClaude((status, {"type": "error", "error": {"type": "api_error", "message": "boom"}}))
    with pytest.raises(TranslationUnavailable, match=f"HTTP {status}"):
        engine(fake).translate([Segment("Hello.")], "en", "es", marked=False)
    assert len(fake.requests) == 1  # max_retries=0


def test_an_overloaded_answer_is_retried_by_the_client() -> None:
    fake = FakeClaude(overloaded(), segments_reply("Hola."))
    eng = ClaudeEngine(client(fake, max_retries=1))
    assert eng.translate([Segment("Hello.")], "en", "es", marked=False) == ["Hola."]
    assert len(fake.requests) == 2


def test_a_truncated_answer_raises_translation_unavailable() -> None:
    fake = FakeClaude(segments_reply("Hola."), stop_reason="max_tokens")
    with pytest.raises(TranslationUnavailable, match="cut off"):
        engine(fake).translate([Segment("Hello.")], "en", "es", marked=False)


def test_client_errors_are_llm_errors() -> None:
    with pytest.raises(LLMError, match="empty"):
        client(FakeClaude("  ")).complete("system", "user")
    with pytest.raises(LLMError, match="declined"):
        client(FakeClaude("I can't help with that.", stop_reason="refusal")).complete("system", "user")

    def unreachable(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    offline = ClaudeClient("k", MODEL, http_client=httpx2.Client(transport=httpx2.MockTransport(unreachable)), max_retries=0)
    with pytest.raises(LLMError, match="unreachable"):
        offline.complete("system", "user")


def test_pairs_and_supports() -> None:
    eng = engine(FakeClaude())
    assert eng.name == "claude" and eng.pairs() == [("*", "*")]
    assert eng.supports("en", "ja") and eng.supports("pt-BR", "es")
    assert not eng.supports("pt-BR", "pt-PT") and not eng.supports("en", "en-GB")


def test_from_settings_needs_a_key() -> None:
    assert from_settings(Settings(anthropic_api_key=None)) is None
    assert from_settings(Settings(anthropic_api_key="  ")) is None
    made = from_settings(Settings(anthropic_api_key="sk-x", anthropic_model="claude-haiku-4-5"))
    assert isinstance(made, ClaudeClient) and made.model == "claude-haiku-4-5"


# -- with the enforcer ---------------------------------------------------------------------------------
def test_enforcement_not_the_prompt_puts_the_approved_terms_in(glossary: Glossary) -> None:
    # Claude kept the spans but put its own words in them: enforcement replaces them.
    fake = FakeClaude(segments_reply('Abre tu <span id="t0">área</span> en <span id="t1">Libro Helecho</span>.'))
    [result] = Enforcer(engine(fake)).translate(["Open your workspace in Fernbook."], glossary, "en", "es")
    assert result.text == "Abre tu espacio de trabajo en Fernbook."
    assert [(t.source_term, t.status) for t in result.terms] == [("workspace", "enforced"), ("Fernbook", "enforced")]
    assert len(fake.requests) == 1
    assert '<span id="t0">workspace</span> in <span id="t1">Fernbook</span>' in fake.user()
    assert 'translate "workspace" as "espacio de trabajo"' in fake.user()
    assert 'keep "Fernbook" exactly as written' in fake.user()


def test_placeholder_pass_puts_a_dropped_term_back(glossary: Glossary) -> None:
    fake = FakeClaude(
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),  # span t0 lost
        segments_reply('Abre tu <span id="t0">ZXQ0QXZ</span> en <span id="t1">Fernbook</span>.'),
    )
    [result] = Enforcer(engine(fake)).translate(["Open your workspace in Fernbook."], glossary, "en", "es")
    assert result.text == "Abre tu espacio de trabajo en Fernbook."
    assert [t.status for t in result.terms] == ["repaired", "kept"]
    assert '<span id="t0">ZXQ0QXZ</span>' in fake.user(1)
    assert len(fake.requests) == 2  # nothing left for revise


def test_revise_is_asked_when_spans_and_placeholders_fail_and_its_reply_is_used(glossary: Glossary) -> None:
    fake = FakeClaude(
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),  # 1: translate, span t0 dropped
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),  # 2: placeholder pass, token dropped too
        "Corrected:\n<translation>Abre tu espacio de trabajo en Fernbook.</translation>",  # 3: revise
    )
    [result] = Enforcer(engine(fake)).translate(["Open your workspace in Fernbook."], glossary, "en", "es")
    assert len(fake.requests) == 3
    assert '<span id="t0">ZXQ0QXZ</span>' in fake.user(1)
    revise_prompt = fake.user(2)
    assert "<source>Open your workspace in Fernbook.</source>" in revise_prompt
    assert "<translation>Abre tu área en Fernbook.</translation>" in revise_prompt
    assert 'for "workspace" the translation must contain one of: "espacio de trabajo"' in revise_prompt
    assert "<translation></translation>" in fake.system(2) and "not instructions" in fake.system(2)
    assert result.text == "Abre tu espacio de trabajo en Fernbook."
    assert [(t.source_term, t.status) for t in result.terms] == [("workspace", "repaired"), ("Fernbook", "kept")]
    assert not result.violations


def test_when_revise_fails_the_term_is_reported_violated(glossary: Glossary) -> None:
    fake = FakeClaude(
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),
        overloaded(),
    )
    [result] = Enforcer(engine(fake)).translate(["Open your workspace in Fernbook."], glossary, "en", "es")
    assert result.text == "Abre tu área en Fernbook."
    assert [t.status for t in result.terms] == ["violated", "kept"]


def test_revise_on_its_own() -> None:
    violations = [Violation("workspace", ["espacio de trabajo", "área de trabajo"], "Abre tu área."),
                  Violation("Fernbook", ["Fernbook"], "Abre tu área.")]
    fake = FakeClaude("<translation>\n  Abre tu espacio de trabajo de Fernbook &amp; más.\n</translation>")
    eng = engine(fake)
    assert eng.revise("Open your Fernbook workspace & more.", "Abre tu área.", violations, "en", "es") == \
        "Abre tu espacio de trabajo de Fernbook & más."
    assert 'one of: "espacio de trabajo", "área de trabajo"' in fake.user()
    assert '"Fernbook" must stay exactly as written' in fake.user()
    assert "<source>Open your Fernbook workspace &amp; more.</source>" in fake.user()
    fake.replies.append("I would write: Abre tu espacio de trabajo.")  # no <translation> tags: no revision
    assert eng.revise("x", "y", violations, "en", "es") is None
    assert engine(FakeClaude(overloaded())).revise("x", "y", violations, "en", "es") is None


def test_a_revision_that_drops_a_good_term_is_not_reported_ok(glossary: Glossary) -> None:
    fake = FakeClaude(
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),
        segments_reply('Abre tu área en <span id="t1">Fernbook</span>.'),
        "<translation>Abre tu espacio de trabajo en la aplicación.</translation>",  # fixes t0, loses Fernbook
    )
    [result] = Enforcer(engine(fake)).translate(["Open your workspace in Fernbook."], glossary, "en", "es")
    assert "Fernbook" in result.text or any(t.source_term == "Fernbook" and not t.ok for t in result.terms)
