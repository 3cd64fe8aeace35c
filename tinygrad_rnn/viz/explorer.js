// The explorer's script (html.py puts it inline). Plain ES2017, no library, no network.
// It reads the drawing's data (explain.py) from <script id="tg-data"> and works on the inline SVG:
// hover or tap a node for its numbers, play the backward pass frame by frame, and watch the
// gradient norm of each h_t appear in the strip.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tg-data").textContent);
  var svg = document.querySelector("#tg-graph svg");
  var tip = document.getElementById("tg-tip");
  var slider = document.getElementById("tg-slider");
  var playButton = document.getElementById("tg-play");
  var status = document.getElementById("tg-status");
  var message = document.getElementById("tg-message");
  var frames = data.frames;
  var GRAD = "\u2016\u2202L/\u2202x\u2016";                 // ‖∂L/∂x‖

  // --- the drawing's elements ----------------------------------------------------------------
  var nodeEls = {};                                          // node id -> <g class="node">
  Array.prototype.forEach.call(svg.querySelectorAll("g.node[data-node]"), function (g) {
    nodeEls[g.getAttribute("data-node")] = g;
  });
  var gradTexts = {};                                        // node id -> its "‖∂L/∂x‖ = ..." texts
  Object.keys(nodeEls).forEach(function (id) {
    gradTexts[id] = Array.prototype.filter.call(nodeEls[id].querySelectorAll("text"), function (t) {
      return t.textContent.indexOf(GRAD) === 0;
    });
  });
  var edgeEls = Array.prototype.slice.call(svg.querySelectorAll("g.edge[data-tail]"));
  var edgeKey = function (tail, head, k) { return tail + ">" + head + ">" + k; };
  var edgeByKey = {};
  edgeEls.forEach(function (g) {
    edgeByKey[edgeKey(g.getAttribute("data-tail"), g.getAttribute("data-head"), g.getAttribute("data-k"))] = g;
  });
  var frameOf = {};                                          // node id -> the frame that lights it (1-based)
  frames.forEach(function (frame, i) {
    frame.tensors.concat(frame.ops).forEach(function (id) { frameOf[id] = i + 1; });
  });

  // --- numbers and words ---------------------------------------------------------------------
  function fmt(x) {
    if (x === null || x === undefined) { return "?"; }
    if (typeof x === "string") { return x; }
    if (x === 0) { return "0"; }
    var a = Math.abs(x);
    return (a >= 1e-3 && a < 1e4) ? String(Number(x.toPrecision(3))) : x.toExponential(2);
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function stepText(step) {
    if (typeof step === "number") { return "time step t = " + step; }
    if (step === "shared") { return "shared by all time steps"; }   // the parameters' box (canvas.SHARED)
    return step === null || step === undefined ? "outside the time steps" : "in " + step;
  }
  function nodeHtml(id) {
    var n = data.nodes[id];
    if (!n) { return ""; }
    var lines = [];
    if (n.kind === "op") {
      lines.push("<b>op " + esc(n.name) + "</b> (" + n.inputs + " input" + (n.inputs === 1 ? "" : "s") + ")");
      lines.push(stepText(n.step));
      lines.push("backward rule: " + (n.rule ? "<span class='tg-rule'>" + esc(n.rule) + "</span>" : "not stated"));
    } else {
      lines.push("<b>" + esc(n.name || "(unnamed tensor)") + "</b> " + esc(n.kind));
      lines.push("shape " + esc(n.shape) + ", " + esc(n.dtype) + ", " + stepText(n.step));
      if (n.stats) {
        lines.push("values: min " + fmt(n.stats.min) + ", mean " + fmt(n.stats.mean) + ", max " + fmt(n.stats.max));
      }
      if (n.grad !== null) {
        lines.push(GRAD + " = " + fmt(n.grad));
      } else if (n.kind === "constant") {
        lines.push(GRAD + ": none (needs no gradient)");
      } else if (n.faded) {
        lines.push(GRAD + ": none (beyond the cut)");
      } else {
        lines.push(GRAD + ": not known (draw with grads=analysis.all_gradients(loss))");
      }
      if (n.made_by) {
        lines.push("made by " + esc(n.made_by) + "; its backward: " +
                   (n.rule ? "<span class='tg-rule'>" + esc(n.rule) + "</span>" : "not stated"));
      }
    }
    if (frameOf[id]) {
      lines.push("gradient complete at backward frame " + frameOf[id] + " of " + frames.length);
    }
    return lines.join("<br>");
  }
  function recurrentHtml(r, flow) {
    var title = esc(r.tail) + " \u2192 " + esc(r.head);               // the edge under the pointer, as drawn
    var link = esc(r.prev) + " \u2192 " + esc(r.cur);
    var lines = ["<b>edge " + title + "</b>" + (title === link ? " (recurrent)" : ", on the recurrent link " + link)];
    if (flow) { lines.push(esc(flow)); }
    if (r.cut) { lines.push("cut here (detach): no gradient crosses"); }
    if (r.gate) {
      lines.push("\u2202" + esc(r.cur) + "/\u2202" + esc(r.prev) + " = diag(" + esc(r.gate.name) + ") with the " +
                 "other state held fixed: mean " + fmt(r.gate.mean) + ", min " + fmt(r.gate.min) + ", max " +
                 fmt(r.gate.max));
    }
    if (r.sigma !== null) {
      lines.push("\u03c3\u2081 of the step Jacobian " + esc(r.jacobian || ("\u2202" + r.cur + "/\u2202" + r.prev)) +
                 " = " + fmt(r.sigma));
    }
    if (r.sigma_product !== null && r.last) {
      lines.push("product of \u03c3\u2081 from " + esc(r.last) + " back to here = " + fmt(r.sigma_product) +
                 ": the most \u2016\u2202" + esc(r.last) + "/\u2202" + esc(r.prev) + "\u2016 can be");
    }
    if (r.to_last !== null && r.last) {
      lines.push("\u2016\u2202" + esc(r.last) + "/\u2202" + esc(r.prev) + "\u2016 = " + fmt(r.to_last) +
                 " (measured, through every path)");
    }
    return lines.join("<br>");
  }

  // --- the tooltip: hover, or tap (a tap pins it until the next tap) -----------------------
  var pinned = false;
  function showTip(html, event) {
    if (!html) { return; }
    tip.innerHTML = html;
    tip.hidden = false;
    var x = event.clientX + 16, y = event.clientY + 16;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) { x = Math.max(4, event.clientX - w - 16); }
    if (y + h > window.innerHeight - 4) { y = Math.max(4, event.clientY - h - 16); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { if (!pinned) { tip.hidden = true; } }
  function tipFor(target) {
    var node = target.closest("g.node[data-node]");
    if (node) { return nodeHtml(node.getAttribute("data-node")); }
    var edge = target.closest("g.edge[data-tail]");
    var a = edge ? edge.querySelector("[data-tip]") : null;
    var flow = a ? a.getAttribute("data-tip") : "";
    if (edge && edge.tgRecurrent) { return recurrentHtml(edge.tgRecurrent, flow); }
    if (edge) { return esc(flow); }
    return "";
  }
  svg.addEventListener("mouseover", function (event) {
    if (pinned) { return; }
    var html = tipFor(event.target);
    if (html) { showTip(html, event); } else { hideTip(); }
  });
  svg.addEventListener("mouseleave", hideTip);
  svg.addEventListener("click", function (event) {
    var html = tipFor(event.target);
    if (html) { pinned = false; showTip(html, event); pinned = true; } else { pinned = false; hideTip(); }
  });

  // --- recurrent edges: a wide invisible stroke makes them easy to hover -----------------------
  data.recurrent.forEach(function (r) {
    var g = edgeByKey[edgeKey(r.edge[0], r.edge[1], r.edge[2])];
    if (!g) { return; }
    g.tgRecurrent = r;
    g.classList.add("tg-recurrent");
    var path = g.querySelector("path");
    if (path) {
      var hit = path.cloneNode(false);
      hit.setAttribute("class", "tg-hit");
      path.parentNode.appendChild(hit);
    }
  });

  // --- the strip: ‖∂L/∂h_t‖ per step reached so far, log scale ---------------------------------
  // Built as markup: the HTML parser puts <svg> in its namespace, no namespace URL needed here.
  var points = data.strip.points;
  var bars = [];
  (function drawStrip() {
    var box = document.getElementById("tg-strip-box");
    if (!points.length) { box.hidden = true; return; }
    var known = points.filter(function (p) { return typeof p.grad === "number" && p.grad > 0; });
    var W = Math.max(360, 70 * points.length + 120), H = 130, left = 70, top = 22, bottom = 28;
    var logs = known.map(function (p) { return Math.log10(p.grad); });
    var lo = logs.length ? Math.floor(Math.min.apply(null, logs)) : -1;
    var hi = logs.length ? Math.ceil(Math.max.apply(null, logs)) : 1;
    if (hi - lo < 1) { hi = lo + 1; }
    var y = function (v) { return top + (H - top - bottom) * (1 - (Math.log10(v) - lo) / (hi - lo)); };
    var parts = [];
    function el(name, attrs, text) {
      var list = Object.keys(attrs).map(function (k) { return " " + k + "=\"" + attrs[k] + "\""; }).join("");
      parts.push("<" + name + list +
                 ">" + (text === undefined ? "" : esc(text)) + "</" + name + ">");
    }
    el("text", { x: 4, y: 14, "font-size": 13 }, "\u2016\u2202L/\u2202" + (data.strip.series || "h") +
       "_t\u2016 at each step reached so far (log scale)");
    for (var d = lo; d <= hi; d++) {
      el("line", { x1: left - 4, x2: W - 10, y1: y(Math.pow(10, d)), y2: y(Math.pow(10, d)), stroke: "#dde1ea" });
      el("text", { x: left - 8, y: y(Math.pow(10, d)) + 4, "font-size": 11, "text-anchor": "end" }, "1e" + d);
    }
    var slot = (W - left - 20) / points.length;
    points.forEach(function (p, i) {
      var cx = left + slot * (i + 0.5);
      if (i % Math.ceil(44 / slot) === 0) {          // a label where there is room for one
        el("text", { x: cx, y: H - 8, "font-size": 12, "text-anchor": "middle" }, "t = " + p.t);
      }
      if (typeof p.grad !== "number" || p.grad <= 0) { return; }
      el("rect", { "data-bar": i, x: cx - slot * 0.3, width: slot * 0.6, y: y(p.grad), height: H - bottom - y(p.grad),
                   fill: "#2c5aa0", visibility: "hidden" });
      el("text", { "data-bar-label": i, x: cx, y: y(p.grad) - 3, "font-size": 11, "text-anchor": "middle",
                   visibility: "hidden" }, fmt(p.grad));
    });
    data.cuts.forEach(function (cut) {               // the cut sits between step cut.step and the next
      var i = points.findIndex(function (p) { return p.t === cut.step; });
      if (i < 0) { return; }
      var x = left + slot * (i + 1);
      el("line", { x1: x, x2: x, y1: top, y2: H - bottom, stroke: "#c0392b", "stroke-width": 2,
                   "stroke-dasharray": "5 3" });
      el("text", { x: x + 4, y: top + 12, "font-size": 12, fill: "#c0392b" }, "\u2702 cut");
    });
    box.innerHTML = "<svg id=\"tg-strip\" width=\"" + W + "\" height=\"" + H + "\" viewBox=\"0 0 " + W + " " + H +
                    "\">" + parts.join("") + "</svg>";
    points.forEach(function (p, i) {
      var bar = box.querySelector("[data-bar=\"" + i + "\"]");
      if (bar) { bars.push({ point: p, bar: bar, label: box.querySelector("[data-bar-label=\"" + i + "\"]") }); }
    });
  })();

  // --- the backward pass, frame by frame -----------------------------------------------------
  var current = 0, timer = null;
  function setStep(k) {
    k = Math.max(0, Math.min(frames.length, k | 0));
    current = k;
    slider.value = k;
    var running = k > 0;
    svg.classList.toggle("tg-running", running);
    Object.keys(nodeEls).forEach(function (id) {
      var f = frameOf[id], g = nodeEls[id];
      var lit = f !== undefined && f <= k;
      g.classList.toggle("tg-lit", lit);
      g.classList.toggle("tg-current", f !== undefined && f === k);
      g.classList.toggle("tg-wait", running && !lit);
      gradTexts[id].forEach(function (t) { t.classList.toggle("tg-grad-hidden", running && !lit); });
    });
    edgeEls.forEach(function (g) {
      var f = frameOf[g.getAttribute("data-head")];
      g.classList.toggle("tg-flow", f !== undefined && f <= k);
    });
    bars.forEach(function (b) {
      if (!b) { return; }
      var show = b.point.frame !== null && b.point.frame <= k;
      b.bar.setAttribute("visibility", show ? "visible" : "hidden");
      b.label.setAttribute("visibility", show ? "visible" : "hidden");
    });
    var stops = [];
    data.cuts.forEach(function (cut) {
      var hit = running && (cut.frame === null ? k === frames.length : k >= cut.frame);
      [cut.origin, cut.detached].forEach(function (id) {
        if (nodeEls[id]) { nodeEls[id].classList.toggle("tg-cut-hit", hit); }
      });
      edgeEls.forEach(function (g) {
        if (g.getAttribute("data-tail") === cut.origin && g.getAttribute("data-head") === cut.detached) {
          g.classList.toggle("tg-cut-hit", hit);
        }
      });
      if (hit) {
        stops.push("\u2702 The gradient stops at " + cut.name + ".detach(): no gradient reaches " +
                   (cut.step !== null ? "step " + cut.step + " or earlier." : cut.name + " or what it came from."));
      }
    });
    message.textContent = stops.join(" ");
    message.title = message.textContent;
    if (k === 0) {
      status.textContent = "Backward pass: " + frames.length + " frames. Press \u25b6 or step with \u2192.";
    } else {
      var f = frames[k - 1], n = data.nodes[f.tensors[0]] || {};
      var grad = n.grad !== null && n.grad !== undefined ? GRAD + " = " + fmt(n.grad) : "no gradient known";
      var what = f.name || (f.made_by ? "the output of " + f.made_by : "a tensor");
      if (f.step !== null && f.step !== undefined) { what += " (t = " + f.step + ")"; }
      // the op is named only where the drawing shows it (the cells view draws no op)
      status.textContent = "Frame " + k + " of " + frames.length + ": " + what + " complete, " +
        grad + (!f.made_by || !f.op_drawn ? "" : f.ops.length ? "; " + f.made_by + "'s backward runs"
                : "; " + f.made_by + "'s backward waits for its other outputs") +
        (k === frames.length ? ". Done." : "");
      status.title = status.textContent;
    }
    document.body.setAttribute("data-step", String(k));
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "\u25b6 play";
  }
  function play() {
    if (current >= frames.length) { setStep(0); }
    playButton.textContent = "\u275a\u275a pause";
    var delay = Math.max(120, Math.min(500, Math.round(15000 / Math.max(1, frames.length))));
    timer = setInterval(function () {
      setStep(current + 1);
      if (current >= frames.length) { pause(); }
    }, delay);
  }
  playButton.addEventListener("click", function () { if (timer === null) { play(); } else { pause(); } });
  document.getElementById("tg-next").addEventListener("click", function () { pause(); setStep(current + 1); });
  document.getElementById("tg-prev").addEventListener("click", function () { pause(); setStep(current - 1); });
  document.getElementById("tg-reset").addEventListener("click", function () { pause(); setStep(0); });
  slider.max = frames.length;
  slider.addEventListener("input", function () { pause(); setStep(Number(slider.value)); });
  document.getElementById("tg-fit").addEventListener("change", function (event) {
    document.getElementById("tg-graph").classList.toggle("tg-fit", event.target.checked);
  });
  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (tag === "INPUT" || tag === "BUTTON") { return; }          // those handle their own keys
    if (event.key === "ArrowRight") { pause(); setStep(current + 1); }
    if (event.key === "ArrowLeft") { pause(); setStep(current - 1); }
    if (event.key === " ") { event.preventDefault(); playButton.click(); }
  });
  setStep(0);
})();
