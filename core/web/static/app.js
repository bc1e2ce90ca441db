// Jishi web shell: small progressive enhancements. Every page works
// without this file; it only adds conveniences.
(function () {
  "use strict";

  // The flagship-store offer of the merchant application form: shown when
  // the expected number of products is below the marketplace's minimum.
  function syncOffer(form) {
    var input = form.querySelector("[name=expected_products]");
    var offer = form.querySelector(".offer");
    if (!input || !offer) return;
    var min = parseInt(form.getAttribute("data-min-products") || "10", 10);
    var n = parseInt(input.value, 10);
    var box = offer.querySelector("[name=via_flagship]");
    var show = (!isNaN(n) && n < min) || (box && box.checked) || offer.classList.contains("forced");
    offer.classList.toggle("hidden", !show);
    var slug = form.querySelector(".slug-field");
    if (slug && box) slug.classList.toggle("hidden", box.checked);
  }

  function init(root) {
    root.querySelectorAll("form[data-min-products]").forEach(function (form) {
      syncOffer(form);
      form.addEventListener("input", function () { syncOffer(form); });
      form.addEventListener("change", function () { syncOffer(form); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });

  // A failed htmx request (403, 404, 500, network) says so instead of
  // doing nothing.
  function notify() {
    var n = document.getElementById("notice");
    if (!n) return;
    n.textContent = n.getAttribute("data-text");
    n.hidden = false;
    clearTimeout(notify.timer);
    notify.timer = setTimeout(function () { n.hidden = true; }, 5000);
  }
  document.addEventListener("htmx:responseError", notify);
  document.addEventListener("htmx:sendError", notify);
})();
