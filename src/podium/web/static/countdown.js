// Counts down every <time class="countdown"> drawn by the server ("closes in 3 d 4 h") once
// a second, and reloads the page when one reaches zero, so the stage's new state shows.
(function () {
  "use strict";
  function left(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return d + " d " + h + " h";
    if (h) return h + " h " + m + " min";
    if (m) return m + " min " + sec + " s";
    return sec + " s";
  }
  function start() {
    var clocks = Array.prototype.slice.call(document.querySelectorAll("time.countdown"));
    if (!clocks.length) return;
    var loaded = Date.now(), reloading = false;
    function tick() {
      var now = Date.now();
      clocks.forEach(function (el) {
        var at = Date.parse(el.getAttribute("datetime"));
        if (isNaN(at)) return;
        el.textContent = el.getAttribute("data-verb") + " in " + left(at - now);
        if (at <= now && !reloading) {
          reloading = true;
          // the server's ticker applies the change within a second or two; a page loaded
          // after the moment (the change not applied yet) waits longer before trying again
          var wait = at > loaded ? 1500 : 5000;
          window.setTimeout(function () { window.location.reload(); }, wait);
        }
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
