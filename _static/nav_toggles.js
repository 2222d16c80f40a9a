/* Phone navigation: every "menu" (.primary-toggle) and "Contents" (.secondary-toggle) button
   opens its drawer.

   pydata-sphinx-theme 0.17 renders a primary toggle of its own in the (hidden) top navbar, in
   front of the one sphinx-book-theme shows in the article header, and wires only the first
   match of document.querySelector(".primary-toggle") / (".secondary-toggle") to the
   <dialog> drawers; sphinx-book-theme's desktop collapse handler does the same. The visible
   buttons therefore did nothing (pydata/pydata-sphinx-theme issue 2451; open upstream when
   this was written, so no release to pin). This script forwards a click on any later
   toggle to the first one, whose listeners (phone: open the dialog; desktop: collapse the
   sidebar) are the theme's own. Remove it once the theme binds every toggle. */
(function () {
  "use strict";
  function wire(selector) {
    const all = Array.from(document.querySelectorAll(selector));
    const first = all[0];
    all.slice(1).forEach(function (button) {
      if (button.dataset.bookNavWired) return;
      button.dataset.bookNavWired = "1";
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        first.click();
      });
    });
  }
  function setup() {
    wire(".primary-toggle");
    wire(".secondary-toggle");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
