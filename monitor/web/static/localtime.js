// Optional: shows each <time datetime> in the viewer's time zone. The server renders UTC and the
// pages work without this script; the UTC text stays in the title, shown on hover.
(function () {
  "use strict";
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  var times = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var el = times[i];
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) continue;
    el.title = el.textContent;
    el.textContent = fmt.format(d);
    el.setAttribute("data-local", "1");
  }
})();
