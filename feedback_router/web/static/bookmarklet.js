// The bookmarklet: runs on any page and forwards one post. With text selected, that text; with
// nothing selected, the one post the manager pointed at: the post around the last click (a click
// leaves a collapsed selection where it landed), else the post in the middle of the view (or the
// one most in view); its own words only (not the replies inside it, not its byline or its "Like ·
// Reply · Share" bar, which are hidden for the moment of reading, so line breaks stay as the page
// shows them) and its own
// permalink (a bookmark link or the link around its time stamp; else the page's address). Where
// there is no post, the window asks to select text; never a whole thread.
// The author is found by the extension's rule (extension/background.js, pageDetails: the same
// MARKERS, walking up from the post). It opens the service's forward window with all this in the
// address's #fragment (never sent to a server, and no page's security policy can block opening a
// window). Full-line comments only, statements ended by semicolons: the page joins the lines.
(function () {
  var service = "__SERVICE__";
  var POSTS = "article, [role=article], [data-testid=tweet], [itemtype*=Comment], [itemtype*=Post], .post, .comment, .topic-post, ytd-comment-renderer";
  var MARKERS = '[itemprop=author], [rel=author], a[href*="/user/"], [data-testid=User-Name] a, #author-text, .username, .author, [data-author]';
  var BODIES = "[itemprop=text], [itemprop=articleBody], [data-testid=tweetText], #content-text, .cooked, .post-body, .post-content, .comment-body, .comment-content, .message-body";
  var CHROME = "button, [role=button], [role=toolbar], nav, footer, menu, form, script, style, time, .actions, .post-actions, .comment-actions";
  var PERMALINKS = "a[rel~=bookmark], a[itemprop=url], a.permalink, a[href]:has(time), time a[href]";
  var selection = window.getSelection();
  var text = selection && !selection.isCollapsed ? String(selection).trim() : "";
  var node = selection && selection.rangeCount ? selection.getRangeAt(0).commonAncestorContainer : null;
  if (node && node.nodeType !== 1) { node = node.parentElement; }
  var post = node && node.closest(POSTS);
  if (!post && !text) {
    var middle = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2);
    post = middle && middle.closest(POSTS);
  }
  if (!post && !text) {
    var best = 0;
    var all = document.querySelectorAll(POSTS);
    for (var k = 0; k < all.length; k++) {
      var box = all[k].getBoundingClientRect();
      var seen = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
      if (seen > best && !all[k].querySelector(POSTS)) { best = seen; post = all[k]; }
    }
  }
  function own(selector) {
    var found = post ? post.querySelectorAll(selector) : [];
    for (var i = 0; i < found.length; i++) { if (found[i].closest(POSTS) === post) { return found[i]; } }
    return null;
  }
  function handleOf(el) {
    var named = el.matches("[itemprop=author]") && el.querySelector("[itemprop=name]");
    var raw = el.getAttribute("data-author") || (named && named.textContent) || el.getAttribute("content") || el.textContent;
    var handle = (raw || "").replace(/\s+/g, " ").trim();
    return handle && handle.length <= 200 ? handle : "";
  }
  function ownWords() {
    var root = own(BODIES) || post;
    var hidden = root.querySelectorAll(POSTS + ", " + MARKERS + ", " + CHROME);
    var before = [];
    for (var i = 0; i < hidden.length; i++) { before.push(hidden[i].style.display); hidden[i].style.display = "none"; }
    var words = root.innerText;
    for (var j = 0; j < hidden.length; j++) { hidden[j].style.display = before[j]; }
    return words.replace(/[ \t]+/g, " ").replace(/ *\n[\s]*/g, "\n").trim();
  }
  if (!text && post) { text = ownWords(); }
  var url = location.href;
  var link = own(PERMALINKS);
  if (post && link) { url = link.href; }
  var author = "";
  var marker = own(MARKERS);
  if (marker) { author = handleOf(marker); }
  for (var el = post ? post.parentElement : node; el && !author; el = el.parentElement) {
    var inside = el.matches(MARKERS) ? el : el.querySelector(MARKERS);
    if (inside) { author = handleOf(inside); }
  }
  var meta = document.querySelector("meta[name=author]");
  if (!author && meta) { author = handleOf(meta); }
  author = author.replace(/^@/, "").slice(0, 200);
  var host = location.hostname.replace(/^www\.|^m\./, "");
  var sources = {"facebook.com": "facebook", "instagram.com": "instagram", "x.com": "twitter", "twitter.com": "twitter", "youtube.com": "youtube", "linkedin.com": "linkedin"};
  var data = {text: text.slice(0, 10000), url: url, title: document.title.slice(0, 300), author: author, source: sources[host] || "forum"};
  window.open(service + "/forward/send#" + encodeURIComponent(JSON.stringify(data)), "feedback_router_forward", "width=480,height=480");
})();
