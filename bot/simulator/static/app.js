// Linli simulator: chat with the bot through the Bot API stand-in, as any sample person.
// Plain DOM, no build step. All text a person reads comes from /sim/api/texts.
"use strict";

const POLL_MS = 700;

const state = {
  lang: localStorage.getItem("sim-lang") || "zh",
  texts: {},
  bot: { name: "Bot" },
  people: [],
  me: null,
  chatId: null,
  seq: 0,
  generation: 0,
  chats: new Map(), // chat id -> Map(message id -> message)
  keyboards: {},
  unread: {},
  unreadPeople: {},
  typingUntil: {},
  waitingAnswers: new Map(), // callback query id -> button element
};

const $ = (id) => document.getElementById(id);
const t = (key) => state.texts[key] || key;

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    throw new Error(`${response.status} ${await response.text()}`);
  }
  return response.json();
}

function postJson(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// ---------------------------------------------------------------- texts

async function loadTexts() {
  state.texts = await api(`/sim/api/texts?lang=${state.lang}`);
  document.documentElement.lang = state.lang === "en" ? "en" : "zh";
  document.title = t("sim-title");
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t(element.dataset.t);
  }
  for (const element of document.querySelectorAll("[data-t-aria]")) {
    element.setAttribute("aria-label", t(element.dataset.tAria));
  }
  $("input").placeholder = t("sim-input-placeholder");
  $("people-filter").placeholder = t("sim-search-people");
}

// ---------------------------------------------------------------- people

async function loadPeople() {
  const data = await api(`/sim/api/people?lang=${state.lang}`);
  state.bot = data.bot;
  state.people = data.people;
  for (const person of data.people) {
    state.unreadPeople[person.id] = person.unread;
  }
  if (state.me) {
    state.me = state.people.find((p) => p.id === state.me.id) || state.me;
  }
}

function personById(id) {
  return state.people.find((p) => p.id === id);
}

function selectPerson(person) {
  state.me = person;
  localStorage.setItem("sim-me", String(person.id));
  state.generation += 1;
  state.seq = 0;
  state.chats = new Map();
  state.keyboards = {};
  state.unread = {};
  state.typingUntil = {};
  state.waitingAnswers.clear();
  state.chatId = null;
  renderPeople();
  renderChats();
  if (window.matchMedia("(min-width: 721px)").matches) {
    openChat(person.chats[0].id);
  } else {
    renderChat();
  }
  poll(state.generation);
}

function avatar(name, id) {
  const span = document.createElement("span");
  span.className = "avatar";
  const hue = Math.abs(Number(id) * 47) % 360;
  span.style.background = `hsl(${hue} 55% 55%)`;
  span.textContent = Array.from(name || "?")[0];
  return span;
}

function listItem(name, id, subtitle, badge, active, onClick) {
  const li = document.createElement("li");
  if (active) li.className = "active";
  li.append(avatar(name, id));
  const grow = document.createElement("div");
  grow.className = "grow";
  const title = document.createElement("div");
  title.textContent = name;
  const sub = document.createElement("div");
  sub.className = "subtitle";
  sub.textContent = subtitle;
  grow.append(title, sub);
  li.append(grow);
  if (badge > 0) {
    const b = document.createElement("span");
    b.className = "badge";
    b.textContent = String(badge);
    li.append(b);
  }
  li.addEventListener("click", onClick);
  return li;
}

function renderPeople() {
  const list = $("people");
  const filter = $("people-filter");
  filter.hidden = state.people.length <= 12;
  const needle = filter.hidden ? "" : filter.value.trim().toLowerCase();
  const shown = state.people.filter(
    (p) =>
      !needle ||
      (state.me && p.id === state.me.id) ||
      `${p.name} ${p.role_label} ${p.id}`.toLowerCase().includes(needle),
  );
  list.replaceChildren(
    ...shown.map((person) =>
      listItem(
        person.name,
        person.id,
        person.role_label,
        state.me && person.id === state.me.id ? 0 : state.unreadPeople[person.id] || 0,
        state.me && person.id === state.me.id,
        () => selectPerson(person),
      ),
    ),
  );
}

// ---------------------------------------------------------------- chats

function chatTitle(chat) {
  return chat.type === "private" ? state.bot.name : chat.title;
}

function lastPreview(chatId) {
  const messages = state.chats.get(chatId);
  if (!messages || messages.size === 0) {
    return null;
  }
  const last = [...messages.values()].sort((a, b) => a.message_id - b.message_id).pop();
  return (last.text || last.caption || (last.photo ? t("sim-photo") : "")).split("\n")[0];
}

function renderChats() {
  const list = $("chats");
  if (!state.me) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(
    ...state.me.chats.map((chat) =>
      listItem(
        chatTitle(chat),
        chat.id,
        lastPreview(chat.id) || (chat.type === "private" ? t("sim-private-chat") : t("sim-group")),
        chat.id === state.chatId ? 0 : state.unread[chat.id] || 0,
        chat.id === state.chatId,
        () => openChat(chat.id),
      ),
    ),
  );
}

function currentChat() {
  return state.me ? state.me.chats.find((c) => c.id === state.chatId) : null;
}

function openChat(chatId) {
  state.chatId = chatId;
  $("app").classList.remove("show-side");
  renderChats();
  renderChat(true);
  markRead();
  $("input").focus();
}

function markRead() {
  if (!state.me || state.chatId === null || document.hidden) return;
  if ((state.unread[state.chatId] || 0) === 0) return;
  state.unread[state.chatId] = 0;
  postJson("/sim/api/read", { user_id: state.me.id, chat_id: state.chatId }).catch(() => {});
  renderChats();
}

// ---------------------------------------------------------------- messages

const ENTITY_TAGS = {
  bold: "b",
  italic: "i",
  underline: "u",
  strikethrough: "s",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  expandable_blockquote: "blockquote",
};

function entityElement(entity, text) {
  if (ENTITY_TAGS[entity.type]) {
    return document.createElement(ENTITY_TAGS[entity.type]);
  }
  if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url"
      ? text.slice(entity.offset, entity.offset + entity.length)
      : entity.url;
    if (/^(https?|tg):\/\//i.test(href || "")) {
      const a = document.createElement("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
  }
  const span = document.createElement("span");
  if (entity.type === "spoiler") span.className = "spoiler";
  if (entity.type === "bot_command") span.className = "command";
  if (entity.type === "mention" || entity.type === "text_mention") span.className = "mention";
  return span;
}

// Entity offsets count UTF-16 code units, which is how JavaScript indexes strings.
// Text goes in as text nodes, so nothing the bot or a person wrote is parsed as HTML.
function renderText(text, entities) {
  const root = document.createElement("div");
  root.className = "text";
  const sorted = (entities || [])
    .filter((e) => e.length > 0)
    .slice()
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const build = (parent, start, end, list) => {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      if (entity.offset < pos) {
        i += 1;
        continue;
      }
      if (entity.offset > pos) parent.append(text.slice(pos, entity.offset));
      const entityEnd = Math.min(entity.offset + entity.length, end);
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < entityEnd) {
        inner.push(list[j]);
        j += 1;
      }
      const element = entityElement(entity, text);
      build(element, entity.offset, entityEnd, inner);
      parent.append(element);
      pos = entityEnd;
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  };
  build(root, 0, text.length, sorted);
  return root;
}

function clock(date) {
  const d = new Date(date * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function line(className, text) {
  const div = document.createElement("div");
  div.className = className;
  div.textContent = text;
  return div;
}

function renderMessage(message, chat) {
  const row = document.createElement("div");
  const mine = state.me && message.from.id === state.me.id;
  row.className = "row" + (mine ? " mine" : "");
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.joined) {
    row.className = "row service";
    bubble.textContent = `${message.joined.join(", ")} ${t("sim-joined")}`;
    row.append(bubble);
    return row;
  }
  if (!mine && chat.type !== "private") {
    bubble.append(line("sender", message.from.is_bot ? state.bot.name : message.from.name));
  }
  if (message.forwarded !== undefined) {
    bubble.append(line("quote", `${t("sim-forwarded")} ${message.forwarded}`));
  }
  if (message.reply_to) {
    const quote = document.createElement("div");
    quote.className = "quote";
    const who = document.createElement("b");
    who.textContent = message.reply_to.name;
    quote.append(who, document.createElement("br"), message.reply_to.text);
    bubble.append(quote);
  }
  if (message.photo) {
    const img = document.createElement("img");
    img.className = "photo";
    img.src = message.photo;
    img.alt = t("sim-photo");
    img.addEventListener("load", () => scrollDown(false));
    bubble.append(img);
  }
  if (message.document) bubble.append(line("attachment", `📄 ${t("sim-document")}: ${message.document}`));
  if (message.sticker) bubble.append(line("attachment", `${message.sticker} ${t("sim-sticker")}`));
  if (message.contact) bubble.append(line("attachment", `📞 ${t("sim-contact")}: ${message.contact}`));
  if (message.location) bubble.append(line("attachment", `📍 ${t("sim-location")}: ${message.location}`));
  if (message.text !== undefined) bubble.append(renderText(message.text, message.entities));
  if (message.caption) bubble.append(renderText(message.caption, message.caption_entities));
  bubble.append(line("meta", (message.edited ? `${t("sim-edited")} ` : "") + clock(message.date)));
  row.append(bubble);
  const rows = message.reply_markup && message.reply_markup.inline_keyboard;
  if (rows && rows.length) row.append(renderInlineKeyboard(message, rows));
  return row;
}

function renderInlineKeyboard(message, rows) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const buttons of rows) {
    const kbRow = document.createElement("div");
    kbRow.className = "kb-row";
    for (const button of buttons) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      if (button.url) {
        element.className = "url";
        element.addEventListener("click", () => window.open(button.url, "_blank", "noopener"));
      } else if (button.callback_data !== undefined) {
        element.addEventListener("click", () => press(message, button, element));
      } else if (button.copy_text) {
        element.addEventListener("click", () => toast(button.copy_text.text));
      }
      kbRow.append(element);
    }
    keyboard.append(kbRow);
  }
  return keyboard;
}

function scrollDown(force) {
  const box = $("messages");
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 160) {
    box.scrollTop = box.scrollHeight;
  }
}

function renderChat(forceScroll) {
  const chat = currentChat();
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 160;
  if (!chat) {
    $("chat-name").textContent = "";
    $("chat-sub").textContent = "";
    box.replaceChildren(line("empty", t("sim-pick-chat")));
    $("reply-keyboard").replaceChildren();
    $("composer").hidden = true;
    return;
  }
  $("composer").hidden = false;
  $("chat-name").textContent = chatTitle(chat);
  const typing = (state.typingUntil[chat.id] || 0) > Date.now();
  $("chat-sub").textContent = typing
    ? t("sim-typing")
    : `${state.me.name} · ${state.me.role_label}`;
  const messages = [...(state.chats.get(chat.id) || new Map()).values()].sort(
    (a, b) => a.message_id - b.message_id,
  );
  if (messages.length === 0) {
    box.replaceChildren(line("empty", t("sim-empty-chat")));
  } else {
    box.replaceChildren(...messages.map((m) => renderMessage(m, chat)));
  }
  renderReplyKeyboard(chat.id);
  if (forceScroll || nearBottom) scrollDown(true);
}

function renderReplyKeyboard(chatId) {
  const markup = state.keyboards[chatId];
  const container = $("reply-keyboard");
  if (!markup || !markup.keyboard) {
    container.replaceChildren();
    return;
  }
  container.replaceChildren(
    ...markup.keyboard.map((buttons) => {
      const kbRow = document.createElement("div");
      kbRow.className = "kb-row";
      for (const raw of buttons) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        const element = document.createElement("button");
        element.type = "button";
        element.textContent = button.text;
        element.addEventListener("click", () => {
          let body = { text: button.text };
          if (button.request_contact) body = { kind: "contact" };
          if (button.request_location) body = { kind: "location" };
          if (markup.one_time_keyboard) {
            state.keyboards[chatId] = null;
            renderReplyKeyboard(chatId);
          }
          send(body);
        });
        kbRow.append(element);
      }
      return kbRow;
    }),
  );
}

// ---------------------------------------------------------------- acting

async function send(body) {
  if (!state.me || state.chatId === null) return;
  try {
    const result = await postJson("/sim/api/send", {
      user_id: state.me.id,
      chat_id: state.chatId,
      ...body,
    });
    store(result.message);
    renderChat(true);
    renderChats();
  } catch (error) {
    toast(`${t("sim-error")}: ${error.message}`);
  }
}

async function press(message, button, element) {
  element.disabled = true;
  setTimeout(() => {
    element.disabled = false;
  }, 3000);
  try {
    const result = await postJson("/sim/api/press", {
      user_id: state.me.id,
      chat_id: message.chat_id,
      message_id: message.message_id,
      data: button.callback_data,
    });
    state.waitingAnswers.set(result.callback_query_id, element);
  } catch (error) {
    element.disabled = false;
    toast(`${t("sim-error")}: ${error.message}`);
  }
}

async function sendPhoto(file, caption) {
  const form = new FormData();
  form.append("user_id", String(state.me.id));
  form.append("chat_id", String(state.chatId));
  form.append("caption", caption);
  if (file) form.append("photo", file, file.name);
  try {
    const result = await api("/sim/api/photo", { method: "POST", body: form });
    store(result.message);
    renderChat(true);
  } catch (error) {
    toast(`${t("sim-error")}: ${error.message}`);
  }
}

let toastTimer = 0;
function toast(text, long) {
  const element = $("toast");
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.hidden = true;
  }, long ? 6000 : 2500);
}

// ---------------------------------------------------------------- polling

function store(message) {
  let messages = state.chats.get(message.chat_id);
  if (!messages) {
    messages = new Map();
    state.chats.set(message.chat_id, messages);
  }
  messages.set(message.message_id, message);
}

function apply(data) {
  let changed = data.reset || data.messages.length > 0 || data.deleted.length > 0;
  for (const message of data.messages) store(message);
  for (const [chatId, messageId] of data.deleted) {
    const messages = state.chats.get(chatId);
    if (messages) messages.delete(messageId);
  }
  for (const [chatId, markup] of Object.entries(data.keyboards)) {
    state.keyboards[chatId] = markup;
    changed = true;
  }
  for (const [chatId] of Object.entries(data.typing)) {
    state.typingUntil[chatId] = Date.now() + 5000;
    changed = true;
  }
  for (const answer of data.answers) {
    const element = state.waitingAnswers.get(answer.callback_query_id);
    if (element) element.disabled = false;
    state.waitingAnswers.delete(answer.callback_query_id);
    if (answer.text) toast(answer.text, answer.show_alert);
    if (answer.url) window.open(answer.url, "_blank", "noopener");
  }
  for (const [chatId, count] of Object.entries(data.unread)) {
    if (state.unread[chatId] !== count) changed = true;
    state.unread[chatId] = count;
  }
  let peopleChanged = false;
  for (const [personId, count] of Object.entries(data.unread_people)) {
    if (state.unreadPeople[personId] !== count) peopleChanged = true;
    state.unreadPeople[personId] = count;
  }
  for (const [chatId, until] of Object.entries(state.typingUntil)) {
    if (until && until <= Date.now()) {
      state.typingUntil[chatId] = 0;
      changed = true;
    }
  }
  if (changed) {
    renderChat(false);
    renderChats();
    markRead();
  }
  if (peopleChanged) {
    if (data.unread_people && Object.keys(data.unread_people).length !== state.people.length) {
      loadPeople().then(renderPeople).catch(() => {});
    } else {
      renderPeople();
    }
  }
}

async function poll(generation) {
  if (generation !== state.generation) return;
  try {
    const data = await api(`/sim/api/poll?user_id=${state.me.id}&since=${state.seq}`);
    if (generation !== state.generation) return;
    $("offline").hidden = true;
    state.seq = data.seq;
    if (data.reset) {
      state.chats = new Map();
      state.keyboards = {};
    }
    apply(data);
  } catch (error) {
    $("offline").hidden = false;
  }
  setTimeout(() => poll(generation), POLL_MS);
}

// ---------------------------------------------------------------- wiring

function wire() {
  const input = $("input");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    send({ text });
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms a pinyin choice is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "";
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  });
  $("back").addEventListener("click", () => {
    $("app").classList.add("show-side");
    renderChats();
  });
  $("lang").addEventListener("click", async () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("sim-lang", state.lang);
    await loadTexts();
    await loadPeople();
    renderPeople();
    renderChats();
    renderChat(false);
  });
  $("newcomer").addEventListener("click", async () => {
    try {
      const person = await postJson("/sim/api/newcomer", { lang: state.lang });
      await loadPeople();
      selectPerson(personById(person.id) || person);
    } catch (error) {
      toast(`${t("sim-error")}: ${error.message}`);
    }
  });
  $("people-filter").addEventListener("input", renderPeople);
  const dialog = $("photo-dialog");
  $("photo-open").addEventListener("click", () => {
    dialog.returnValue = "";
    $("photo-caption").value = input.value.trim();
    $("photo-file").value = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "send") return;
    const file = $("photo-file").files[0] || null;
    input.value = "";
    sendPhoto(file, $("photo-caption").value.trim());
  });
  document.addEventListener("visibilitychange", markRead);
}

async function main() {
  wire();
  await loadTexts();
  await loadPeople();
  const saved = Number(localStorage.getItem("sim-me"));
  const me = personById(saved) || state.people[0];
  if (me) {
    selectPerson(me);
  } else {
    renderPeople();
    renderChat(false);
  }
}

main().catch((error) => {
  $("offline").hidden = false;
  console.error(error);
});
