// The MySay sandbox web chat: draws each persona's chat with the bot, sends what they type,
// tap or record, and follows the bot live through Server-Sent Events (/api/events).
// Words come from the server (media/locales/en/sandbox.yaml); nothing loads from elsewhere.
// A `web_app` button (the Talking Mat page, issue 16) opens in an overlay that plays Telegram's
// part: the Mini App sheet, its web protocol, and initData signed with the sandbox token.

const $ = (id) => document.getElementById(id);

const view = {
  words: {},
  personas: [],
  current: null,
  chats: new Map(), // persona key -> Map(message id -> message)
  unread: new Map(),
  botUsername: "",
  publicUrl: "",
  ready: false,
  answered: new Map(), // callback query id -> answer, when it came before our POST returned
};

let toastTimer = 0;
let typingTimer = 0;
let recorder = null;

function say(key, fields = {}) {
  let words = view.words[key] ?? "";
  for (const [name, value] of Object.entries(fields)) {
    words = words.replaceAll(`{${name}}`, String(value));
  }
  return words;
}

// -- talking to the sandbox ---------------------------------------------------------------

async function call(path, body, isForm = false) {
  const options = { method: "POST" };
  if (isForm) {
    options.body = body;
  } else {
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    showToast(say("error.offline"), true);
    return null;
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) {
    showToast((answer && answer.error) || say("error.generic"), true);
    return null;
  }
  return answer;
}

async function loadState() {
  try {
    const response = await fetch("/api/state", { cache: "no-store" });
    applyState(await response.json());
  } catch {
    showBanner(say("error.offline") || "…");
  }
}

function applyState(state) {
  view.words = state.words;
  view.ready = state.ready;
  view.botUsername = state.bot.username;
  view.publicUrl = state.publicUrl || "";
  view.personas = state.personas;
  view.chats = new Map();
  for (const persona of state.personas) {
    const messages = new Map();
    for (const message of state.chats[persona.key] || []) messages.set(message.id, message);
    view.chats.set(persona.key, messages);
  }
  const wanted = location.hash.slice(1);
  const known = (key) => view.personas.some((p) => p.key === key);
  if (!known(view.current)) view.current = known(wanted) ? wanted : view.personas[0].key;
  renderPersonas();
  renderChat();
  renderReadiness();
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => loadState());
  source.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  source.addEventListener("error", () => showBanner(say("error.offline")));
}

function handle(event) {
  switch (event.type) {
    case "message":
      upsert(event.persona, event.message);
      break;
    case "deleted":
      view.chats.get(event.persona)?.delete(event.id);
      if (event.persona === view.current) document.querySelector(`[data-id="${event.id}"]`)?.remove();
      break;
    case "typing":
      if (event.persona === view.current) showTyping();
      break;
    case "answer":
      answered(event);
      break;
    case "resetting":
      closeWebApp();
      view.ready = false;
      renderReadiness(say("resetting"));
      break;
    case "reset":
      view.current = null;
      loadState();
      break;
    default:
      break;
  }
}

// -- who you are --------------------------------------------------------------------------

function renderPersonas() {
  const list = $("personas");
  list.replaceChildren();
  for (const persona of view.personas) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "persona";
    button.dataset.persona = persona.key;
    button.setAttribute("aria-pressed", String(persona.key === view.current));
    const name = document.createElement("span");
    name.className = "persona-name";
    name.textContent = persona.name;
    const role = document.createElement("span");
    role.className = "persona-role";
    role.textContent = say(`role.${persona.key}`);
    button.append(name, role);
    const count = view.unread.get(persona.key) || 0;
    if (count > 0 && persona.key !== view.current) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(count);
      badge.setAttribute("aria-label", say("unread", { count }));
      button.append(badge);
    }
    button.addEventListener("click", () => switchTo(persona.key));
    list.append(button);
  }
}

function switchTo(key) {
  if (key === view.current) return;
  view.current = key;
  view.unread.set(key, 0);
  history.replaceState(null, "", `#${key}`);
  renderPersonas();
  renderChat();
  $("personas").querySelector(`[data-persona="${key}"]`)?.focus();
}

function currentPersona() {
  return view.personas.find((p) => p.key === view.current);
}

// -- the chat -----------------------------------------------------------------------------

function renderChat() {
  const persona = currentPersona();
  if (!persona) return;
  $("hint").textContent = say(`hint.${persona.key}`, { name: persona.name });
  $("chat").setAttribute("aria-label", say("chat_label", { name: persona.name }));
  const list = $("messages");
  list.replaceChildren();
  const messages = [...(view.chats.get(persona.key) || new Map()).values()];
  for (const message of messages) list.append(drawMessage(message));
  $("empty").hidden = messages.length > 0;
  showNewest(list.lastElementChild);
}

function upsert(personaKey, message) {
  const chat = view.chats.get(personaKey);
  if (!chat) return;
  const isNew = !chat.has(message.id);
  chat.set(message.id, message);
  if (personaKey !== view.current) {
    if (isNew && message.fromBot) {
      view.unread.set(personaKey, (view.unread.get(personaKey) || 0) + 1);
      renderPersonas();
    }
    return;
  }
  const list = $("messages");
  const node = drawMessage(message);
  const old = list.querySelector(`[data-id="${message.id}"]`);
  if (old) {
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(node);
    if (hadFocus) focusInto(node);
  } else {
    list.append(node);
    $("empty").hidden = true;
    showNewest(node);
    if (focusIsLost() && message.buttons.length) focusInto(node);
  }
}

// Keyboard users keep their place: a tapped message that changes keeps focus on its new
// buttons, and a new message with buttons takes focus if nothing else has it.
function focusInto(node) {
  const first = node.querySelector(".kb");
  if (first) first.focus();
  else node.focus({ preventScroll: true });
}

function focusIsLost() {
  const active = document.activeElement;
  return !active || active === document.body || active.classList.contains("msg");
}

// A new message is shown from its top when it is taller than the chat (a picture card with
// its question), else the chat scrolls to the end. Edits keep the place, as on a phone.
function showNewest(node) {
  const chat = $("chat");
  if (!node) return;
  const fits = node.offsetHeight <= chat.clientHeight - 16;
  chat.scrollTop = fits ? chat.scrollHeight : node.offsetTop - 8;
}

function drawMessage(message) {
  const item = document.createElement("li");
  item.className = `msg ${message.fromBot ? "bot" : "me"}`;
  item.dataset.id = String(message.id);
  item.tabIndex = -1;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.photo) {
    bubble.classList.add("has-photo");
    bubble.append(drawPhoto(message));
  }
  if (message.sticker) {
    const sticker = document.createElement("span");
    sticker.className = "sticker";
    sticker.textContent = "🟨";
    sticker.setAttribute("aria-label", say("sticker"));
    bubble.append(sticker);
  }
  if (message.voice) bubble.append(drawVoice(message.voice));
  if (message.document) bubble.append(drawDocument(message.document));
  if (message.text) bubble.append(drawText(message.text));
  bubble.append(drawMeta(message));
  item.append(bubble);
  if (message.buttons.length) item.append(drawKeyboard(message));
  return item;
}

function drawPhoto(message) {
  const image = document.createElement("img");
  image.className = "photo";
  image.src = `/api/file/${encodeURIComponent(message.photo.fileId)}`;
  image.alt = message.fromBot ? say("picture") : say("photo");
  image.decoding = "async";
  if (message.photo.width && message.photo.height) {
    image.width = message.photo.width;
    image.height = message.photo.height;
  }
  return image;
}

function drawVoice(voice) {
  const box = document.createElement("div");
  box.className = "voice";
  const label = document.createElement("span");
  label.textContent = `🎤 ${say("voice_note")} · ${voice.duration}s`;
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "none";
  audio.src = `/api/file/${encodeURIComponent(voice.fileId)}`;
  audio.setAttribute("aria-label", say("voice_note"));
  box.append(label, audio);
  return box;
}

function drawDocument(doc) {
  const link = document.createElement("a");
  link.className = "doc";
  link.href = `/api/file/${encodeURIComponent(doc.fileId)}`;
  link.download = doc.name;
  link.setAttribute("aria-label", say("download", { name: doc.name }));
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "📄";
  const name = document.createElement("span");
  name.textContent = doc.name;
  const size = document.createElement("span");
  size.className = "doc-size";
  size.textContent = sizeWords(doc.size);
  link.append(icon, name, size);
  return link;
}

function sizeWords(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// Like Telegram: /commands in the bot's words can be tapped, and a MySay invitation link
// opens as one of the other people (it is their link, not yours).
const TOKENS = /(https?:\/\/\S+)|((?:^|(?<=\s))\/[a-z][a-z0-9_]{0,31}(?=$|[\s.,:;!?)]))/g;

function drawText(text) {
  const paragraph = document.createElement("p");
  paragraph.className = "text";
  let last = 0;
  for (const match of text.matchAll(TOKENS)) {
    paragraph.append(...withKeycaps(text.slice(last, match.index)));
    paragraph.append(match[1] ? drawLink(match[1]) : drawCommand(match[2]));
    last = match.index + match[0].length;
  }
  paragraph.append(...withKeycaps(text.slice(last)));
  return paragraph;
}

// A keycap emoji ("1️⃣": a digit, U+FE0F, U+20E3) starts with a digit, which Atkinson
// Hyperlegible has: the browser took the digit from it and the keycap mark from another font,
// and drew a broken glyph. Each keycap goes in a span drawn with OpenMoji alone, which has the
// whole sequence (issue 15, point 9).
const KEYCAP = /[0-9#*]\uFE0F?\u20E3/gu;

function withKeycaps(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(KEYCAP)) {
    parts.push(text.slice(last, match.index));
    const keycap = document.createElement("span");
    keycap.className = "emoji";
    keycap.textContent = match[0];
    parts.push(keycap);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== "");
}

function drawCommand(command) {
  const link = document.createElement("a");
  link.href = "#";
  link.textContent = command;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    sendText(command);
  });
  return link;
}

function startCode(url) {
  const prefix = `https://t.me/${view.botUsername}?start=`;
  if (!url.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const code = url.slice(prefix.length);
  return /^[A-Za-z0-9_-]+$/.test(code) ? code : null;
}

function drawLink(url) {
  const code = startCode(url);
  if (!code) {
    const plain = document.createElement("span");
    plain.textContent = url; // no page here opens anything on the internet
    return plain;
  }
  const link = document.createElement("a");
  link.href = "#";
  link.textContent = url;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    openLinkAs(code);
  });
  return link;
}

function drawMeta(message) {
  const meta = document.createElement("span");
  meta.className = "meta";
  const time = new Date(message.date * 1000);
  const clock = time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  meta.textContent = message.edited ? `${say("edited")} ${clock}` : clock;
  return meta;
}

function drawKeyboard(message) {
  const keyboard = document.createElement("div");
  keyboard.className = "keyboard";
  for (const row of message.buttons) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const button of row) {
      const key = document.createElement("button");
      key.type = "button";
      key.className = "kb";
      key.append(...withKeycaps(button.text));
      if (button.webApp !== undefined) markWebApp(key);
      key.addEventListener("click", () => tap(message.id, button, key));
      line.append(key);
    }
    keyboard.append(line);
  }
  return keyboard;
}

// -- doing things -------------------------------------------------------------------------

async function tap(messageId, button, key) {
  if (button.webApp !== undefined) {
    openWebApp(button.webApp, button.text, key);
    return;
  }
  if (button.data === undefined) {
    showToast(say("link_button"));
    return;
  }
  if (key.getAttribute("aria-busy") === "true") return;
  key.setAttribute("aria-busy", "true");
  const answer = await call("/api/tap", {
    persona: view.current, message_id: messageId, data: button.data,
  });
  if (!answer) {
    key.removeAttribute("aria-busy");
    return;
  }
  if (view.answered.has(answer.queryId)) {
    key.removeAttribute("aria-busy");
    view.answered.delete(answer.queryId);
  } else {
    key.dataset.query = answer.queryId;
    setTimeout(() => key.removeAttribute("aria-busy"), 10000);
  }
}

function answered(event) {
  const key = document.querySelector(`[data-query="${CSS.escape(event.queryId)}"]`);
  if (key) key.removeAttribute("aria-busy");
  else view.answered.set(event.queryId, true);
  if (event.text && event.persona === view.current) showToast(event.text, event.alert);
}

async function sendText(text, persona = view.current) {
  return call("/api/send", { persona, text });
}

async function submitText(event) {
  event.preventDefault();
  const box = $("text");
  if (!box.value.trim()) {
    showToast(say("error.empty"), true);
    return;
  }
  const sent = await sendText(box.value);
  if (sent) {
    box.value = "";
    growBox();
  }
}

async function sendPhoto(file) {
  const form = new FormData();
  form.append("persona", view.current);
  form.append("file", file, file.name || "photo.jpg");
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  const sent = await call("/api/photo", form, true);
  if (sent && caption) {
    $("text").value = "";
    growBox();
  }
}

async function toggleRecording() {
  const button = $("record");
  if (recorder) {
    recorder.stop();
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
    showToast(say("no_microphone"), true);
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    showToast(say("no_microphone"), true);
    return;
  }
  const chunks = [];
  const started = Date.now();
  const persona = view.current;
  recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
  recorder.addEventListener("stop", async () => {
    stream.getTracks().forEach((track) => track.stop());
    recorder = null;
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", say("record"));
    $("status").textContent = say("bot_line");
    const form = new FormData();
    form.append("persona", persona);
    form.append("file", new Blob(chunks, { type: chunks[0]?.type || "audio/ogg" }), "voice.ogg");
    form.append("duration", String(Math.max(1, Math.round((Date.now() - started) / 1000))));
    await call("/api/voice", form, true);
  });
  recorder.start();
  button.setAttribute("aria-pressed", "true");
  button.setAttribute("aria-label", say("stop_recording"));
  $("status").textContent = say("recording");
}

function openLinkAs(code) {
  const dialog = $("link-dialog");
  const choices = $("link-people");
  choices.replaceChildren();
  for (const persona of view.personas) {
    if (persona.key === view.current) continue;
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "primary";
    choice.textContent = `${persona.name} (${say(`role.${persona.key}`)})`;
    choice.addEventListener("click", async () => {
      dialog.close();
      switchTo(persona.key);
      await sendText(`/start ${code}`, persona.key);
    });
    choices.append(choice);
  }
  dialog.showModal();
}

function askReset() {
  const dialog = $("reset-dialog");
  dialog.returnValue = "";
  dialog.showModal();
}

async function reset() {
  view.ready = false;
  renderReadiness(say("resetting"));
  const state = await call("/api/reset", {});
  if (!state) {
    showBanner(say("error.generic"));
    return;
  }
  view.current = null;
  view.unread.clear();
  applyState(state);
  $("text").focus();
}

// -- Mini Apps: Telegram's sheet, played by the sandbox ---------------------------------------
//
// Telegram opens a `web_app` button's page in a sheet over the chat and talks to it with its web
// protocol: in a browser the page (with telegram-web-app.js) posts JSON strings
// {eventType, eventData} to its parent, and the parent posts events back into the frame
// (https://core.telegram.org/api/web-events). The sandbox plays the parent. Closing the sheet
// sends nothing to the bot, as in Telegram.

const webApp = {
  frame: null, // the <iframe> while a page is open
  opener: null, // the chat button that opened it (focus goes back there)
  mainVisible: false,
  mainActive: false,
  pulseTimer: 0,
};

function markWebApp(key) {
  key.classList.add("kb-webapp");
  key.setAttribute("aria-haspopup", "dialog");
  const mark = document.createElement("span");
  mark.className = "kb-mark";
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = "↗";
  const words = document.createElement("span");
  words.className = "visually-hidden";
  words.textContent = ` (${say("webapp.opens_page")})`;
  key.append(mark, words);
}

// Only the sandbox's own public address is opened, on this server under the same path (the
// sandbox stands in for the HTTPS proxy). Anything else would leave this computer.
// The address is read as a browser reads it, so "/app/../api" cannot step outside the path.
function localAddress(url) {
  let base;
  let parsed;
  try {
    base = new URL(view.publicUrl);
    parsed = new URL(url);
  } catch {
    return null;
  }
  const path = base.pathname.replace(/\/$/, "");
  const inside = parsed.pathname === path || parsed.pathname.startsWith(`${path}/`);
  if (parsed.origin !== base.origin || !inside) return null;
  return `${location.origin}${parsed.pathname}${parsed.search}`;
}

function cssColour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Telegram's ThemeParams, from the chat's own colours (chat.css).
function themeParams() {
  return {
    bg_color: cssColour("--paper"),
    secondary_bg_color: cssColour("--wall"),
    section_bg_color: cssColour("--bot"),
    header_bg_color: cssColour("--paper"),
    bottom_bar_bg_color: cssColour("--paper"),
    text_color: cssColour("--ink"),
    hint_color: cssColour("--muted"),
    subtitle_text_color: cssColour("--muted"),
    section_header_text_color: cssColour("--muted"),
    link_color: cssColour("--accent"),
    accent_text_color: cssColour("--accent"),
    button_color: cssColour("--accent"),
    button_text_color: "#ffffff",
    destructive_text_color: cssColour("--danger"),
  };
}

async function openWebApp(url, title, opener) {
  const address = localAddress(url);
  if (!address) {
    showToast(say("webapp.not_here"), true);
    return;
  }
  if (webApp.frame) return;
  if (opener.getAttribute("aria-busy") === "true") return;
  opener.setAttribute("aria-busy", "true");
  const answer = await call("/api/webapp/init", { persona: view.current });
  opener.removeAttribute("aria-busy");
  if (!answer || typeof answer.init_data !== "string") return;
  const hash = `#tgWebAppData=${encodeURIComponent(answer.init_data)}`
    + "&tgWebAppVersion=8.0&tgWebAppPlatform=sandbox"
    + `&tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(themeParams()))}`;
  const frame = document.createElement("iframe");
  frame.id = "webapp-frame";
  frame.title = title.replace(/^\P{L}+/u, "") || say("webapp.title");
  frame.src = address + hash;
  webApp.frame = frame;
  webApp.opener = opener;
  $("webapp-title").textContent = frame.title;
  setBackButton({ is_visible: false });
  setMainButton({ is_visible: false });
  for (const part of ["webapp", "webapp-head", "webapp-bar"]) paint($(part), "");
  $("webapp-body").replaceChildren(frame);
  frame.addEventListener("load", () => {
    listenForEscape(frame);
    frame.focus();
  });
  $("webapp").showModal();
}

// Escape closes the sheet from inside the page too, unless the page used it (preventDefault),
// for example to put down a card it had picked up.
function listenForEscape(frame) {
  try {
    frame.contentWindow.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented) closeWebApp();
    });
  } catch {
    // not this origin's page: Escape works from the sheet's own buttons
  }
}

function closeWebApp() {
  const dialog = $("webapp");
  const frame = webApp.frame;
  if (!frame) return;
  webApp.frame = null;
  frame.remove(); // unloads the page; nothing is sent, as when Telegram's sheet is closed
  setMainButton({ is_visible: false });
  if (dialog.open) dialog.close();
  const opener = webApp.opener;
  webApp.opener = null;
  if (opener && opener.isConnected) opener.focus();
  else focusInto($("messages").lastElementChild || $("chat"));
}

function postToWebApp(eventType, eventData) {
  const target = webApp.frame?.contentWindow;
  if (!target) return;
  const message = eventData === undefined ? { eventType } : { eventType, eventData };
  target.postMessage(JSON.stringify(message), location.origin);
}

function viewport() {
  const height = webApp.frame ? webApp.frame.clientHeight : 0;
  return { height, is_expanded: true, is_state_stable: true };
}

const NO_INSETS = { top: 0, bottom: 0, left: 0, right: 0 };

function fromWebApp(event) {
  if (!webApp.frame || event.source !== webApp.frame.contentWindow) return;
  if (event.origin !== location.origin || typeof event.data !== "string") return;
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return;
  }
  if (!message || typeof message.eventType !== "string") return;
  let data = message.eventData;
  if (typeof data === "string" && data !== "") {
    try {
      data = JSON.parse(data);
    } catch {
      data = {};
    }
  }
  if (!data || typeof data !== "object") data = {};
  switch (message.eventType) {
    case "web_app_setup_main_button":
      setMainButton(data);
      break;
    case "web_app_setup_back_button":
      setBackButton(data);
      break;
    case "web_app_close":
      closeWebApp();
      break;
    case "web_app_trigger_haptic_feedback":
      pulse();
      break;
    case "web_app_set_header_color":
      paint($("webapp-head"), data.color);
      break;
    case "web_app_set_background_color":
      paint($("webapp"), data.color);
      break;
    case "web_app_set_bottom_bar_color":
      paint($("webapp-bar"), data.color);
      break;
    case "web_app_request_theme":
      postToWebApp("theme_changed", { theme_params: themeParams() });
      break;
    case "web_app_request_viewport":
      postToWebApp("viewport_changed", viewport());
      break;
    case "web_app_request_safe_area":
      postToWebApp("safe_area_changed", NO_INSETS);
      break;
    case "web_app_request_content_safe_area":
      postToWebApp("content_safe_area_changed", NO_INSETS);
      break;
    default: // web_app_ready, web_app_expand (the sheet is always whole), iframe_ready, others
      break;
  }
}

const HEX = /^#[0-9a-f]{6}$/i;

// The page may colour Telegram's frame around it (header, background, bottom bar): only a
// plain #rrggbb colour is taken; anything else leaves the sandbox's own.
function paint(part, colour) {
  part.style.backgroundColor = HEX.test(colour || "") ? colour : "";
}

function setMainButton(params) {
  const bar = $("webapp-bar");
  const button = $("webapp-main");
  webApp.mainVisible = Boolean(params.is_visible) && typeof params.text === "string"
    && params.text.trim() !== "";
  webApp.mainActive = webApp.mainVisible && params.is_active !== false;
  bar.hidden = !webApp.mainVisible;
  if (!webApp.mainVisible) return;
  button.textContent = params.text;
  button.disabled = !webApp.mainActive;
  button.setAttribute("aria-busy", String(Boolean(params.is_progress_visible)));
  button.style.backgroundColor = HEX.test(params.color || "") ? params.color : "";
  button.style.color = HEX.test(params.text_color || "") ? params.text_color : "";
  if (webApp.frame) postToWebApp("viewport_changed", viewport());
}

function setBackButton(params) {
  const back = $("webapp-back");
  const hadFocus = document.activeElement === back;
  back.hidden = !params.is_visible;
  if (back.hidden && hadFocus && webApp.frame) webApp.frame.focus(); // keep the keyboard's place
}

function pulse() {
  const sheet = $("webapp");
  sheet.classList.remove("pulse");
  void sheet.offsetWidth; // restart the animation
  sheet.classList.add("pulse");
  clearTimeout(webApp.pulseTimer);
  webApp.pulseTimer = setTimeout(() => sheet.classList.remove("pulse"), 200);
}

function startWebApps() {
  window.addEventListener("message", fromWebApp);
  $("webapp-close").addEventListener("click", closeWebApp);
  $("webapp-back").addEventListener("click", () => postToWebApp("back_button_pressed"));
  $("webapp-main").addEventListener("click", () => {
    if (webApp.mainActive) postToWebApp("main_button_pressed");
  });
  // Escape on the sheet's own buttons: close it our way (focus back to the chat).
  $("webapp").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeWebApp();
  });
  window.addEventListener("resize", () => {
    if (webApp.frame) postToWebApp("viewport_changed", viewport());
  });
}

// -- small things -------------------------------------------------------------------------

function renderReadiness(words) {
  const busy = !view.ready;
  // "Start over" stays on: it is the way out if starting went wrong.
  for (const id of ["text", "send", "attach", "record"]) $(id).disabled = busy;
  if (busy) showBanner(words || say("starting"));
  else $("banner").hidden = true;
}

function showBanner(words) {
  const banner = $("banner");
  banner.textContent = words;
  banner.hidden = false;
}

function showToast(words, alert = false) {
  const toast = $("toast");
  toast.textContent = words;
  toast.classList.toggle("alert", alert);
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, alert ? 5000 : 2500);
}

function showTyping() {
  const status = $("status");
  if (recorder) return;
  status.textContent = say("typing");
  status.classList.add("typing");
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    status.textContent = say("bot_line");
    status.classList.remove("typing");
  }, 5000); // Telegram shows "typing" for five seconds
}

function growBox() {
  const box = $("text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 4, 160)}px`;
}

function start() {
  $("composer").addEventListener("submit", submitText);
  $("text").addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter makes a new line (as in Telegram).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("text").addEventListener("input", growBox);
  $("attach").addEventListener("click", () => $("photo-file").click());
  $("photo-file").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    event.target.value = "";
    if (file) await sendPhoto(file);
  });
  $("record").addEventListener("click", toggleRecording);
  $("reset").addEventListener("click", askReset);
  $("reset-dialog").addEventListener("close", () => {
    if ($("reset-dialog").returnValue === "yes") reset();
  });
  startWebApps();
  connect();
}

start();
