// tousu web chat: plain JavaScript, no dependencies. Everything a customer or the bot
// wrote is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var body = document.body;
  var list = document.getElementById("messages");
  var quick = document.getElementById("quick");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var statusLine = document.getElementById("status");
  var dot = document.getElementById("status-dot");
  var storageKey = "tousu-chat-session";
  var session = null;
  try { session = window.localStorage.getItem(storageKey); } catch (e) { session = null; }
  var socket = null;
  var seen = {};
  var unsent = [];
  var retryDelay = 1000;

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function timeText(iso) {
    var d = iso ? new Date(iso) : new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function addMessage(direction, text, at, id, pending) {
    if (id && seen[id]) { return seen[id]; }
    var item = document.createElement("li");
    item.className = "msg " + direction + (pending ? " pending" : "");
    item.textContent = text;
    var stamp = document.createElement("time");
    stamp.textContent = timeText(at);
    item.appendChild(stamp);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    if (id) { seen[id] = item; }
    return item;
  }

  function showQuickReplies(options) {
    quick.textContent = "";
    (options || []).forEach(function (option) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = option.label;
      button.addEventListener("click", function () { quick.textContent = ""; sendText(option.payload, option.label); });
      quick.appendChild(button);
    });
  }

  function setOnline(online) {
    dot.className = online ? "dot online" : "dot";
    statusLine.textContent = online ? "" : body.dataset.offline;
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function sendText(payload, shown) {
    var id = newId();
    var frame = { type: "message", id: id, text: payload };
    addMessage("in", shown || payload, null, "c-" + id, true);
    unsent.push(frame);
    sendFrame(frame);
  }

  function onFrame(frame) {
    if (frame.type === "hello") {
      session = frame.session;
      try { window.localStorage.setItem(storageKey, session); } catch (e) { /* private mode */ }
      if (!list.children.length) { addMessage("out", frame.greeting, null, "greeting"); }
    } else if (frame.type === "history") {
      if (list.children.length <= 1) {
        frame.messages.forEach(function (m, i) { addMessage(m.direction, m.text, m.at, "h-" + i); });
      }
      unsent.forEach(sendFrame);
    } else if (frame.type === "ack") {
      unsent = unsent.filter(function (f) { return f.id !== frame.id; });
      var mine = seen["c-" + frame.id];
      if (mine) { mine.classList.remove("pending"); }
    } else if (frame.type === "reply") {
      addMessage("out", frame.text, frame.at, frame.id);
      showQuickReplies(frame.quick_replies);
    } else if (frame.type === "error") {
      addMessage("out", frame.message, null, null);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + "/chat/ws" + (session ? "?session=" + encodeURIComponent(session) : "");
    socket = new WebSocket(url);
    socket.addEventListener("open", function () { retryDelay = 1000; setOnline(true); });
    socket.addEventListener("message", function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (e) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function () {
      setOnline(false);
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    sendText(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  connect();
}());
