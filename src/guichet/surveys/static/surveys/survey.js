// One-click survey: the email link only opened this page (a GET records nothing, because mail
// scanners open every link). Here, in the customer's browser, the clicked answer is POSTed at
// once; if that fails, the "Send my answers" button does the same with a normal form post.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var key = form.getAttribute("data-autosubmit");
  var status = document.getElementById("survey-status");
  if (!key) return;
  var checked = form.querySelector('input[name="' + key + '"]:checked');
  if (!checked) return;
  var data = new FormData();
  data.append("csrfmiddlewaretoken", form.querySelector('input[name="csrfmiddlewaretoken"]').value);
  data.append(key, checked.value);
  fetch(window.location.pathname, {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { "X-Requested-With": "fetch" },
  })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (body) {
      if (!body.recorded) throw new Error("not recorded");
      status.textContent = form.getAttribute("data-recorded");
      form.setAttribute("data-recorded-at", new Date().toISOString());
    })
    .catch(function () {
      status.textContent = form.getAttribute("data-failed");
    });
})();
