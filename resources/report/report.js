// Copies a config snippet. navigator.clipboard needs a secure context,
// which a report opened from disk may not be, so a hidden textarea with
// document.execCommand("copy") is the fallback.
(function () {
  "use strict";

  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    var copied = false;

    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.focus();
    area.select();
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied;
  }

  function showResult(button, copied) {
    button.textContent = copied ? "Copied" : "Copy failed";
    window.setTimeout(function () {
      button.textContent = "Copy";
    }, 1500);
  }

  function copySnippet(button) {
    var code = document.getElementById(button.getAttribute("data-target"));
    var text;

    if (code === null) {
      return;
    }
    text = code.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        showResult(button, true);
      }, function () {
        showResult(button, copyWithTextarea(text));
      });
    } else {
      showResult(button, copyWithTextarea(text));
    }
  }

  var buttons = document.querySelectorAll("button.copy");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      copySnippet(event.currentTarget);
    });
  }
})();
