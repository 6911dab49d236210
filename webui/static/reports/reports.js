// Print buttons of the report pages (kept out of the HTML: the site's CSP allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;  // without JavaScript the button would do nothing, so it stays hidden
    button.addEventListener("click", function () { window.print(); });
  });
});
