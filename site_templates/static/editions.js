// The edition menu and the "older edition" banner of the Spanish pages (<edition>/es/...).
// The settings come from overrides/main.html (#sc-editions); the list of editions is the
// versions.json beside the edition folders. Hidden editions are left out of the menu.
(function () {
  "use strict";
  var data = document.getElementById("sc-editions");
  var config = document.getElementById("__config");
  if (!data || !config || !window.fetch) return;
  var settings = JSON.parse(data.textContent);
  var theme = JSON.parse(config.textContent);
  var home = new URL(theme.base + "/", location.href); // this edition's es/ folder
  var list = new URL(settings.versions, home);
  var root = new URL("./", list); // the folder of all editions
  var page = location.pathname.slice(home.pathname.length) || "index.html";

  // An edition's title in Spanish: '2025 Q4 (retired)' -> 'octubre a diciembre de 2025
  // (retirada)' (the quarter in words as scorecard.i18n.period_words writes it).
  function title(entry) {
    var text = entry.title;
    Object.keys(settings.titles).forEach(function (english) {
      text = text.split(english).join(settings.titles[english]);
    });
    var quarter = /^(\d{4}) ?Q([1-4])\b/.exec(text);
    if (quarter && settings.months && settings.quarter) {
      var q = Number(quarter[2]);
      var words = settings.quarter
        .replace("{first}", settings.months[3 * q - 3])
        .replace("{last}", settings.months[3 * q - 1])
        .replace("{year}", quarter[1]);
      text = words + text.slice(quarter[0].length);
    }
    return text;
  }

  function spanishPage(version, path) {
    return new URL(version + "/es/" + path, root).href;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showBanner(latest) {
    var banner = element("aside", "md-banner md-banner--warning");
    banner.setAttribute("data-sc-outdated", "");
    var inner = element("div", "md-banner__inner md-grid md-typeset", settings.outdated + " ");
    var link = element("a");
    link.href = latest ? spanishPage(latest.version, "index.html") : new URL("index.html", root).href;
    link.appendChild(element("strong", "", settings.newest));
    inner.appendChild(link);
    banner.appendChild(inner);
    document.body.insertBefore(banner, document.querySelector(".md-header"));
  }

  // Go to the same page in the other edition when it has it, else to its Spanish home page.
  function follow(event) {
    var link = event.currentTarget;
    if (event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    fetch(link.href, { method: "HEAD" })
      .then(function (response) {
        location.href = response.ok ? link.href : spanishPage(link.dataset.edition, "index.html");
      })
      .catch(function () {
        location.href = link.href;
      });
  }

  function showMenu(entries, current) {
    var topic = document.querySelector(".md-header__topic");
    if (!topic) return;
    var menu = element("div", "md-version");
    var button = element("button", "md-version__current", title(current || { title: settings.edition }));
    button.setAttribute("aria-label", theme.translations["select.version"]);
    var items = element("ul", "md-version__list");
    entries.forEach(function (entry) {
      var item = element("li", "md-version__item");
      var link = element("a", "md-version__link", title(entry));
      link.href = spanishPage(entry.version, page);
      link.dataset.edition = entry.version;
      link.addEventListener("click", follow);
      item.appendChild(link);
      items.appendChild(item);
    });
    menu.appendChild(button);
    menu.appendChild(items);
    topic.appendChild(menu);
  }

  function show(entries) {
    var current = entries.filter(function (e) { return e.version === settings.edition; })[0];
    var latest = entries.filter(function (e) { return e.aliases.indexOf("latest") >= 0; })[0];
    if (!current || current.aliases.indexOf("latest") < 0) showBanner(latest);
    showMenu(entries.filter(function (e) { return !(e.properties && e.properties.hidden); }), current);
  }

  fetch(list)
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(show)
    .catch(function () {});
})();
