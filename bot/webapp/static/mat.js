/*
 * The Talking Mat page (issue 16): the young person places each card under the top scale,
 * looks at the whole mat, moves cards again and says "This is right", inside Telegram.
 *
 * The page keeps nothing of its own: the mat lives in MySay's database. Every request carries
 * Telegram's initData (header "Authorization: tma <initData>", the Mini Apps convention), and
 * the page draws only the state the server sends back after each request. A move the server
 * did not confirm is never drawn.
 *
 * Served at {prefix}/mat?run=N; the API is under {prefix}/mat/api/ (see the issue 16 contract).
 */
'use strict';

(function () {
  // Words used before the server's words arrive, or when it cannot be reached. The mat's own
  // words (buttons, prompts) come from state.words, in the young person's style.
  const FALLBACK = {
    open_from_chat: 'Open the mat from your MySay chat.',
    open_again: 'Please close this and open the mat again from your chat. Nothing is lost.',
    not_loaded: "Couldn't get your mat. Try again.",
    not_saved: "Couldn't save that. Try again.",
    no_speech: 'There is no sound for this one, sorry.',
    no_sound_play: "Couldn't play the sound, sorry.",
    close: 'Close',
    try_again: 'Try again',
    ok: 'OK',
    right: 'This is right',
    back: 'Back',
    skip: 'Skip this card',
    dont_know: "I don't know",
    stop: 'Stop for now',
    read: '🔈 Read it to me',
    chat: 'Back to the chat',
    left_off: 'Left off',
    card_of: '',
    look_prompt: '',
    move_hint: 'To move a card, drag it, or tap it and then tap where it goes.',
    picked: 'picked up. Now choose where it goes: 1, 2 or 3, or 0 to leave it off.',
    put_down: 'put down.',
    under: 'under',
    taken_back: 'taken back.',
    paused: 'Stopped for now. Your mat is saved.',
    done: 'Thank you. Your mat is saved.',
  };
  const CLOSE_AFTER_MS = 2000;
  const DRAG_START_PX = 8; // a finger moving less than this is a tap, not a drag
  // After a new card appears (or any card is placed), taps on a column, Skip or I don't know
  // wait this long: a quick double tap places one card, and the second tap never lands on a
  // card the young person has not seen yet. The keyboard and a drag are not held back.
  const SETTLE_MS = 600;
  const EDGE_PX = 56; // a dragged card this near the top or bottom edge scrolls the page
  // Emoji and symbols at the start of a label ("🔈 Read it to me"): shown, not read out.
  const LEAD_SYMBOLS = /^([^\p{L}\p{N}]+)\s*/u;
  const LEFT_OFF = -1;

  const tg = (window.Telegram && window.Telegram.WebApp) || null;
  const initData = (tg && tg.initData) || '';
  const run = new URLSearchParams(location.search).get('run') || '';
  const base = location.pathname.replace(/\/$/, '');

  let state = null; // the last state the server sent
  let words = FALLBACK;
  let busy = false; // a request is on its way; other moves wait
  let picked = null; // the card id picked up by a tap or the keyboard (not yet placed)
  let closeTimer = null;
  let audio = null;
  let lastDrag = { card: null, at: 0 }; // the card a drag just let go of, and when
  let settleUntil = 0; // taps on columns, Skip and I don't know wait until then (SETTLE_MS)
  let settleTimer = null;
  const pictures = new Map(); // picture path -> Promise of a blob: URL

  const $ = (id) => document.getElementById(id);

  // ---- Telegram's WebApp API (when present) -------------------------------------------

  /** True when Telegram's client supports a feature of this WebApp API version. */
  function tgAtLeast(version) {
    return Boolean(tg && tg.isVersionAtLeast && tg.isVersionAtLeast(version));
  }

  /** Calls one WebApp method, never letting Telegram's script break the page. */
  function tgCall(fn) {
    if (!tg) return;
    try { fn(); } catch (err) { /* an old client without the feature: the page works without */ }
  }

  function haptic(kind) {
    if (!tgAtLeast('6.1')) return;
    tgCall(() => {
      if (kind === 'light') tg.HapticFeedback.impactOccurred('light');
      else tg.HapticFeedback.notificationOccurred(kind); // 'success' | 'error'
    });
  }

  function closePage() {
    tgCall(() => tg.close());
  }

  /** Telegram's frame around the page takes the page's background; the page's own colours
   * (the young person's palette) win over Telegram's theme inside the page. */
  function frameColours(colours) {
    if (!colours || !colours.background || !tgAtLeast('6.1')) return;
    tgCall(() => tg.setHeaderColor(colours.background));
    tgCall(() => tg.setBackgroundColor(colours.background));
    if (tgAtLeast('7.10')) tgCall(() => tg.setBottomBarColor(colours.background));
  }

  function syncTelegramButtons() {
    if (!tg) return;
    const stage = state && !state.finished ? state.stage : null;
    tgCall(() => {
      if (stage === 'look') {
        const params = { text: words.right, is_visible: true, is_active: true };
        const c = state.look && state.look.colours;
        if (c && c.accent && c.tile) {
          params.color = c.accent;
          params.text_color = c.tile;
        }
        tg.MainButton.setParams(params);
      } else {
        tg.MainButton.hide();
      }
    });
    syncBackButton();
  }

  /** Telegram's back arrow shows only while a card is picked up, and puts it down. Otherwise
   * it is hidden, so Android's back gesture (which presses a shown BackButton) closes the page
   * as everywhere in Telegram, instead of taking back a card on each press (Mini Apps docs:
   * BackButton). Taking a card back is the page's own Back button. */
  function syncBackButton() {
    if (!tgAtLeast('6.1')) return;
    const show = Boolean(picked && !busy && state && !state.finished);
    tgCall(() => (show ? tg.BackButton.show() : tg.BackButton.hide()));
  }

  function hideTelegramButtons() {
    tgCall(() => tg.MainButton.hide());
    if (tgAtLeast('6.1')) tgCall(() => tg.BackButton.hide());
  }

  // ---- Talking to MySay -----------------------------------------------------------------

  /** fetch() of a path under {prefix}/mat/, with Telegram's initData in the header. */
  function api(path, options) {
    const opts = Object.assign({ cache: 'no-store', credentials: 'same-origin' }, options || {});
    opts.headers = Object.assign({ Authorization: `tma ${initData}` }, opts.headers || {});
    return fetch(`${base}/${path}`, opts);
  }

  async function readJson(resp) {
    try { return await resp.json(); } catch (err) { return null; }
  }

  /** Loads the mat's state from the server and draws it. */
  async function load() {
    let resp;
    try {
      resp = await api(`api/state?run=${encodeURIComponent(run)}`);
    } catch (err) {
      loadFailed();
      return;
    }
    const body = await readJson(resp);
    if (resp.status === 200 && body && body.stage) {
      render(body);
    } else if (resp.status === 401 || resp.status === 403 || resp.status === 409) {
      refused(resp.status, body);
    } else if (resp.status < 500 && body && body.error && !state) {
      showMessage(body.error, { close: true }); // a request the server will never answer
    } else {
      loadFailed();
    }
  }

  function loadFailed() {
    if (state) {
      notice(words.not_saved); // keep the last confirmed mat on the screen
    } else {
      showMessage(words.not_loaded, { retry: true });
    }
  }

  /** Sends one move ({op, card, column}) with the version last seen, then draws what the
   * server answers. Only one move is on its way at a time. */
  async function send(op, card, column) {
    if (busy || !state || state.finished) return;
    busy = true;
    setBusy(true);
    const before = state;
    const move = {
      version: state.version,
      op,
      card: card === undefined ? null : card,
      column: column === undefined ? null : column,
    };
    let resp = null;
    let body = null;
    try {
      resp = await api(`api/move?run=${encodeURIComponent(run)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(move),
      });
      body = await readJson(resp);
    } catch (err) {
      resp = null;
    }
    busy = false;
    setBusy(false);
    if (resp && resp.status === 200 && body && body.stage) {
      moved(before, move, body);
    } else if (!resp || resp.status >= 500 || !body) {
      haptic('error');
      notice(words.not_saved);
      load();
    } else {
      haptic('error');
      refused(resp.status, body);
    }
  }

  /** A move the server confirmed: draw the new state and say what happened. */
  function moved(before, move, after) {
    if (picked === move.card) picked = null; // it is where the server put it now
    if (move.op === 'chat') {
      render(after);
      closePage();
      return;
    }
    render(after);
    settle();
    if (after.stage === 'done') {
      haptic('success');
    } else if (['place', 'move', 'leave_off', 'dont_know'].includes(move.op)) {
      haptic('light');
      const card = findCard(after, move.card);
      const whole = before.stage === 'place' && after.stage === 'look' ? ` ${words.look_prompt}` : '';
      if (card) say(`${card.words}: ${whereWords(after, card.column)}.${whole}`);
    } else if (move.op === 'back') {
      const taken = (before.cards || []).find((c) => c.column !== null && c.column !== undefined
        && (findCard(after, c.id) || {}).column == null);
      say(taken ? `${taken.words}: ${words.taken_back}` : words.taken_back);
    }
  }

  /** The server refused: 401 (initData), 403 (not theirs), 409 (stale or gone), 400. */
  function refused(status, body) {
    const error = body && body.error;
    if (status === 401) {
      showMessage(error || words.open_again, { close: true });
    } else if (status === 409 && body && body.gone) {
      showMessage(error || words.done, { close: true });
    } else if (status === 409 && body && body.state) {
      // The mat changed in the chat: nothing stays picked up from the old mat.
      picked = null;
      render(body.state);
      notice(error || words.not_saved);
    } else if (status === 409 && !state) {
      showMessage(error || words.not_loaded, { retry: true });
    } else if (status === 403) {
      showMessage(error || words.open_again, { close: true });
    } else {
      notice(error || words.not_saved);
      load();
    }
  }

  // ---- Drawing the state ----------------------------------------------------------------

  function findCard(s, id) {
    return (s.cards || []).find((c) => c.id === id) || null;
  }

  function whereWords(s, column) {
    if (column === LEFT_OFF) return words.left_off;
    const point = (s.scale || [])[column];
    return point ? `${words.under} ${point.words}` : '';
  }

  function canTakeBack() {
    return Boolean(state && !state.finished && (state.stage === 'place' || state.stage === 'look')
      && (state.cards || []).some((c) => c.column !== null && c.column !== undefined));
  }

  /** The young person's display settings: text size, palette colours and font, as CSS
   * custom properties (CSSOM, allowed by style-src 'self'). */
  function applyLook(look) {
    const root = document.documentElement;
    if (!look) return;
    const scale = Number(look.text_scale);
    if (Number.isFinite(scale) && scale > 0) {
      root.style.setProperty('--mat-text-scale', String(Math.min(2, Math.max(0.75, scale))));
      // Big text: the card to place stays in the page's flow instead of covering half the mat.
      root.dataset.textSize = scale >= 1.4 ? 'big' : 'normal';
    }
    const colours = look.colours || {};
    Object.keys(colours).forEach((key) => {
      if (/^#[0-9a-fA-F]{6}$/.test(String(colours[key]))) {
        root.style.setProperty(`--mat-${key.replace(/_/g, '-')}`, colours[key]);
      }
    });
    root.dataset.font = look.font === 'opendyslexic' ? 'opendyslexic' : 'atkinson';
    root.dataset.palette = String(look.palette || 'standard');
    frameColours(colours);
  }

  /** Shows a picture from the state (a path under {prefix}/mat/) as a blob: URL; pictures
   * need the Authorization header, so an <img src> cannot fetch them itself. */
  function showPicture(img, path) {
    if (!path) {
      img.hidden = true;
      return;
    }
    let url = pictures.get(path);
    if (!url) {
      url = api(path)
        .then((resp) => (resp.ok ? resp.blob() : Promise.reject(new Error(String(resp.status)))))
        .then((blob) => URL.createObjectURL(blob));
      pictures.set(path, url);
      url.catch(() => pictures.delete(path)); // tried again at the next drawing
    }
    url.then((u) => { img.src = u; }).catch(() => { img.classList.add('missing'); });
  }

  /** A label's words without the emoji or symbols in front ("🔈 Read it to me" -> "Read it to
   * me"), for names a screen reader reads (they start with words, not an emoji). */
  function wordsOnly(text) {
    return String(text || '').replace(LEAD_SYMBOLS, '');
  }

  /** Puts a label on a button: the emoji in front shown but hidden from screen readers
   * (aria-hidden), then the words, so the button's name is its words. */
  function setLabel(node, text) {
    const found = LEAD_SYMBOLS.exec(String(text || ''));
    if (!found || !found[1].trim()) {
      node.textContent = text || '';
      return;
    }
    const icon = el('span', 'icon', found[1].trim());
    icon.setAttribute('aria-hidden', 'true');
    node.replaceChildren(icon, ' ', String(text).slice(found[0].length));
  }

  /** A word too long for its card (or scale tile) is made smaller until it fits, instead of
   * being broken inside ("Homewor / k"); words still wrap between words. Every other word
   * keeps the young person's text size. Run after each drawing and when fonts arrive. */
  function fitWords() {
    document.querySelectorAll('.mat-view .words').forEach((node) => {
      node.style.removeProperty('font-size');
      const room = node.clientWidth;
      if (!room || node.scrollWidth <= room + 1) return;
      const size = parseFloat(getComputedStyle(node).fontSize);
      const smaller = Math.max(size * 0.5, Math.floor((size * room) / node.scrollWidth));
      node.style.setProperty('font-size', `${smaller}px`);
    });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** A picture with its words under it (pictures always carry words). */
  function pictureWithWords(item, className) {
    const box = el('span', className);
    const img = el('img', 'picture');
    img.alt = ''; // the words are right under it
    img.decoding = 'async';
    img.draggable = false;
    showPicture(img, item.picture);
    box.append(img, el('span', 'words', item.words));
    return box;
  }

  /** One card: a real <button> (pick up / drag) and its 🔈 button. */
  function cardItem(card, movable, big) {
    const item = el(big ? 'div' : 'li', big ? 'item item-current' : 'item');
    const button = el('button', 'card');
    button.type = 'button';
    button.dataset.card = card.id;
    button.dataset.focus = `card:${card.id}`;
    if (card.own) button.classList.add('own');
    if (movable) {
      button.classList.add('movable');
      button.setAttribute('aria-pressed', picked === card.id ? 'true' : 'false');
    }
    button.append(pictureWithWords(card, 'face'));
    const speak = el('button', 'say');
    speak.type = 'button';
    speak.dataset.say = card.id;
    speak.dataset.focus = `say:${card.id}`;
    speak.setAttribute('aria-label', `${wordsOnly(words.read)}: ${card.words}`);
    speak.append(el('span', null, '🔈'));
    speak.firstChild.setAttribute('aria-hidden', 'true');
    item.append(button, speak);
    return item;
  }

  /** A drop zone: a scale point (or "left off") as a <button>, and its cards in order. */
  function zone(column, head, cards, movable) {
    const box = el('div', column === LEFT_OFF ? 'zone zone-left-off' : 'zone column');
    box.dataset.zone = String(column);
    const button = el('button', 'point');
    button.type = 'button';
    button.dataset.column = String(column);
    button.dataset.focus = `zone:${column}`;
    if (head.picture) {
      button.append(pictureWithWords(head, 'face'));
    } else {
      button.append(el('span', 'words', head.words));
    }
    const key = column === LEFT_OFF ? '0' : String(column + 1);
    button.setAttribute('aria-keyshortcuts', column === LEFT_OFF ? '0 L' : key);
    const list = el('ol', 'placed');
    list.setAttribute('aria-label', column === LEFT_OFF ? head.words : `${words.under} ${head.words}`);
    cards.forEach((card) => list.append(cardItem(card, movable, false)));
    box.append(button, list);
    return box;
  }

  /** The placed cards column by column, in the order the server lists them (the order
   * placed); a numeric `order` on the cards, when the server sends one, wins. */
  function cardsByColumn(s) {
    const byColumn = new Map();
    (s.cards || []).forEach((card, i) => {
      if (card.column === null || card.column === undefined) return;
      if (!byColumn.has(card.column)) byColumn.set(card.column, []);
      byColumn.get(card.column).push({ card, rank: Number.isFinite(card.order) ? card.order : i });
    });
    byColumn.forEach((list, column) => {
      list.sort((a, b) => a.rank - b.rank);
      byColumn.set(column, list.map((x) => x.card));
    });
    return byColumn;
  }

  /** Draws the whole page from one server state (nothing else is kept). */
  function render(s) {
    const focusKey = focusedKey();
    const placedOne = Boolean(state && state.stage === 'place' && s.stage === 'place'
      && state.current && s.current !== state.current);
    const toLook = Boolean(state && state.stage === 'place' && s.stage === 'look');
    const newCard = Boolean(s.stage === 'place' && s.current
      && !(state && state.stage === 'place' && state.current === s.current));
    const arrives = newCard && Boolean(state);
    state = s;
    words = Object.assign({}, FALLBACK, s.words || {});
    applyLook(s.look);
    if (s.lang) document.documentElement.lang = s.lang;
    if (s.stage === 'done' || s.stage === 'paused') {
      finished(s);
      return;
    }
    if (picked && !movableCard(picked)) picked = null;
    $('message-view').hidden = true;
    $('mat-view').hidden = false;
    document.body.classList.toggle('stage-look', s.stage === 'look');

    const topic = $('topic');
    topic.replaceChildren();
    if (s.topic) topic.append(pictureWithWords(s.topic, 'face'));

    const placing = s.stage === 'place';
    $('card-of').textContent = placing ? words.card_of : '';
    $('card-of').hidden = !placing || !words.card_of;
    $('prompt').textContent = placing ? (s.prompt || '') : (words.look_prompt || s.prompt || '');
    setLabel($('read-words'), words.read);
    $('move-hint').hidden = s.stage !== 'look';

    const byColumn = cardsByColumn(s);
    const movable = s.stage === 'look';
    const scale = $('scale');
    scale.replaceChildren();
    (s.scale || []).forEach((point, i) => {
      scale.append(zone(i, point, byColumn.get(i) || [], movable));
    });
    $('left-off').replaceChildren(
      zone(LEFT_OFF, { words: words.left_off }, byColumn.get(LEFT_OFF) || [], movable));

    const current = placing && s.current ? findCard(s, s.current) : null;
    $('tray').hidden = !current;
    $('current').replaceChildren();
    if (current) {
      const item = cardItem(current, true, true);
      if (arrives) item.classList.add('arrive'); // a new card: it visibly arrives
      $('current').append(item);
    }
    setLabel($('skip'), words.skip);
    setLabel($('dont-know'), words.dont_know);

    $('look').hidden = s.stage !== 'look';
    $('move-hint').textContent = words.move_hint;
    setLabel($('right'), words.right);

    setLabel($('back'), words.back);
    $('back').hidden = !canTakeBack();
    setLabel($('stop'), words.stop);
    setLabel($('chat'), words.chat);
    $('notice-ok').textContent = words.ok;

    if (newCard) settle();
    showPicked();
    showSettling();
    syncTelegramButtons();
    fitWords();
    if (toLook) {
      // Every card is placed: the whole mat, from the top, with its question.
      window.scrollTo(0, 0);
      if (focusKey) $('prompt').focus({ preventScroll: true });
    } else {
      restoreFocus(focusKey, placedOne);
    }
  }

  /** Stage "done" or "paused": the words, a Close button, and Telegram closes the page after
   * about two seconds (the chat shows the mat picture or the paused message). */
  function finished(s) {
    state = Object.assign({}, s, { finished: true });
    hideTelegramButtons();
    showMessage(s.stage === 'done' ? words.done : words.paused, { close: true });
    if (closeTimer === null) closeTimer = setTimeout(closePage, CLOSE_AFTER_MS);
  }

  /** A whole-page message instead of the mat (no initData, refused, gone, finished). */
  function showMessage(text, opts) {
    const o = opts || {};
    if (!state || !state.finished) hideTelegramButtons();
    $('mat-view').hidden = true;
    $('notice').hidden = true;
    $('message-view').hidden = false;
    $('message-text').textContent = text;
    $('message-retry').hidden = !o.retry;
    $('message-retry').textContent = words.try_again;
    $('message-close').hidden = !o.close;
    $('message-close').textContent = words.close || FALLBACK.close;
    if (o.close) {
      state = Object.assign({}, state || {}, { finished: true });
      $('message-close').focus();
    }
    say(text);
  }

  /** A short message over the mat (a refused or unsaved move); the mat stays. */
  function notice(text) {
    $('notice-text').textContent = text;
    $('notice').hidden = false;
    say(text);
  }

  function say(text) {
    const live = $('live');
    live.textContent = '';
    // A fresh text node so screen readers announce the same words twice in a row too.
    setTimeout(() => { live.textContent = text; }, 50);
  }

  function setBusy(on) {
    document.body.classList.toggle('busy', on);
    $('mat-view').setAttribute('aria-busy', on ? 'true' : 'false');
    showSettling();
    syncBackButton();
  }

  /** A new card is on the mat (or a card was just placed): taps on a column, Skip and I don't
   * know wait SETTLE_MS (see there). */
  function settle() {
    settleUntil = Date.now() + SETTLE_MS;
    showSettling();
    if (settleTimer !== null) clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
      settleTimer = null;
      showSettling();
    }, SETTLE_MS + 20);
  }

  /** True while a tap on Skip or I don't know would land on a card not yet seen. */
  function settling() {
    return busy || Date.now() < settleUntil;
  }

  /** True while a tap on a column waits: a move is on its way, or the card to place has just
   * arrived and was not picked up since (a card picked up after it arrived was seen). */
  function columnsWait() {
    return busy || (Date.now() < settleUntil && !picked);
  }

  /** Marks what waits as aria-disabled (seen, and skipped by a finger that taps too soon). */
  function showSettling() {
    const mark = (node, on) => {
      if (on) node.setAttribute('aria-disabled', 'true');
      else node.removeAttribute('aria-disabled');
    };
    const skipping = settling();
    mark($('skip'), skipping);
    mark($('dont-know'), skipping);
    const columns = columnsWait();
    document.querySelectorAll('#mat .point').forEach((b) => mark(b, columns));
    document.body.classList.toggle('settling', skipping);
  }

  function focusedKey() {
    const a = document.activeElement;
    return a && a.dataset && a.dataset.focus ? a.dataset.focus : null;
  }

  /** Keeps keyboard focus where it was after the page is drawn again; when that thing is
   * gone, or a card was just placed from a card or a column, focus goes to the next card
   * to place, or else the question. */
  function restoreFocus(key, placedOne) {
    if (!key) return;
    let target = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    // Placing with the keyboard goes on to the next card to place.
    if (placedOne && /^(card|zone):/.test(key)) {
      target = document.querySelector('#current .card') || target;
    }
    if (!target || target.hidden) {
      target = document.querySelector('#current .card') || $('prompt');
    }
    target.focus({ preventScroll: false });
  }

  // ---- Picking up and placing cards -----------------------------------------------------

  function movableCard(id) {
    if (!state || state.finished) return false;
    if (state.stage === 'place') return id === state.current;
    if (state.stage === 'look') return Boolean(findCard(state, id));
    return false;
  }

  function showPicked() {
    document.querySelectorAll('button.card.movable').forEach((b) => {
      b.setAttribute('aria-pressed', b.dataset.card === picked ? 'true' : 'false');
    });
    document.body.classList.toggle('picking', Boolean(picked));
    showSettling();
    syncBackButton();
  }

  function pick(id) {
    if (!movableCard(id)) {
      say(words.move_hint);
      return;
    }
    if (picked === id) {
      putDown();
      return;
    }
    picked = id;
    showPicked();
    const card = findCard(state, id);
    say(`${card ? card.words : ''} ${words.picked}`);
  }

  function putDown() {
    if (!picked) return;
    const card = findCard(state, picked);
    picked = null;
    showPicked();
    say(`${card ? card.words : ''} ${words.put_down}`);
  }

  /** Puts a card under scale point `column` (0-2) or left off (-1), as the server decides. */
  function place(id, column) {
    if (!state || !movableCard(id)) return;
    if (column !== LEFT_OFF && !(column >= 0 && column < (state.scale || []).length)) return;
    if (state.stage === 'place') send('place', id, column);
    else send('move', id, column);
  }

  /** A tap (or Enter) on a column: the picked card goes there. While placing, the card to
   * place is the one in hand even when it was not tapped first. */
  function zoneChosen(column) {
    const id = picked || (state && state.stage === 'place' ? state.current : null);
    if (!id) {
      say(words.move_hint);
      return;
    }
    place(id, column);
  }

  // ---- Dragging with a finger, a mouse or a pen -------------------------------------------
  //
  // Why Pointer Events and not a drag-and-drop library (such as SortableJS): the mat drops one
  // card into one of three columns or "left off"; it never sorts a list, which is what those
  // libraries are built around, and the server decides where the card ends up (its order in a
  // column comes back in the state). Pointer Events give one code path for touch, mouse and pen
  // in every WebView Telegram runs in (Android WebView, iOS WKWebView, desktop and web
  // clients), with setPointerCapture keeping the finger's moves even outside the card; and
  // there is nothing to vendor, pin or keep up to date. HTML5 drag-and-drop does not fire for
  // touch in mobile WebViews, which is why the libraries exist at all.

  let drag = null; // {id, pointerId, x0, y0, x, y, source, ghost, dx, dy, zone, scrolling}

  function onPointerDown(e) {
    const button = e.target.closest && e.target.closest('button.card.movable');
    if (!button || busy || drag) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    drag = { id: button.dataset.card, pointerId: e.pointerId, x0: e.clientX, y0: e.clientY,
      source: button, ghost: null, dx: 0, dy: 0, zone: null, roamed: false };
    try { button.setPointerCapture(e.pointerId); } catch (err) { /* already released */ }
  }

  function startGhost() {
    const rect = drag.source.getBoundingClientRect();
    const ghost = drag.source.cloneNode(true);
    ghost.classList.add('ghost');
    ghost.removeAttribute('data-focus');
    ghost.setAttribute('aria-hidden', 'true');
    ghost.tabIndex = -1;
    ghost.style.setProperty('width', `${rect.width}px`);
    ghost.style.setProperty('height', `${rect.height}px`);
    drag.dx = drag.x0 - rect.left;
    drag.dy = drag.y0 - rect.top;
    drag.ghost = ghost;
    document.body.append(ghost);
    drag.source.classList.add('dragging');
    document.body.classList.add('dragging-card');
  }

  function onPointerMove(e) {
    if (!drag || e.pointerId !== drag.pointerId) return;
    if (!drag.ghost) {
      if (Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) < DRAG_START_PX) return;
      startGhost();
    }
    e.preventDefault();
    drag.x = e.clientX;
    drag.y = e.clientY;
    // A card dragged up out of the tray may scroll the page down again near the tray.
    if (e.clientY < bottomEdge() - EDGE_PX) drag.roamed = true;
    followFinger();
    // Near the top or bottom edge the page scrolls, so a column off the screen can be reached.
    const edge = edgeSpeed(e.clientY);
    if (edge && !drag.scrolling) {
      drag.scrolling = true;
      requestAnimationFrame(scrollWhileDragging);
    }
  }

  /** The floating copy under the finger, and the column under the finger highlighted. */
  function followFinger() {
    drag.ghost.style.setProperty('transform',
      `translate(${drag.x - drag.dx}px, ${drag.y - drag.dy}px)`);
    const under = document.elementFromPoint(drag.x, drag.y);
    const zoneEl = under && under.closest ? under.closest('[data-zone]') : null;
    if (zoneEl !== drag.zone) {
      if (drag.zone) drag.zone.classList.remove('drop-target');
      if (zoneEl) zoneEl.classList.add('drop-target');
      drag.zone = zoneEl;
    }
  }

  /** Where the mat's view ends at the bottom: the top of the card tray while it covers the
   * mat, else the bottom of the screen. */
  function bottomEdge() {
    const tray = $('tray');
    const bottom = window.innerHeight;
    return tray.hidden ? bottom : Math.min(bottom, tray.getBoundingClientRect().top);
  }

  /** Pixels to scroll per frame for a finger at clientY: 0 away from the edges. Near the
   * bottom (over the tray) only once the card has been taken up out of it, so "Left off" and
   * the last cards of a column can be scrolled clear of the tray and dropped on. */
  function edgeSpeed(y) {
    const bottom = bottomEdge() - EDGE_PX;
    if (y > bottom && drag && drag.roamed) return Math.ceil(Math.min(y - bottom, 2 * EDGE_PX) / 6);
    if (y < EDGE_PX) return -Math.ceil((EDGE_PX - y) / 6);
    return 0;
  }

  function scrollWhileDragging() {
    if (!drag || !drag.ghost) return;
    const speed = edgeSpeed(drag.y);
    const before = window.scrollY;
    if (speed) window.scrollBy(0, speed);
    if (!speed || window.scrollY === before) {
      drag.scrolling = false;
      return;
    }
    followFinger();
    requestAnimationFrame(scrollWhileDragging);
  }

  function endDrag() {
    if (!drag) return null;
    const d = drag;
    drag = null;
    if (d.ghost) d.ghost.remove();
    if (d.zone) d.zone.classList.remove('drop-target');
    d.source.classList.remove('dragging');
    document.body.classList.remove('dragging-card');
    try { d.source.releasePointerCapture(d.pointerId); } catch (err) { /* already released */ }
    return d;
  }

  function onPointerUp(e) {
    if (!drag || e.pointerId !== drag.pointerId) return;
    const d = endDrag();
    if (!d.ghost) return; // a tap: the click that follows picks the card up
    lastDrag = { card: d.id, at: Date.now() };
    if (d.zone) {
      place(d.id, Number(d.zone.dataset.zone));
    } else {
      say(words.move_hint);
    }
  }

  function onPointerCancel(e) {
    if (drag && e.pointerId === drag.pointerId) endDrag();
  }

  // ---- Taps, clicks and keys --------------------------------------------------------------

  function onClick(e) {
    const target = e.target.closest ? e.target.closest('button, [data-zone]') : null;
    if (!target) return;
    // The click a mouse sends when it lets go of a dragged card is not a tap.
    if (target.dataset.card === lastDrag.card && Date.now() - lastDrag.at < 400) return;
    // A finger's or mouse's tap (detail > 0; Enter or Space give 0) on Skip, I don't know or a
    // column while the new card settles does nothing (SETTLE_MS).
    const tapped = e.detail > 0;
    if ((target.id === 'skip' || target.id === 'dont-know') && (tapped ? settling() : busy)) return;
    if (tapped && columnsWait() && (target.dataset.column !== undefined
        || (target.dataset.zone !== undefined && !e.target.closest('button')))) return;
    if (target.id && handlers[target.id]) {
      handlers[target.id]();
      return;
    }
    if (target.dataset.say) {
      speak(target.dataset.say);
    } else if (busy) {
      // A move is on its way: the cards may be about to change; nothing is picked meanwhile.
    } else if (target.matches('button.card')) {
      pick(target.dataset.card);
    } else if (target.dataset.column !== undefined) {
      zoneChosen(Number(target.dataset.column));
    } else if (target.dataset.zone !== undefined && !e.target.closest('button')) {
      zoneChosen(Number(target.dataset.zone)); // a tap on a column's empty space
    }
  }

  const KEY_COLUMNS = { 1: 0, 2: 1, 3: 2, 0: LEFT_OFF, l: LEFT_OFF, L: LEFT_OFF };

  function onKeyDown(e) {
    if (!state || state.finished || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Escape') {
      if (picked) {
        e.preventDefault();
        putDown();
      }
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(KEY_COLUMNS, e.key)) return;
    // The picked card, or the card to place when it has the keyboard's focus.
    const focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('#current button.card') : null;
    const id = picked || (focused ? focused.dataset.card : null);
    if (!id) return;
    e.preventDefault();
    place(id, KEY_COLUMNS[e.key]);
  }

  // ---- Read it to me --------------------------------------------------------------------

  /** Plays the card's words (or the question, "question") spoken: the therapist's recording
   * or speech, fetched with the header and played from a blob: URL. */
  async function speak(cardId) {
    let resp;
    try {
      resp = await api(`api/speech?run=${encodeURIComponent(run)}&card=${encodeURIComponent(cardId)}`);
    } catch (err) {
      notice(words.not_loaded);
      return;
    }
    if (resp.status === 404) {
      notice(words.no_speech || FALLBACK.no_speech);
      return;
    }
    if (resp.status === 401) {
      refused(401, await readJson(resp));
      return;
    }
    if (!resp.ok) {
      notice(words.no_sound_play);
      return;
    }
    const url = URL.createObjectURL(await resp.blob());
    if (audio) {
      audio.pause();
      URL.revokeObjectURL(audio.src);
    }
    audio = new Audio(url);
    audio.play().catch(() => notice(words.no_sound_play));
  }

  // ---- Buttons ----------------------------------------------------------------------------

  const handlers = {
    read: () => speak('question'),
    skip: () => state && send('leave_off', state.current),
    'dont-know': () => state && send('dont_know', state.current),
    right: () => send('right'),
    back: () => send('back'),
    stop: () => send('stop'),
    chat: () => send('chat'),
    'notice-ok': () => { $('notice').hidden = true; },
    'message-retry': () => {
      $('message-retry').hidden = true;
      load();
    },
    'message-close': () => closePage(),
  };

  function start() {
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('pointermove', onPointerMove, { passive: false });
    document.addEventListener('pointerup', onPointerUp);
    document.addEventListener('pointercancel', onPointerCancel);
    window.addEventListener('resize', fitWords);
    if (document.fonts) document.fonts.addEventListener('loadingdone', fitWords);
    // No long-press menu or text selection on a card being dragged.
    document.addEventListener('contextmenu', (e) => {
      if (e.target.closest && e.target.closest('button.card.movable')) e.preventDefault();
    });

    if (!initData || !run) {
      showMessage(FALLBACK.open_from_chat);
      return;
    }
    if (tg) {
      tgCall(() => tg.ready());
      tgCall(() => tg.expand());
      // A downward drag must move a card, not pull Telegram's sheet closed.
      if (tgAtLeast('7.7')) tgCall(() => tg.disableVerticalSwipes());
      tgCall(() => tg.MainButton.onClick(() => send('right')));
      if (tgAtLeast('6.1')) tgCall(() => tg.BackButton.onClick(() => putDown()));
    }
    load();
  }

  start();
}());
