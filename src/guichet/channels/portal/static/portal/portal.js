// Progressive enhancement only: every page works without it.
// After a form error, move the focus to the summary so screen-reader users hear it first.
document.addEventListener("DOMContentLoaded", function () {
  var first = document.querySelector("[data-focus-first]");
  if (first) { first.focus(); }
});
