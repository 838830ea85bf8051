// mailkeep: keyboard shortcuts and small niceties. Everything works without
// this file; it only adds keys:
//   /       focus the search box        Esc   leave it
//   j / k   next / previous result      Enter open the selected result
//   u       back to the results (on a message)
(function () {
  'use strict';
  var doc = document;
  var hits = Array.prototype.slice.call(doc.querySelectorAll('.hit'));
  var sel = -1;
  var storeKey = 'mailkeep.sel:' + location.search;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(el.tagName));
  }

  function select(i, scroll) {
    if (!hits.length) return;
    i = Math.max(0, Math.min(hits.length - 1, i));
    if (sel >= 0 && hits[sel]) hits[sel].classList.remove('selected');
    sel = i;
    hits[i].classList.add('selected');
    if (scroll !== false) hits[i].scrollIntoView({ block: 'nearest' });
    try { sessionStorage.setItem(storeKey, String(i)); } catch (e) { /* storage may be off */ }
  }

  function open() {
    if (sel < 0) return false;
    var a = hits[sel].querySelector('a.hit-link');
    if (!a) return false;
    location.href = a.href;
    return true;
  }

  // Coming back to a result list (u, or the browser's back button), the
  // result that was open is selected again.
  if (hits.length) {
    var saved = null;
    try { saved = sessionStorage.getItem(storeKey); } catch (e) { /* ignore */ }
    if (saved !== null && !isNaN(+saved)) select(+saved, true);
    hits.forEach(function (h, i) {
      h.addEventListener('click', function () { select(i, false); });
    });
  }

  doc.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (typing(t)) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    switch (e.key) {
      case '/':
        var q = doc.getElementById('q');
        if (q) { e.preventDefault(); q.focus(); q.select(); }
        break;
      case 'j':
        select(sel + 1);
        break;
      case 'k':
        select(sel < 0 ? 0 : sel - 1);
        break;
      case 'Enter':
        if (open()) e.preventDefault();
        break;
      case 'u':
        var back = doc.getElementById('back');
        if (back) { e.preventDefault(); location.href = back.href; }
        break;
    }
  });
})();
