/*
 * The support knowledge base's help widget: one <script> tag adds a help button and a panel where a
 * customer asks a question in any language and gets the knowledge base's answer, with links to the
 * articles it came from, or an honest hand-off to a person.
 *
 *   <script src="https://kb.example.com/widget.js" data-key="kb_widget_..." async></script>
 *
 * Optional attributes: data-handoff-url (where "Contact support" goes: http, https or mailto),
 * data-title (the button's and panel's title), data-language (the language customers write in and
 * get answers in; default: detected per question), data-position ("right" or "left").
 *
 * Rules this file keeps: it calls only POST /v1/answer and POST /v1/feedback of the service it was
 * loaded from; everything it shows is set with textContent (never as HTML) and links only to
 * http(s)/mailto URLs it has checked; its stylesheet is a <link> inside its own shadow root, so it
 * works under a strict Content-Security-Policy and the host page's styles do not reach it.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) {
    console.warn("[help widget] load widget.js with a plain <script src=...> tag (not as a module or by another script)");
    return;
  }
  if (document.querySelector("kb-help-widget")) {
    return; // already on the page (the tag was included twice)
  }

  var BASE = new URL(".", script.src); // the service, also when it is served under a path prefix
  var KEY = (script.getAttribute("data-key") || "").trim();
  var TIMEOUT_MS = 90000;
  var MAX_QUESTION = 2000; // the service's default KB_MAX_QUERY_CHARS

  // ---------------------------------------------------------------- labels, in the page's language
  var LABELS = {
    en: {
      title: "Help", close: "Close help", question: "Your question", placeholder: "For example: how do I reset my password?",
      hint: "Ask in any language. Enter sends, Shift+Enter starts a new line.", send: "Ask",
      looking: "Looking for an answer…", found: "Here is an answer.", notFound: "No help article answers this.",
      sources: "From these articles", newTab: "(opens in a new tab)", helped: "Did this help?", yes: "Yes", no: "No",
      sending: "Sending…", thanks: "Thank you for your feedback.", sorry: "Thank you. Sorry it did not help.",
      stillNeed: "Still need help?", contact: "Contact support",
      languageNote: "This answer is in {language}: it could not be translated into your language.",
      tooMany: "Too many questions at once. Please try again in {seconds} seconds.",
      unavailable: "Help is not available on this page at the moment.",
      network: "The help centre could not be reached. Check your connection and try again.",
      failed: "Something went wrong on our side. Please try again.", retry: "Try again",
      empty: "Please type your question first.", tooLong: "Please shorten your question.",
      feedbackFailed: "Your feedback could not be sent. Please try again."
    },
    de: {
      title: "Hilfe", close: "Hilfe schließen", question: "Ihre Frage", placeholder: "Zum Beispiel: Wie setze ich mein Passwort zurück?",
      hint: "Fragen Sie in jeder Sprache. Eingabetaste sendet, Umschalt+Eingabe beginnt eine neue Zeile.", send: "Fragen",
      looking: "Suche nach einer Antwort…", found: "Hier ist eine Antwort.", notFound: "Kein Hilfeartikel beantwortet diese Frage.",
      sources: "Aus diesen Artikeln", newTab: "(öffnet in einem neuen Tab)", helped: "Hat das geholfen?", yes: "Ja", no: "Nein",
      sending: "Wird gesendet…", thanks: "Danke für Ihre Rückmeldung.", sorry: "Danke. Schade, dass es nicht geholfen hat.",
      stillNeed: "Brauchen Sie weiter Hilfe?", contact: "Support kontaktieren",
      languageNote: "Diese Antwort ist auf {language}: Sie konnte nicht in Ihre Sprache übersetzt werden.",
      tooMany: "Zu viele Fragen auf einmal. Bitte versuchen Sie es in {seconds} Sekunden erneut.",
      unavailable: "Die Hilfe ist auf dieser Seite gerade nicht verfügbar.",
      network: "Das Hilfe-Center ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      failed: "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.", retry: "Erneut versuchen",
      empty: "Bitte geben Sie zuerst Ihre Frage ein.", tooLong: "Bitte kürzen Sie Ihre Frage.",
      feedbackFailed: "Ihre Rückmeldung konnte nicht gesendet werden. Bitte versuchen Sie es erneut."
    },
    es: {
      title: "Ayuda", close: "Cerrar la ayuda", question: "Tu pregunta", placeholder: "Por ejemplo: ¿cómo restablezco mi contraseña?",
      hint: "Pregunta en cualquier idioma. Intro envía, Mayús+Intro empieza una línea nueva.", send: "Preguntar",
      looking: "Buscando una respuesta…", found: "Aquí tienes una respuesta.", notFound: "Ningún artículo de ayuda responde a esto.",
      sources: "De estos artículos", newTab: "(se abre en una pestaña nueva)", helped: "¿Te ha ayudado?", yes: "Sí", no: "No",
      sending: "Enviando…", thanks: "Gracias por tu opinión.", sorry: "Gracias. Sentimos que no te haya ayudado.",
      stillNeed: "¿Sigues necesitando ayuda?", contact: "Contactar con soporte",
      languageNote: "Esta respuesta está en {language}: no se ha podido traducir a tu idioma.",
      tooMany: "Demasiadas preguntas a la vez. Vuelve a intentarlo dentro de {seconds} segundos.",
      unavailable: "La ayuda no está disponible en esta página en este momento.",
      network: "No se ha podido contactar con el centro de ayuda. Comprueba tu conexión y vuelve a intentarlo.",
      failed: "Algo ha fallado por nuestra parte. Vuelve a intentarlo.", retry: "Reintentar",
      empty: "Escribe primero tu pregunta.", tooLong: "Acorta tu pregunta, por favor.",
      feedbackFailed: "No se ha podido enviar tu opinión. Vuelve a intentarlo."
    },
    fr: {
      title: "Aide", close: "Fermer l’aide", question: "Votre question", placeholder: "Par exemple : comment réinitialiser mon mot de passe ?",
      hint: "Posez votre question dans n’importe quelle langue. Entrée envoie, Maj+Entrée ajoute une ligne.", send: "Demander",
      looking: "Recherche d’une réponse…", found: "Voici une réponse.", notFound: "Aucun article d’aide ne répond à cette question.",
      sources: "D’après ces articles", newTab: "(s’ouvre dans un nouvel onglet)", helped: "Cela vous a-t-il aidé ?", yes: "Oui", no: "Non",
      sending: "Envoi…", thanks: "Merci pour votre avis.", sorry: "Merci. Désolé que cela ne vous ait pas aidé.",
      stillNeed: "Besoin d’aide supplémentaire ?", contact: "Contacter le support",
      languageNote: "Cette réponse est en {language} : elle n’a pas pu être traduite dans votre langue.",
      tooMany: "Trop de questions à la fois. Réessayez dans {seconds} secondes.",
      unavailable: "L’aide n’est pas disponible sur cette page pour le moment.",
      network: "Le centre d’aide est injoignable. Vérifiez votre connexion et réessayez.",
      failed: "Un problème est survenu de notre côté. Veuillez réessayer.", retry: "Réessayer",
      empty: "Saisissez d’abord votre question.", tooLong: "Veuillez raccourcir votre question.",
      feedbackFailed: "Votre avis n’a pas pu être envoyé. Veuillez réessayer."
    }
  };

  function languageCode(value) {
    // a BCP 47 tag such as "de" or "pt-BR", or null
    var v = (value || "").trim();
    return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/.test(v) ? v : null;
  }

  var FORCED_LANGUAGE = languageCode(script.getAttribute("data-language"));
  var UI_LANGUAGE = (function () {
    var tag = FORCED_LANGUAGE || languageCode(document.documentElement.lang) || languageCode(navigator.language) || "en";
    var primary = tag.split("-")[0].toLowerCase();
    return LABELS[primary] ? primary : "en";
  })();
  var L = LABELS[UI_LANGUAGE];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function languageName(code) {
    try {
      return new Intl.DisplayNames([UI_LANGUAGE], { type: "language" }).of(code) || code;
    } catch (e) {
      return code;
    }
  }

  // ---------------------------------------------------------------- URLs: only what is safe to link
  function safeUrl(value, protocols, base) {
    if (typeof value !== "string" || !value.trim()) return null;
    try {
      var url = new URL(value.trim(), base);
      return protocols.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  var HANDOFF_URL = null;
  if (script.hasAttribute("data-handoff-url")) {
    HANDOFF_URL = safeUrl(script.getAttribute("data-handoff-url"), ["http:", "https:", "mailto:"], document.baseURI);
    if (!HANDOFF_URL) console.warn("[help widget] data-handoff-url must be an http, https or mailto URL; it is ignored");
  }
  var TITLE = (script.getAttribute("data-title") || "").trim().slice(0, 60) || L.title;
  var POSITION = script.getAttribute("data-position") === "left" ? "left" : "right";

  if (!KEY) {
    console.warn("[help widget] no data-key on the <script> tag: ask the knowledge base's admin for a widget key");
    return;
  }

  // ---------------------------------------------------------------- DOM helpers (text only, never HTML)
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs.text;
      else if (attrs[name] === true) node.setAttribute(name, "");
      else if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) node.setAttribute(name, String(attrs[name]));
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---------------------------------------------------------------- talking to the service
  /* POST a JSON body; resolves to {status, data, retryAfter} (data: the parsed body or null), rejects
   * only when there was no HTTP answer (offline, timed out, or blocked by the browser). */
  function post(path, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(new URL(path, BASE).href, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-API-Key": KEY },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = JSON.parse(text); } catch (e) { /* not JSON: a proxy's error page */ }
        return { status: response.status, data: data, retryAfter: response.headers.get("Retry-After") };
      });
    }).finally(function () {
      if (timer) clearTimeout(timer);
    });
  }

  function retrySeconds(header) {
    var seconds = parseInt(header, 10);
    if (!isNaN(seconds) && seconds >= 0) return Math.max(1, seconds);
    var date = Date.parse(header || ""); // Retry-After may also be an HTTP date
    return isNaN(date) ? 60 : Math.max(1, Math.ceil((date - Date.now()) / 1000));
  }

  /* What to tell the customer about a failed response; the details go to the console for the site owner. */
  function problemText(result, what) {
    var d = result.data && typeof result.data === "object" ? result.data : {};
    var details = "HTTP " + result.status + (d.code ? " " + d.code : "") + (d.message ? ": " + d.message : "") +
      (d.request_id ? " (request id " + d.request_id + ")" : "");
    if (result.status === 429) return fill(L.tooMany, { seconds: retrySeconds(result.retryAfter) });
    console.warn("[help widget] the service refused the " + what + " request: " + details);
    if (result.status === 401 || result.status === 403) return L.unavailable;
    if ((result.status === 422 && d.field === "question") || result.status === 413) return L.tooLong;
    return L.failed;
  }

  // ---------------------------------------------------------------- the widget
  var host = el("kb-help-widget", { "data-kb-help-widget": true });
  var root = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: new URL("static/widget.css", BASE).href });

  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "kbw-panel" }, [
    el("span", { "class": "launcher-icon", "aria-hidden": "true", text: "?" }),
    el("span", { "class": "launcher-text", text: TITLE })
  ]);
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": L.close }, [
    el("span", { "aria-hidden": "true", text: "×" })
  ]);
  var field = el("textarea", {
    id: "kbw-question", name: "question", rows: "3", maxlength: String(MAX_QUESTION), placeholder: L.placeholder,
    "aria-describedby": "kbw-hint", autocomplete: "off", lang: FORCED_LANGUAGE
  });
  var sendButton = el("button", { type: "submit", "class": "send", text: L.send });
  var form = el("form", { "class": "ask", novalidate: true }, [
    el("label", { "for": "kbw-question", text: L.question }),
    field,
    el("p", { id: "kbw-hint", "class": "hint", text: L.hint }),
    sendButton
  ]);
  var status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
  var result = el("div", { "class": "result" });
  var panel = el("section", { id: "kbw-panel", "class": "panel", role: "dialog", "aria-labelledby": "kbw-title", hidden: true }, [
    el("header", { "class": "head" }, [el("h2", { id: "kbw-title", text: TITLE }), closeButton]),
    el("div", { "class": "body" }, [form, status, result])
  ]);
  var frame = el("div", { "class": "kbw", "data-position": POSITION, lang: UI_LANGUAGE }, [launcher, panel]);

  // On a phone the open panel covers the whole screen: it is then a modal dialog, and Tab stays in it.
  var FULL_SCREEN = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;

  function modal() {
    return !!(FULL_SCREEN && FULL_SCREEN.matches);
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (modal()) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
    field.focus();
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex='-1'])"),
      function (node) { return node.offsetParent !== null; });
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  frame.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      close();
    } else if (event.key === "Tab" && !panel.hidden && modal()) {
      // keep the focus inside the full-screen panel: from the last control back to the first, and back
      var items = focusables();
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      var active = root.activeElement;
      if (event.shiftKey && (active === first || !panel.contains(active))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  field.addEventListener("keydown", function (event) {
    // Enter asks, Shift+Enter is a new line; not while an input method is composing a character
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(sendButton);
      else ask();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask();
  });

  // ---------------------------------------------------------------- asking
  var busy = false;

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function ask(retryQuestion) {
    if (busy) return;
    var question = typeof retryQuestion === "string" ? retryQuestion : field.value.trim();
    if (!question) {
      setStatus(L.empty, true);
      field.focus();
      return;
    }
    busy = true;
    if (result.contains(root.activeElement)) field.focus(); // the "Try again" button is about to go
    sendButton.disabled = true;
    form.setAttribute("aria-busy", "true");
    clear(result);
    setStatus(L.looking, false);
    var body = { question: question };
    if (FORCED_LANGUAGE) body.language = FORCED_LANGUAGE;
    post("v1/answer", body).then(function (res) {
      if (res.status === 200 && res.data && typeof res.data === "object") showAnswer(res.data);
      else setStatus(problemText(res, "answer"), true);
    }, function (error) {
      console.warn("[help widget] no response from " + new URL("v1/answer", BASE).href + " (offline, timed out, or " +
        "blocked by the browser: is this page's origin listed by a widget key?)", error);
      setStatus(L.network, true);
      var again = el("button", { type: "button", "class": "retry", text: L.retry });
      again.addEventListener("click", function () { ask(question); });
      result.appendChild(again);
    }).then(function () {
      busy = false;
      sendButton.disabled = false;
      form.removeAttribute("aria-busy");
    });
  }

  function contactLink() {
    return HANDOFF_URL ? el("a", { "class": "contact", href: HANDOFF_URL, text: L.contact }) : null;
  }

  function showAnswer(data) {
    if (!data.answered || !data.answer) {
      setStatus(L.notFound, false);
      // the service's message when it is in the customer's language (or no label set of ours is);
      // else our own words, so a German page does not hand off in English
      var messageLanguage = languageCode(data.message_language);
      var own = !data.message || (messageLanguage && messageLanguage.split("-")[0].toLowerCase() !== UI_LANGUAGE);
      result.appendChild(el("div", { "class": "handoff" }, [
        el("p", { "class": "message", lang: own ? UI_LANGUAGE : messageLanguage, text: own ? L.notFound : data.message }),
        contactLink()
      ]));
      return;
    }
    setStatus(L.found, false);
    var answerLanguage = languageCode(data.answer_language);
    var answer = el("div", { "class": "answer" }, [
      el("p", { "class": "text", lang: answerLanguage, text: data.answer })
    ]);
    if (data.language_note && !data.translated) {
      // the service could not translate: say so in the customer's words (its own note is for developers)
      answer.appendChild(el("p", {
        "class": "note", text: answerLanguage ? fill(L.languageNote, { language: languageName(answerLanguage) }) : data.language_note
      }));
    }
    var links = (Array.isArray(data.citations) ? data.citations : []).map(function (c) {
      if (!c || typeof c.title !== "string") return null;
      var href = safeUrl(c.url, ["http:", "https:"]);
      if (!href) return el("li", { text: c.title });
      return el("li", {}, [el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, [
        document.createTextNode(c.title),
        el("span", { "class": "sr-only", text: " " + L.newTab })
      ])]);
    }).filter(Boolean);
    if (links.length) {
      answer.appendChild(el("h3", { "class": "sources-title", text: L.sources }));
      answer.appendChild(el("ul", { "class": "sources" }, links));
    }
    if (typeof data.log_id === "number") answer.appendChild(feedbackBlock(data.log_id));
    result.appendChild(answer);
  }

  // ---------------------------------------------------------------- "Did this help?"
  function feedbackBlock(logId) {
    var prompt = el("p", { id: "kbw-helped-" + logId, "class": "helped", text: L.helped });
    var yes = el("button", { type: "button", text: L.yes });
    var no = el("button", { type: "button", text: L.no });
    var note = el("p", { "class": "feedback-status", role: "status", "aria-live": "polite" });
    var group = el("div", { "class": "feedback", role: "group", "aria-labelledby": "kbw-helped-" + logId }, [
      prompt, el("div", { "class": "choices" }, [yes, no]), note
    ]);
    var sending = false;

    function send(helpful) {
      if (sending) return; // one rating per answer: never sent twice
      sending = true;
      yes.disabled = no.disabled = true;
      note.textContent = L.sending;
      post("v1/feedback", { log_id: logId, helpful: helpful }).then(function (res) {
        if (res.status !== 201) throw res;
        var thanks = el("p", { "class": "thanks", tabindex: "-1", text: helpful ? L.thanks : L.sorry });
        clear(group);
        group.appendChild(thanks);
        if (!helpful && HANDOFF_URL) {
          group.appendChild(el("p", { "class": "still" }, [document.createTextNode(L.stillNeed + " "), contactLink()]));
        }
        thanks.focus(); // the pressed button is gone: keep keyboard and screen-reader users here
      }).catch(function (res) {
        sending = false;
        yes.disabled = no.disabled = false;
        if (res && typeof res.status === "number") note.textContent = problemText(res, "feedback");
        else {
          console.warn("[help widget] no response to the feedback request", res);
          note.textContent = L.feedbackFailed;
        }
      });
    }

    yes.addEventListener("click", function () { send(true); });
    no.addEventListener("click", function () { send(false); });
    return group;
  }

  // ---------------------------------------------------------------- on the page
  /* The panel appears once its stylesheet has loaded (so it never flashes unstyled); if the stylesheet
   * cannot load, it still appears, plain but usable. */
  var shown = false;
  function show() {
    if (shown) return;
    shown = true;
    root.appendChild(frame);
  }
  stylesheet.addEventListener("load", show);
  stylesheet.addEventListener("error", function () {
    console.warn("[help widget] could not load " + stylesheet.href);
    show();
  });
  root.appendChild(stylesheet);

  function attach() {
    document.body.appendChild(host);
  }
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);
})();
