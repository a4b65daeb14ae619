/* Agent workspace: keyboard shortcuts, composer mode, macro insertion.
   Everything here is an enhancement: every action also works with plain links and forms. */
(function () {
  "use strict";

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#inbox-results a.case-link"));
  }

  function moveRow(step) {
    var links = rowLinks();
    if (!links.length) return;
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    next = Math.max(0, Math.min(links.length - 1, next));
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
  }

  function composeAs(kind) {
    var form = document.getElementById("composer");
    if (!form) return;
    var radio = form.querySelector('input[name="kind"][value="' + kind + '"]');
    if (radio) {
      radio.checked = true;
      syncComposer(form);
    }
    var body = document.getElementById("composer-body");
    if (body) body.focus();
  }

  function syncComposer(form) {
    var checked = form.querySelector('input[name="kind"]:checked');
    var kind = checked ? checked.value : "reply";
    form.classList.toggle("composer-note", kind === "note");
    form.classList.toggle("composer-reply", kind !== "note");
  }

  function openHelp() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target.id === "composer-body") {
      event.preventDefault();
      submit(target.form);
      return;
    }
    if (event.key === "Escape" && isTyping(target)) {
      target.blur();
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(target)) return;
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    var onInbox = !!document.getElementById("inbox-results");
    switch (event.key) {
      case "?":
        openHelp();
        break;
      case "j":
        if (onInbox) moveRow(1);
        else if (document.getElementById("next-case")) document.getElementById("next-case").click();
        else return;
        break;
      case "k":
        if (!onInbox) return;
        moveRow(-1);
        break;
      case "/":
        var search = document.getElementById("f-q");
        if (!search) return;
        search.focus();
        search.select();
        break;
      case "r":
        if (!document.getElementById("composer")) return;
        composeAs("reply");
        break;
      case "n":
        if (!document.getElementById("composer")) return;
        composeAs("note");
        break;
      case "e":
        var resolve = document.getElementById("resolve-form");
        if (!resolve) return;
        submit(resolve);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
    if (opener) openHelp();
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "kind" && event.target.form && event.target.form.id === "composer") {
      syncComposer(event.target.form);
    }
  });

  // "Insert" a macro: fetch its text filled for this case and put it at the cursor.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("macro-picker")) return;
    var select = form.querySelector("select[name=macro]");
    var body = document.getElementById("composer-body");
    if (!select || !select.value || !body) return;
    event.preventDefault();
    fetch(form.dataset.macroBase + select.value + "/", { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (text) {
        var start = body.selectionStart || 0;
        var end = body.selectionEnd || 0;
        body.value = body.value.slice(0, start) + text + body.value.slice(end);
        body.focus();
        body.selectionStart = body.selectionEnd = start + text.length;
      })
      .catch(function () {
        form.submit();
      });
  });
})();
