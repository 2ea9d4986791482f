/* Procuree widget: one <script src=".../widget.js" data-lang="fr"> tag on a supplier portal
 * shows a launcher button that opens the chat (/embed on the chat's own server) in an iframe.
 * Styles are set through the CSSOM, which a host page's strict CSP still allows; the chat
 * itself runs in the iframe, on its own origin, with its own CSP.
 *
 * Attributes: data-lang (en, fr, de, ko, zh-Hans, zh-Hant; default: the page's or browser's
 * language), data-country (ISO code pre-selected as service country), data-position ("left").
 * window.Procuree.open() / .close() / .toggle() for the host page's own buttons.
 */
(function () {
  "use strict";
  var LABELS = /*LABELS*/{};
  var script = document.currentScript;
  if (!script || window.Procuree) return;

  var chatUrl = new URL("embed", script.src);
  var chatOrigin = chatUrl.origin;
  var lang = pickLanguage(script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en");
  var labels = LABELS[lang] || LABELS.en || { "widget.open": "Open help", "widget.close": "Close help", "widget.title": "Help" };
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var country = script.getAttribute("data-country");
  var BRAND = "#0f4c81";
  var Z = "2147483000";
  var frame = null;
  var open = false;

  function pickLanguage(tag) {
    var lower = String(tag).toLowerCase().replace("_", "-");
    var exact = { "zh-hans": "zh-Hans", "zh-hant": "zh-Hant" }[lower];
    if (exact) return exact;
    var parts = lower.split("-");
    if (parts[0] === "zh") return /(^|-)(hant|tw|hk|mo)(-|$)/.test(lower) ? "zh-Hant" : "zh-Hans";
    return ["en", "fr", "de", "ko"].indexOf(parts[0]) >= 0 ? parts[0] : "en";
  }

  function css(el, styles) {
    for (var name in styles) el.style[name] = styles[name];
    return el;
  }

  var launcher = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", width: "60px", height: "60px", borderRadius: "50%", border: "0",
    background: BRAND, color: "#fff", cursor: "pointer", zIndex: Z, padding: "0",
    boxShadow: "0 6px 20px rgba(15, 76, 129, .35)", display: "flex", alignItems: "center", justifyContent: "center"
  });
  launcher.style[side] = "20px";
  launcher.type = "button";
  launcher.id = "procuree-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "procuree-frame");
  launcher.appendChild(iconSvg("M5 5h14a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-7l-5 4v-4H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z"));
  label();
  launcher.addEventListener("focus", function () { launcher.style.outline = "3px solid #2563eb"; launcher.style.outlineOffset = "3px"; });
  launcher.addEventListener("blur", function () { launcher.style.outline = "none"; });
  launcher.addEventListener("click", toggle);

  function iconSvg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    shape.setAttribute("fill", "none");
    shape.setAttribute("stroke", "currentColor");
    shape.setAttribute("stroke-width", "2");
    shape.setAttribute("stroke-linejoin", "round");
    svg.appendChild(shape);
    return svg;
  }

  function label() {
    var text = labels[open ? "widget.close" : "widget.open"];
    launcher.setAttribute("aria-label", text);
    launcher.title = text;
  }

  function makeFrame() {
    var url = new URL(chatUrl);
    url.searchParams.set("lang", lang);
    if (country) url.searchParams.set("country", country);
    frame = document.createElement("iframe");
    frame.id = "procuree-frame";
    frame.src = url.href;
    frame.title = labels["widget.title"];
    frame.setAttribute("allow", "clipboard-write");
    css(frame, { position: "fixed", border: "0", zIndex: Z, background: "#fff", display: "none",
      boxShadow: "0 12px 40px rgba(16, 24, 40, .25)" });
    place();
    document.body.appendChild(frame);
  }

  var phone = window.matchMedia("(max-width: 480px)");
  function place() {
    if (!frame) return;
    if (phone.matches) {
      css(frame, { top: "0", left: "0", right: "auto", bottom: "auto", width: "100%", height: "100%",
        maxWidth: "none", maxHeight: "none", borderRadius: "0" });
    } else {
      css(frame, { top: "auto", left: "auto", right: "auto", bottom: "92px", width: "400px", height: "640px",
        maxWidth: "calc(100vw - 40px)", maxHeight: "calc(100vh - 112px)", borderRadius: "16px" });
      frame.style[side] = "20px";
    }
  }
  if (phone.addEventListener) phone.addEventListener("change", place);

  function show() {
    if (!frame) makeFrame();
    open = true;
    frame.style.display = "block";
    launcher.setAttribute("aria-expanded", "true");
    label();
    frame.focus();
  }

  function hide() {
    if (!frame) return;
    open = false;
    frame.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    label();
    launcher.focus();
  }

  function toggle() { (open ? hide : show)(); }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== chatOrigin) return;
    if (event.data && event.data.type === "procuree:close") hide();
  });

  function mount() { document.body.appendChild(launcher); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
  window.Procuree = { open: show, close: hide, toggle: toggle };
})();
