// Embeddable tousu chat widget. On a company site:
//   <script src="https://YOUR-TOUSU-HOST/chat/embed.js" async></script>
// It adds a button in the corner that opens the chat in a frame served by tousu.
(function () {
  "use strict";
  if (window.__tousuWidget) { return; }
  window.__tousuWidget = true;
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/chat/embed.js", window.location.href).origin;
  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "在线客服");
  button.textContent = "在线客服";
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;" +
    "padding:12px 18px;background:#1f6feb;color:#fff;font:15px sans-serif;box-shadow:0 4px 12px rgba(0,0,0,.2);cursor:pointer";
  var frame = document.createElement("iframe");
  frame.title = "在线客服";
  frame.src = origin + "/chat?embed=1";
  frame.style.cssText = "position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));" +
    "height:min(560px,calc(100vh - 120px));border:0;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.25);display:none;background:#fff";
  button.addEventListener("click", function () { frame.style.display = frame.style.display === "none" ? "block" : "none"; });
  document.body.appendChild(frame);
  document.body.appendChild(button);
}());
