(function () {
  // The latent plane of course_lib.latent_explorer: no library, no network.
  var root = document.currentScript.parentElement;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var plane = root.querySelector('[data-role="plane"]');
  var marker = root.querySelector('.course-latent-marker');
  var canvas = root.querySelector('canvas[data-role="decoded"]');
  var output = root.querySelector('output[data-role="z"]');
  var along = root.querySelector('input[data-role="path"]');
  var f = Math.fround;  // float32 rounding, as torch computes
  function floats(b64) {
    var text = atob(b64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return new Float32Array(bytes.buffer);
  }
  var phi = {
    tanh: Math.tanh, identity: function (a) { return a; },
    sigmoid: function (a) { return 1 / (1 + Math.exp(-a)); },
    relu: function (a) { return a > 0 ? a : 0; },
    softplus: function (a) { return a > 20 ? a : Math.log1p(Math.exp(a)); }  // torch's threshold 20
  };
  var layers = data.layers.map(function (l) {
    return {w: floats(l.weight), b: floats(l.bias), nIn: l.n_in, nOut: l.n_out, phi: phi[l.activation]};
  });
  // d(z): h^(l) = phi(w^(l) h^(l-1) + b^(l)), layer by layer, each value rounded to float32
  function decode(z) {
    var h = new Float32Array([f(z[0]), f(z[1])]);
    for (var l = 0; l < layers.length; l++) {
      var L = layers[l], out = new Float32Array(L.nOut);
      for (var j = 0; j < L.nOut; j++) {
        var a = L.b[j];
        for (var i = 0; i < L.nIn; i++) { a += L.w[j * L.nIn + i] * h[i]; }
        out[j] = L.phi(f(a));
      }
      h = out;
    }
    return h;
  }
  var ctx = canvas.getContext('2d');
  var pixels = ctx.createImageData(data.shape[1], data.shape[0]);
  var lo1 = data.z_range[0][0], hi1 = data.z_range[0][1], lo2 = data.z_range[1][0], hi2 = data.z_range[1][1];
  var box = data.axes_box;  // [left, bottom, right, top] of the axes, as fractions of the image
  var z = data.start.slice();
  function show() {
    var x = decode(z);
    for (var k = 0; k < x.length; k++) {
      var grey = Math.round(255 * (1 - Math.min(1, Math.max(0, x[k]))));  // dark ink on white
      pixels.data[4 * k] = pixels.data[4 * k + 1] = pixels.data[4 * k + 2] = grey;
      pixels.data[4 * k + 3] = 255;
    }
    ctx.putImageData(pixels, 0, 0);
    canvas.dataset.z = z[0] + ',' + z[1];
    canvas.dataset.decoded = Array.prototype.join.call(x, ',');
    output.textContent = 'z = (' + z[0].toFixed(2) + ', ' + z[1].toFixed(2) + ')';
    marker.style.left = 100 * (box[0] + (box[2] - box[0]) * (z[0] - lo1) / (hi1 - lo1)) + '%';
    marker.style.top = 100 * (1 - box[1] - (box[3] - box[1]) * (z[1] - lo2) / (hi2 - lo2)) + '%';
  }
  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  function pick(event) {
    var rect = plane.getBoundingClientRect();
    var u = ((event.clientX - rect.left) / rect.width - box[0]) / (box[2] - box[0]);
    var v = (1 - (event.clientY - rect.top) / rect.height - box[1]) / (box[3] - box[1]);
    z = [clamp(lo1 + u * (hi1 - lo1), lo1, hi1), clamp(lo2 + v * (hi2 - lo2), lo2, hi2)];
    show();
  }
  var dragging = false;
  plane.addEventListener('pointerdown', function (e) {
    dragging = true; plane.focus();
    if (plane.setPointerCapture && e.pointerId !== undefined) { try { plane.setPointerCapture(e.pointerId); } catch (err) {} }
    pick(e); e.preventDefault();
  });
  plane.addEventListener('pointermove', function (e) { if (dragging) { pick(e); } });
  plane.addEventListener('pointerup', function () { dragging = false; });
  plane.addEventListener('pointercancel', function () { dragging = false; });
  plane.addEventListener('keydown', function (e) {
    var step = (e.shiftKey ? 0.1 : 0.02), moves = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]};
    var m = moves[e.key];
    if (!m) { return; }
    z = [clamp(z[0] + m[0] * step * (hi1 - lo1), lo1, hi1), clamp(z[1] + m[1] * step * (hi2 - lo2), lo2, hi2)];
    show(); e.preventDefault();
  });
  if (along && data.path) {
    along.addEventListener('input', function () {
      var t = parseInt(along.value, 10) / 100, a = data.path[0], b = data.path[1];
      z = [(1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]];
      show();
    });
  }
  show();
})();
