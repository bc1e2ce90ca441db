// Confirms a Stripe PaymentIntent on the page with Stripe.js (loaded from
// js.stripe.com before this file). The page carries
// <form id="stripe-pay" data-key=PUBLISHABLE data-secret=CLIENT_SECRET data-return=URL>
// with #payment-element, #stripe-submit and #stripe-error inside. The
// amount is the server's: the browser only confirms the intent. The
// payment is settled by Stripe's webhook, not by this page.
(function () {
  var form = document.getElementById("stripe-pay");
  if (!form) return;
  var error = document.getElementById("stripe-error");
  var button = document.getElementById("stripe-submit");
  function show(msg) { if (error) { error.textContent = msg; error.hidden = !msg; } }
  if (typeof window.Stripe !== "function") {
    show(form.getAttribute("data-unavailable") || "Stripe could not be loaded");
    if (button) button.disabled = true;
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-key"));
  var elements = stripe.elements({ clientSecret: form.getAttribute("data-secret"), locale: document.documentElement.lang || "auto" });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (button) button.disabled = true;
    show("");
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.getAttribute("data-return") } })
      .then(function (res) {
        if (res.error) { show(res.error.message || ""); if (button) button.disabled = false; }
      });
  });
})();
