// The bookmarklet: runs on any page, takes the selected text (else the page's main text), the
// address, the title and the author where the page shows one, and opens the service's forward
// window with them in the address's #fragment (never sent to a server, and no page's security
// policy can block opening a window). Full-line comments only: the page strips them.
(function () {
  var service = "__SERVICE__";
  var selection = window.getSelection();
  var text = String(selection).trim();
  var anchor = selection.rangeCount ? selection.getRangeAt(0).commonAncestorContainer : null;
  if (anchor && anchor.nodeType !== 1) { anchor = anchor.parentElement; }
  var post = anchor && anchor.closest("article, [data-testid=tweet], [itemtype*=Comment], [itemtype*=Post], .post, .comment, .topic-post, ytd-comment-renderer");
  if (!text) {
    var main = document.querySelector("article, [role=main], main") || document.body;
    text = main.innerText.trim();
    post = post || main;
  }
  var authorSelectors = "[itemprop=author] [itemprop=name], [itemprop=author], [rel=author], [data-testid=User-Name] a, #author-text, .names .username a, .username, .author, [data-author]";
  var found = post && post.querySelector(authorSelectors);
  var meta = document.querySelector("meta[name=author]");
  var author = found ? (found.getAttribute("data-author") || found.textContent) : (meta ? meta.content : "");
  author = author.trim().replace(/^@/, "").slice(0, 200);
  var host = location.hostname.replace(/^www\.|^m\./, "");
  var sources = {"facebook.com": "facebook", "instagram.com": "instagram", "x.com": "twitter", "twitter.com": "twitter", "youtube.com": "youtube", "linkedin.com": "linkedin"};
  var data = {text: text.slice(0, 10000), url: location.href, title: document.title.slice(0, 300), author: author, source: sources[host] || "forum"};
  window.open(service + "/forward/send#" + encodeURIComponent(JSON.stringify(data)), "feedback_router_forward", "width=480,height=480");
})();
