// The wxgate dev chat console: plays a WeChat user's phone against the simulator's control API and follows its
// journal (server-sent events) to show replies, customer-service messages, typing and notices as they happen.
// Plain JavaScript, no dependencies; every text from the wire is set with textContent.
"use strict";

const state = {
  info: null,          // GET /sim/console
  appid: null,         // selected account
  openid: null,        // selected user
  lastSeq: 0,
  lines: new Map(),    // "appid|openid" -> [line event]
  attempts: new Map(), // push seq -> [attempt event]
  api: [],             // api events
  users: new Map(),    // "appid|openid" -> latest user status
  selectedSeq: null,
  source: null,
};

const $ = (id) => document.getElementById(id);
const key = (appid, openid) => appid + "|" + openid;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function secs(ms) { return (ms / 1000).toFixed(1) + " s"; }

function duration(ms) {
  const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  if (h > 0) return h + " h " + String(m).padStart(2, "0") + " min";
  if (m > 0) return m + " min " + String(s % 60).padStart(2, "0") + " s";
  return (s % 60) + " s";
}

// ---- talking to the simulator ----

async function api(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body)),
  });
  const text = await resp.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  if (!resp.ok) throw new Error((json && json.error) || text || resp.statusText);
  return json;
}

async function act(action) {
  if (!state.appid || !state.openid) return;
  const path = "/sim/send/" + encodeURIComponent(state.appid) + "/" + encodeURIComponent(state.openid);
  try {
    await api("POST", path, action);
  } catch (e) {
    showProblem("不能发送：" + e.message);
  }
}

function showProblem(text) {
  const p = $("inspect");
  p.replaceChildren(el("p", { class: "problem", role: "alert", text }));
}

// ---- the journal ----

function connect() {
  if (state.source) state.source.close();
  const source = new EventSource("/sim/events?after=" + state.lastSeq);
  state.source = source;
  source.onopen = () => { $("connection").textContent = "● live"; $("connection").className = "live"; };
  source.onerror = () => { $("connection").textContent = "重新连接中…"; $("connection").className = "muted"; };
  source.onmessage = (m) => take(JSON.parse(m.data));
  source.addEventListener("lagged", () => connect());
}

function take(ev) {
  if (ev.seq <= state.lastSeq) return;
  state.lastSeq = ev.seq;
  const k = key(ev.appid, ev.openid);
  if (ev.type === "line") {
    if (!state.lines.has(k)) state.lines.set(k, []);
    state.lines.get(k).push(ev);
    if (ev.user) state.users.set(k, ev.user);
    addUser(ev.appid, ev.openid);
  } else if (ev.type === "attempt") {
    if (!state.attempts.has(ev.push)) state.attempts.set(ev.push, []);
    state.attempts.get(ev.push).push(ev);
  } else if (ev.type === "api") {
    state.api.push(ev);
    if (state.api.length > 5000) state.api.shift();
  }
  if (ev.appid === state.appid && (ev.openid === state.openid || ev.openid === null)) scheduleRender();
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; render(); });
}

// ---- users ----

function usersOf(appid) {
  const acc = state.info.accounts.find((a) => a.appid === appid);
  return acc ? acc.users : [];
}

function addUser(appid, openid) {
  const list = usersOf(appid);
  if (openid && !list.includes(openid)) { list.push(openid); if (appid === state.appid) renderUsers(); }
}

function renderUsers() {
  const ul = $("user-list");
  ul.replaceChildren(...usersOf(state.appid).map((openid) => {
    const b = el("button", { type: "button", "aria-pressed": String(openid === state.openid), text: openid,
      onclick: () => selectUser(openid) });
    return el("li", {}, b);
  }));
}

function selectUser(openid) {
  state.openid = openid;
  state.selectedSeq = null;
  renderUsers();
  render();
  $("text").focus({ preventScroll: true });
}

async function newUser() {
  const openid = "oDevUser" + Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => "0123456789"[b % 10]).join("")
    .padStart(19, "0");
  await api("POST", "/sim/users/" + encodeURIComponent(state.appid) + "/" + openid);
  addUser(state.appid, openid);
  selectUser(openid);
}

// ---- the conversation ----

function currentLines() { return state.lines.get(key(state.appid, state.openid)) || []; }

function render() {
  const lines = currentLines();
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  let typing = false;
  const items = [];
  let lastSent = null;
  for (const ev of lines) {
    const e = ev.entry;
    if (e.kind === "typing") { typing = e.on; continue; }
    if (e.kind !== "sent") typing = false;
    if (e.kind === "sent") lastSent = ev;
    items.push(renderLine(ev, lastSent));
  }
  chat.replaceChildren(...items);
  const acc = state.info.accounts.find((a) => a.appid === state.appid);
  const title = $("chat-title");
  title.textContent = typing ? "对方正在输入…" : (acc ? acc.original_id : "");
  title.classList.toggle("typing", typing);
  renderStatus(lines);
  if (atBottom || items.length < 3) chat.scrollTop = chat.scrollHeight;
}

function renderStatus(lines) {
  const status = state.users.get(key(state.appid, state.openid));
  const box = $("user-status");
  if (!status) { box.textContent = "no interaction yet: customer service answers 45015"; return; }
  const last = lines.length ? lines[lines.length - 1].entry.at_ms : Date.now();
  const parts = [status.following ? "following" : "not following"];
  if (status.window) {
    const left = status.window.closes_in_ms - (Date.now() - last);
    parts.push("window " + duration(Math.max(0, left)) + " left", "quota " + status.window.remaining + " left");
  } else {
    parts.push("window closed");
  }
  box.textContent = parts.join(" · ");
}

function renderLine(ev, lastSent) {
  const e = ev.entry;
  const selected = ev.seq === state.selectedSeq;
  const open = () => { state.selectedSeq = ev.seq; inspect(ev, lastSent); render(); };
  const common = { tabindex: "0", "data-seq": ev.seq, "aria-selected": String(selected),
    onclick: open, onkeydown: (k) => { if (k.key === "Enter" || k.key === " ") { k.preventDefault(); open(); } } };
  if (e.kind === "system_notice") {
    return el("li", Object.assign({ class: "notice", "data-kind": "system_notice" }, common),
      el("span", { class: "notice-text", text: e.text }),
      el("span", { class: "notice-reason", text: e.reason }));
  }
  const mine = e.kind === "sent";
  const li = el("li", Object.assign({ class: mine ? "msg mine" : "msg theirs", "data-kind": e.kind }, common));
  li.append(el("span", { class: "avatar", "aria-hidden": "true", text: mine ? "我" : "公" }));
  const col = el("div", { class: "col" });
  col.append(mine ? sentBubble(e) : replyBubble(e));
  if (mine) col.append(timeline(ev));
  else col.append(el("span", { class: "via", text: e.kind === "passive_reply" ? "passive reply" : "customer service · " + secs(e.at_ms - (lastSent ? lastSent.entry.at_ms : e.at_ms)) }));
  li.append(col);
  return li;
}

function sentBubble(e) {
  const f = e.fields || {};
  const t = e.msg_type;
  if (t === "text") return el("div", { class: "bubble", text: f.Content || "" });
  if (t === "image") return el("div", { class: "bubble media", text: "[图片]" });
  if (t === "voice") return el("div", { class: "bubble", text: "[语音]" + (f.Recognition ? " " + f.Recognition : "") });
  if (t === "location") return el("div", { class: "bubble card" }, el("strong", { text: "[位置] " + (f.Label || "") }),
    el("span", { class: "muted", text: f.Location_X + ", " + f.Location_Y }));
  if (t === "link") return el("div", { class: "bubble card" }, el("strong", { text: "[链接] " + (f.Title || "") }),
    el("span", { class: "muted", text: f.Url || "" }));
  if (t === "video" || t === "shortvideo") return el("div", { class: "bubble", text: "[视频]" });
  const names = {
    "event:subscribe": f.EventKey ? "扫码关注（场景 " + String(f.EventKey).replace("qrscene_", "") + "）" : "关注了公众号",
    "event:unsubscribe": "取消关注", "event:SCAN": "扫码（场景 " + (f.EventKey || "") + "）",
    "event:CLICK": "点击菜单 " + (f.EventKey || ""), "event:VIEW": "打开菜单链接",
  };
  return el("div", { class: "bubble event", text: names[t] || t.replace("event:", "事件 ") });
}

function mediaUrl(id) { return "/sim/media/" + encodeURIComponent(id); }

function picture(src, alt) {
  const img = el("img", { src, alt, loading: "lazy" });
  img.addEventListener("error", () => img.replaceWith(el("span", { class: "placeholder", text: alt })));
  return img;
}

function card(title, desc, extra) {
  return el("div", { class: "bubble card" }, extra || null, el("strong", { text: title || "" }),
    desc ? el("span", { class: "muted", text: desc }) : null);
}

function replyBubble(e) {
  const b = e.body || {};
  const t = e.msg_type;
  if (t === "text") return el("div", { class: "bubble", text: e.text || (b.text && b.text.content) || b.Content || "" });
  if (t === "image") {
    const id = (b.Image && b.Image.MediaId) || (b.image && b.image.media_id) || "";
    return el("div", { class: "bubble media" }, picture(mediaUrl(id), "图片 " + id.slice(0, 12) + "…"));
  }
  if (t === "voice") {
    const id = (b.Voice && b.Voice.MediaId) || (b.voice && b.voice.media_id) || "";
    return el("div", { class: "bubble" }, el("span", { text: "[语音] " }), el("a", { href: mediaUrl(id), text: "播放" }));
  }
  if (t === "video") {
    const v = b.Video || b.video || {};
    return card("▶ " + (v.Title || v.title || "视频"), v.Description || v.description);
  }
  if (t === "music") {
    const m = b.Music || b.music || {};
    return card("♪ " + (m.Title || m.title || "音乐"), m.Description || m.description);
  }
  if (t === "news" || t === "mpnews" || t === "mpnewsarticle") {
    const list = b.Articles || (b.news && b.news.articles) || [];
    const box = el("div", { class: "bubble news" });
    list.forEach((a, i) => {
      const title = a.Title || a.title || "";
      const pic = a.PicUrl || a.picurl;
      const row = el("div", { class: i === 0 ? "article first" : "article" },
        pic ? picture(pic, title) : null, el("strong", { text: title }),
        i === 0 && (a.Description || a.description) ? el("span", { class: "muted", text: a.Description || a.description }) : null);
      box.append(row);
    });
    if (!list.length) box.append(el("span", { text: "图文消息" }));
    return box;
  }
  if (t === "link") {
    const l = b.link || {};
    return card("[链接] " + (l.title || ""), l.description || l.url);
  }
  if (t === "miniprogrampage") {
    const p = b.miniprogrampage || {};
    return card(p.title || "小程序", "小程序 · " + (p.pagepath || ""));
  }
  if (t === "msgmenu") {
    const m = b.msgmenu || {};
    const box = el("div", { class: "bubble" }, el("div", { text: m.head_content || "" }));
    for (const item of m.list || []) {
      box.append(el("button", { type: "button", class: "menu-option", text: item.content,
        onclick: (ev) => { ev.stopPropagation(); act({ type: "menu_option", id: item.id, content: item.content }); } }));
    }
    if (m.tail_content) box.append(el("div", { text: m.tail_content }));
    return box;
  }
  return el("div", { class: "bubble", text: "[" + t + "]" });
}

// The attempts of one push, as WeChat made them.
function timeline(sentEv) {
  const start = sentEv.entry.at_ms;
  const list = state.attempts.get(sentEv.seq) || [];
  const ol = el("ol", { class: "timeline", "aria-label": "WeChat's attempts" });
  for (const a of list) {
    let what;
    if (a.error) what = "held " + secs(a.ended_ms - a.started_ms) + " (" + a.error + ")";
    else if (a.response && a.response.status !== 200) what = "HTTP " + a.response.status + " at " + secs(a.ended_ms - start);
    else if (a.verdict && a.verdict.kind === "reply") what = "answered passively at " + secs(a.ended_ms - start);
    else if (a.verdict && a.verdict.kind === "nothing") what = "success at " + secs(a.ended_ms - start);
    else if (a.verdict) what = "bad answer at " + secs(a.ended_ms - start);
    else what = "…";
    ol.append(el("li", { class: a.error || (a.verdict && a.verdict.kind === "invalid") ? "bad" : "", text: "attempt " + a.attempt + " " + what }));
  }
  return ol;
}

// ---- the inspector ----

function pre(text) { return el("pre", { text: typeof text === "string" ? text : JSON.stringify(text, null, 2) }); }

function section(title, ...children) { return el("section", {}, el("h3", { text: title }), ...children); }

function pushUrl(a) {
  const q = (a.request.query || []).map(([k, v]) => k + "=" + encodeURIComponent(v)).join("&");
  return "POST " + a.request.url + (q ? "?" + q : "");
}

function apiCallsAfter(sentSeq) {
  const lines = currentLines();
  const next = lines.find((l) => l.seq > sentSeq && l.entry.kind === "sent");
  const end = next ? next.seq : Infinity;
  return state.api.filter((c) => c.appid === state.appid && (c.openid === state.openid || c.openid === null)
    && c.seq > sentSeq && c.seq < end);
}

function apiSection(calls) {
  if (!calls.length) return section("Platform API calls", el("p", { class: "muted", text: "none" }));
  return section("Platform API calls", ...calls.map((c) => el("details", { open: true },
    el("summary", { class: c.errcode === 0 ? "" : "bad", text: c.path + " → errcode " + c.errcode + (c.token_free ? " (token-free)" : "") }),
    pre(tryJson(c.request)), pre(c.answer))));
}

function tryJson(text) { try { return JSON.parse(text); } catch (_) { return text; } }

function inspect(ev, lastSent) {
  const box = $("inspect");
  const sent = ev.entry.kind === "sent" ? ev : lastSent;
  const parts = [];
  if (ev.entry.kind === "customer_service") {
    const call = state.api.find((c) => c.seq > ev.seq && c.path.endsWith("/custom/send") && c.openid === ev.openid);
    parts.push(section("Customer-service message", pre(ev.entry.body)));
    if (call) parts.push(apiSection([call]));
  }
  if (ev.entry.kind === "system_notice") {
    parts.push(section("Why WeChat showed the notice", el("p", { class: "problem", text: ev.entry.reason })));
  }
  if (sent) {
    parts.push(section("Decrypted push", pre(sent.plaintext || sent.entry.fields)));
    for (const a of state.attempts.get(sent.seq) || []) {
      const items = [el("p", { class: "mono", text: pushUrl(a) })];
      if (a.request.headers && a.request.headers.length) items.push(pre(a.request.headers.map(([k, v]) => k + ": " + v).join("\n")));
      items.push(el("h4", { text: "Body as sent" }), pre(a.request.body));
      if (a.error) items.push(el("p", { class: "problem", text: "No answer: " + a.error + " after " + secs(a.ended_ms - a.started_ms) }));
      if (a.response) items.push(el("h4", { text: "Answer: HTTP " + a.response.status + " after " + secs(a.ended_ms - a.started_ms) }), pre(a.response.body || "(empty)"));
      if (a.verdict && a.verdict.kind === "reply") items.push(el("h4", { text: "Reply, decrypted" }), pre(a.verdict.xml));
      if (a.verdict && a.verdict.kind === "invalid") items.push(el("p", { class: "problem", text: a.verdict.reason }));
      parts.push(section("Attempt " + a.attempt, ...items));
    }
    parts.push(apiSection(apiCallsAfter(sent.seq)));
  }
  box.replaceChildren(...parts);
}

// ---- composer, actions, transcripts ----

function textValue(fallback) {
  const v = $("text").value.trim();
  $("text").value = "";
  return v || fallback;
}

function actionFor(name) {
  switch (name) {
    case "image": return { type: "image" };
    case "voice": return { type: "voice", recognition: textValue(null) };
    case "location": return { type: "location", x: 23.134521, y: 113.358803, label: textValue("广东省广州市天河区") };
    case "link": {
      const title = textValue("wxgate");
      return { type: "link", title, description: title, url: "https://example.com/" };
    }
    case "subscribe": return { type: "subscribe" };
    case "unsubscribe": return { type: "unsubscribe" };
    case "scan": {
      const scene = textValue("dev-scene");
      const status = state.users.get(key(state.appid, state.openid));
      return status && status.following ? { type: "scan", scene } : { type: "subscribe", scene };
    }
  }
  return null;
}

async function save() {
  const path = "/sim/transcript-file/" + encodeURIComponent(state.appid) + "/" + encodeURIComponent(state.openid);
  const resp = await fetch(path);
  const blob = await resp.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: "wxgate-" + state.openid + ".json" });
  document.body.append(a);
  a.click();
  a.remove();
}

async function replay(file) {
  const text = await file.text();
  const openid = "oReplay" + Date.now().toString().slice(-12);
  await api("POST", "/sim/users/" + encodeURIComponent(state.appid) + "/" + openid);
  addUser(state.appid, openid);
  selectUser(openid);
  $("inspect").replaceChildren(el("p", { role: "status", text: "Replaying " + file.name + " as " + openid + "…" }));
  try {
    const report = await api("POST", "/sim/replay/" + encodeURIComponent(state.appid) + "/" + openid, text);
    const rows = report.steps.map((s, i) => el("details", { open: !s.same },
      el("summary", { class: s.same ? "" : "bad", text: (s.same ? "same " : "CHANGED ") + "step " + (i + 1) + ": " + JSON.stringify(s.action) }),
      el("h4", { text: "was" }), pre(s.expected), el("h4", { text: "now" }), pre(s.got)));
    $("inspect").replaceChildren(section("Replay of " + file.name,
      el("p", { id: "replay-summary", class: report.changed ? "problem" : "ok",
        text: report.changed + " of " + report.steps.length + " steps changed" }), ...rows));
  } catch (e) {
    showProblem("Replay failed: " + e.message);
  }
}

function renderMenu() {
  const menu = $("menu");
  const buttons = state.info.menu || [];
  menu.hidden = buttons.length === 0;
  menu.replaceChildren(...buttons.map((b) => el("button", { type: "button", text: "☰ " + b.label,
    onclick: () => act({ type: "click", key: b.key }) })));
}

function selectAccount(appid) {
  state.appid = appid;
  const acc = state.info.accounts.find((a) => a.appid === appid);
  const delivery = acc.delivery && acc.delivery.kind === "cloud_hosting" ? "Cloud Hosting " + acc.format : acc.mode + " mode";
  $("account-info").textContent = acc.kind + " · " + delivery;
  renderUsers();
  selectUser(acc.users[0] || null);
}

async function start() {
  state.info = await api("GET", "/sim/console");
  const select = $("account");
  select.replaceChildren(...state.info.accounts.map((a) => el("option", { value: a.appid, text: a.appid })));
  select.addEventListener("change", () => selectAccount(select.value));
  renderMenu();
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    act({ type: "text", content: text });
  });
  $("more").addEventListener("click", () => {
    const panel = $("actions");
    panel.hidden = !panel.hidden;
    $("more").setAttribute("aria-expanded", String(!panel.hidden));
  });
  for (const b of document.querySelectorAll("[data-action]")) {
    b.addEventListener("click", () => act(actionFor(b.dataset.action)));
  }
  $("new-user").addEventListener("click", newUser);
  $("save").addEventListener("click", save);
  $("replay-file").addEventListener("change", (ev) => { if (ev.target.files[0]) replay(ev.target.files[0]); ev.target.value = ""; });
  if (state.info.accounts.length) selectAccount(state.info.accounts[0].appid);
  connect();
  setInterval(() => renderStatus(currentLines()), 1000);
}

start().catch((e) => showProblem("The console could not start: " + e.message));
