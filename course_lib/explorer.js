// The slider script of the static book (course_lib.widgets.Explorer.to_html). It finds its own
// explorer (the script's parent), maps the sliders' positions to a frame (last parameter
// fastest) and swaps the image.
(function () {
  var root = document.currentScript.parentElement;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var inputs = root.querySelectorAll('input[type="range"]');
  var outputs = root.querySelectorAll('output');
  var image = root.querySelector('img');
  function show() {
    var index = 0, parts = [];
    for (var k = 0; k < inputs.length; k++) {
      var position = parseInt(inputs[k].value, 10);
      index = index * data.sizes[k] + position;
      outputs[k].textContent = data.labels[k][position];
      parts.push(data.labels[k][position]);
    }
    image.src = 'data:image/png;base64,' + data.frames[index];
    image.alt = data.alt + ' (' + parts.join(', ') + ')';
  }
  for (var k = 0; k < inputs.length; k++) { inputs[k].addEventListener('input', show); }
  show();
})();
